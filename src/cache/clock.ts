/**
 * Injected time: only {@linkcode systemClock} reads `Date.now()`. Also the shared clock of the
 * module-level cache functions ({@linkcode getClock}), and the override stack the shared KV uses
 * too. `getClock` and `installClock` are test support, shipped through `@pml/store/fixtures`.
 *
 * @module
 */

/**
 * A source of the current time.
 *
 * @example A frozen clock, and the real one
 * ```ts
 * import { type Clock, systemClock } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const frozen: Clock = { now: () => 1_000 };
 * assert.equal(frozen.now(), 1_000);
 * assert.ok(systemClock.now() > Date.UTC(2024, 0, 1));
 * ```
 */
export interface Clock {
  /** The current time in milliseconds since the Unix epoch; must be a finite number. */
  now(): number;
}

/** The real clock, backed by `Date.now()`. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** Reads `clock`; a `RangeError` for a time no expiry can be computed from. Private to the cache. */
export function readClock(clock: Clock, action: string): number {
  return finiteTime(action, "clock.now()", clock.now());
}

/** `value` when it is a finite number, else a `RangeError` naming `name`. Private to pml-store. */
export function finiteTime(action: string, name: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  const expected = `expected '${name}' to be a finite number of epoch milliseconds`;
  throw new RangeError(`Cannot ${action}: ${expected}, found ${String(value)}`);
}

/** A replacement of a shared value, undone (once, harmlessly again) by `restore()` or `using`. */
export interface Override {
  restore(): void;
  [Symbol.dispose](): void;
}

/**
 * Pushes `value` on `stack` (the newest wins) until restored; each override removes exactly its own
 * entry, so they may be restored in any order. Private to the cache.
 */
export function pushOverride<T>(stack: { value: T }[], value: T): Override {
  const entry = { value };
  stack.push(entry);
  const restore = () => {
    const at = stack.indexOf(entry);
    if (at !== -1) stack.splice(at, 1);
  };
  return { restore, [Symbol.dispose]: restore };
}

const installedClocks: { value: Clock }[] = [];

/**
 * The clock of the module-level cache functions: the most recently installed one
 * ({@linkcode installClock}), else {@linkcode systemClock}.
 */
export function getClock(): Clock {
  return installedClocks.at(-1)?.value ?? systemClock;
}

/**
 * Makes `clock` the shared clock until the returned override is restored; overrides nest.
 *
 * @example Installing a fake clock for a block
 * ```ts
 * import { systemClock } from "@pml/store";
 * import { FakeClock, getClock, installClock } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * {
 *   using _override = installClock(new FakeClock(42));
 *   assert.equal(getClock().now(), 42);
 * }
 * assert.equal(getClock(), systemClock);
 * ```
 */
export function installClock(clock: Clock): Override {
  return pushOverride(installedClocks, clock);
}
