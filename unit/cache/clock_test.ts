import assert from "node:assert/strict";
import { getClock, installClock, systemClock } from "../../src/cache/clock.ts";
import { FakeClock } from "../../fixtures/fake_clock.ts";

Deno.test("systemClock reads the real time", () => {
  const before = Date.now();
  const now = systemClock.now();
  const after = Date.now();
  assert.ok(before <= now && now <= after, `${now} not within [${before}, ${after}]`);
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
