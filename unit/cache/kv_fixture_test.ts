import assert from "node:assert/strict";
import { createKvFixture, KV_FIXTURE_START_MS } from "../../fixtures/kv_fixture.ts";
import { getClock, systemClock } from "../../src/cache/clock.ts";
import { getKv } from "../../src/cache/kv.ts";
import { getWorkflowState, saveWorkflowState } from "../../src/cache/shared_workflow_state.ts";

Deno.test("createKvFixture() installs its in-memory KV and fake clock as the shared ones", async () => {
  await using fixture = await createKvFixture();
  assert.equal(await getKv(), fixture.kv);
  assert.equal(getClock(), fixture.clock);
  assert.equal(fixture.clock.now(), KV_FIXTURE_START_MS);
  await saveWorkflowState("wf-1", { tasks: [] });
  assert.deepEqual(await fixture.cache.get("wf-1"), { tasks: [] });
});

Deno.test("createKvFixture() starts the fake clock at startMs", async () => {
  await using fixture = await createKvFixture({ startMs: 42 });
  assert.equal(fixture.clock.now(), 42);
});

Deno.test("disposing a fixture restores what was installed before and closes its KV", async () => {
  const outer = await createKvFixture();
  try {
    const inner = await createKvFixture({ startMs: 7 });
    await saveWorkflowState("inner-only", { tasks: [] });
    await inner[Symbol.asyncDispose]();
    assert.equal(await getKv(), outer.kv);
    assert.equal(getClock(), outer.clock);
    assert.equal(await getWorkflowState("inner-only"), null, "the outer store never saw it");
    await assert.rejects(inner.kv.get(["any"]), "the inner KV is closed");
    await inner[Symbol.asyncDispose]();
  } finally {
    await outer[Symbol.asyncDispose]();
  }
  assert.equal(getClock(), systemClock);
});
