/**
 * Replaceable shared values. The cache has two (the shared KV and the shared clock); tests replace them
 * for a while and restore what was there before, so nothing leaks from one test to the next.
 *
 * @module
 */

/**
 * A replacement of a shared value, undone by `restore()` or by leaving a `using` block.
 *
 * @example Restoring by leaving a block
 * ```ts
 * import { FakeClock, getClock, installClock, type Override, systemClock } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * {
 *   using _override: Override = installClock(new FakeClock());
 *   assert.notEqual(getClock(), systemClock);
 * }
 * assert.equal(getClock(), systemClock);
 * ```
 */
export interface Override {
  /** Puts back what was in place before; calling it again is harmless. */
  restore(): void;
  /** Same as `restore()`, for `using`. */
  [Symbol.dispose](): void;
}
