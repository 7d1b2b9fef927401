import assert from "node:assert/strict";
import { FakeClock, getClock, installClock, systemClock } from "../../src/cache/clock.ts";

Deno.test("systemClock reads the real time", () => {
  const before = Date.now();
  const now = systemClock.now();
  const after = Date.now();
  assert.ok(before <= now && now <= after, `${now} not within [${before}, ${after}]`);
});

Deno.test("FakeClock starts at the given time, else at 0", () => {
  assert.equal(new FakeClock(1_234).now(), 1_234);
  assert.equal(new FakeClock().now(), 0);
});

Deno.test("FakeClock refuses a start time that is not a finite number", () => {
  assert.throws(() => new FakeClock(Number.NaN), {
    name: "RangeError",
    message:
      "Cannot create fake clock: expected 'startMs' to be a finite number of epoch milliseconds, found NaN",
  });
});

Deno.test("FakeClock.advance() moves forward and returns the new time", () => {
  const clock = new FakeClock(100);
  assert.equal(clock.advance(50), 150);
  assert.equal(clock.advance(0), 150);
  assert.equal(clock.now(), 150);
});

Deno.test("FakeClock.advance() refuses to go backwards", () => {
  const clock = new FakeClock(100);
  assert.throws(() => clock.advance(-1), {
    name: "RangeError",
    message: "Cannot advance fake clock: time must not go backwards: expected ms >= 0, found -1",
  });
  assert.throws(() => clock.advance(Number.POSITIVE_INFINITY), {
    name: "RangeError",
    message:
      "Cannot advance fake clock: expected 'ms' to be a finite number of epoch milliseconds, found Infinity",
  });
  assert.equal(clock.now(), 100);
});

Deno.test("FakeClock.set() moves to a time at or after now", () => {
  const clock = new FakeClock(100);
  clock.set(100);
  assert.equal(clock.now(), 100);
  clock.set(3_600_000);
  assert.equal(clock.now(), 3_600_000);
});

Deno.test("FakeClock.set() refuses to go backwards", () => {
  const clock = new FakeClock(100);
  assert.throws(() => clock.set(99), {
    name: "RangeError",
    message: "Cannot set fake clock: time must not go backwards: current time is 100, requested 99",
  });
  assert.equal(clock.now(), 100);
});

Deno.test("getClock() is the system clock when nothing is installed", () => {
  assert.equal(getClock(), systemClock);
});

Deno.test("installClock() overrides nest and restore in any order", async (t) => {
  const outer = new FakeClock(1);
  const inner = new FakeClock(2);

  await t.step("the newest override wins", () => {
    const outerOverride = installClock(outer);
    const innerOverride = installClock(inner);
    assert.equal(getClock(), inner);
    outerOverride.restore();
    assert.equal(getClock(), inner);
    innerOverride.restore();
    assert.equal(getClock(), systemClock);
  });

  await t.step("restoring twice is harmless", () => {
    const first = installClock(outer);
    const second = installClock(inner);
    second.restore();
    second.restore();
    assert.equal(getClock(), outer);
    first.restore();
    assert.equal(getClock(), systemClock);
  });

  await t.step("leaving a using block restores", () => {
    {
      using _override = installClock(outer);
      assert.equal(getClock(), outer);
    }
    assert.equal(getClock(), systemClock);
  });
});
