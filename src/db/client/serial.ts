/**
 * Takes turns: the work given to {@linkcode Serial.run} runs one at a time, in call order. Savepoints form
 * a stack on one connection, so sibling calls (under `Promise.all`, say) on one client must not interleave.
 *
 * @module
 */

/**
 * Runs the functions given to {@linkcode Serial.run} one at a time, in call order.
 *
 * @example Two calls take turns
 * ```ts
 * import { Serial } from "./serial.ts";
 * import assert from "node:assert/strict";
 *
 * const serial = new Serial();
 * const order: string[] = [];
 * const slow = serial.run(async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   order.push("first");
 * });
 * const fast = serial.run(() => Promise.resolve(order.push("second")));
 * await Promise.all([slow, fast]);
 * assert.deepEqual(order, ["first", "second"]);
 * ```
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier call has settled; its own failure is reported to its own caller. */
  run<R>(fn: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}
