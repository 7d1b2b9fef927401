/**
 * Injected time. Only {@linkcode systemClock} reads `Date.now()`; caches take a {@linkcode Clock}, so
 * tests drive expiry with a `FakeClock` (from `@pml/store/fixtures`) instead of sleeping.
 *
 * The module also holds the clock of the module-level cache functions ({@linkcode getClock}), which
 * tests replace with `installClock` and restore afterwards.
 *
 * @module
 */

import { type Override, OverrideStack } from "./_override.ts";

/**
 * A source of the current time.
 *
 * @example A clock frozen at one instant
 * ```ts
 * import type { Clock } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const frozen: Clock = { now: () => 1_000 };
 * assert.equal(frozen.now(), 1_000);
 * ```
 */
export interface Clock {
  /** The current time in milliseconds since the Unix epoch; must be a finite number. */
  now(): number;
}

/**
 * The real clock, backed by `Date.now()`.
 *
 * @example Reading the real time
 * ```ts
 * import { systemClock } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.ok(systemClock.now() > Date.UTC(2024, 0, 1));
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * A clock that moves only when told to, and never backwards. Test support: import it from
 * `@pml/store/fixtures`.
 *
 * @example Advancing past a deadline
 * ```ts
 * import { FakeClock } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const clock = new FakeClock(1_000);
 * clock.advance(500);
 * assert.equal(clock.now(), 1_500);
 * assert.throws(() => clock.set(0), RangeError);
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /**
   * @param startMs The initial time in epoch milliseconds (default `0`).
   * @throws {RangeError} When `startMs` is not a finite number.
   */
  constructor(startMs = 0) {
    this.#now = finiteTime("create fake clock", "startMs", startMs);
  }

  /** The current fake time. */
  now(): number {
    return this.#now;
  }

  /**
   * Moves the clock to `timeMs`.
   *
   * @throws {RangeError} When `timeMs` is not finite or earlier than the current time.
   */
  set(timeMs: number): void {
    finiteTime("set fake clock", "timeMs", timeMs);
    if (timeMs < this.#now) {
      throw new RangeError(
        `Cannot set fake clock: time must not go backwards: current time is ${this.#now}, requested ${timeMs}`,
      );
    }
    this.#now = timeMs;
  }

  /**
   * Moves the clock forward by `ms` milliseconds and returns the new time.
   *
   * @throws {RangeError} When `ms` is negative or not finite.
   */
  advance(ms: number): number {
    if (finiteTime("advance fake clock", "ms", ms) < 0) {
      throw new RangeError(
        `Cannot advance fake clock: time must not go backwards: expected ms >= 0, found ${ms}`,
      );
    }
    this.#now += ms;
    return this.#now;
  }
}

/**
 * Reads `clock`, refusing a time no expiry can be computed from (`NaN`, `Infinity`, not a number).
 * Private to the cache.
 *
 * @throws {RangeError} Naming the action and the value found; nothing has been written yet.
 */
export function readClock(clock: Clock, action: string): number {
  return finiteTime(action, "clock.now()", clock.now());
}

function finiteTime(action: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot ${action}: expected '${name}' to be a finite number of epoch milliseconds, found ${
        String(value)
      }`,
    );
  }
  return value;
}

const installedClocks = new OverrideStack<Clock>();

/**
 * The clock of the module-level cache functions: the most recently installed one, else
 * {@linkcode systemClock}.
 *
 * @example The system clock by default
 * ```ts
 * import { getClock, systemClock } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getClock(), systemClock);
 * ```
 */
export function getClock(): Clock {
  return installedClocks.top() ?? systemClock;
}

/**
 * Makes `clock` the shared clock until the returned override is restored; overrides nest and may be
 * restored in any order. Test support: import it from `@pml/store/fixtures`.
 *
 * @example Installing a fake clock for a block
 * ```ts
 * import { getClock, systemClock } from "@pml/store";
 * import { FakeClock, installClock } from "@pml/store/fixtures";
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
  return installedClocks.push(clock);
}
