/**
 * Interleavings forced with hooks (no timers): lost version checks, a write between a reader's two
 * reads, a write during a sweep, and a locked database.
 */
import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import { CacheError } from "../../src/cache/cache_error.ts";
import {
  WORKFLOW_STATE_TTL_MS,
  type WorkflowDagUpdater,
  WorkflowStateCache,
} from "../../src/cache/workflow_state_cache.ts";
import type { WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { chainDag } from "./_dags.ts";
import { HookedKv, snapshot } from "./_hooked_kv.ts";

/** A fixture plus a cache over a hooked view of its KV, and one over the plain KV (the "other writer"). */
async function setup(options: { maxAttempts?: number; busyTimeoutMs?: number } = {}) {
  const fixture = await createKvFixture({ startMs: 0 });
  const kv = new HookedKv(fixture.kv);
  const cache = new WorkflowStateCache({ kv, clock: fixture.clock, ...options });
  return {
    fixture,
    kv,
    cache,
    other: fixture.cache,
    [Symbol.asyncDispose]: () => fixture[Symbol.asyncDispose](),
  };
}

/** An updater appending a task `id`; each call is logged in `calls`. */
function appendTask(id: string, calls: string[] = []): WorkflowDagUpdater {
  return (dag) => {
    calls.push(id);
    return { ...dag, tasks: [...dag.tasks, { id, tool: "t", arguments: {}, dependsOn: [] }] };
  };
}

const taskIds = (dag: WorkflowDag | null) => dag?.tasks.map((task) => task.id);

Deno.test("an updater that loses the version check re-reads and re-applies its change", async () => {
  await using t = await setup();
  await t.other.save("wf-1", { tasks: [] }, "plan");
  const calls: string[] = [];
  t.kv.beforeNextCommit(() => t.other.update("wf-1", appendTask("B", calls)));
  await t.cache.update("wf-1", appendTask("A", calls));
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(calls, ["A", "B", "A"]);
  assert.deepEqual(taskIds(await t.other.get("wf-1")), ["B", "A"]);
  assert.equal((await t.other.getRecord("wf-1"))?.intent, "plan");
});

Deno.test("concurrent updater-function updates in one process are all kept", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(2_000));
  const labels = ["A", "B", "C", "D"];
  await Promise.all(labels.map((label) => t.cache.update("wf-1", appendTask(label))));
  assert.deepEqual(taskIds(await t.other.get("wf-1"))?.slice(2_000).sort(), labels);
});

Deno.test("an update based on a stale `expectedVersion` is refused naming both versions", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1));
  const read = await t.other.getRecord("wf-1");
  await t.other.update("wf-1", chainDag(2));
  const found = (await t.other.getRecord("wf-1"))!.version;
  const before = await snapshot(t.fixture.kv);
  await assert.rejects(t.cache.update("wf-1", chainDag(3), { expectedVersion: read!.version }), {
    name: "CacheError",
    code: "WORKFLOW_STATE_CONFLICT",
    versions: { expected: read!.version, found },
    attempts: 1,
    message: `Cannot update workflow state "wf-1": expected version "${
      read!.version
    }", found version "${found}" (the state changed since it was read); nothing was written by this call; read it again`,
  });
  assert.deepEqual(await snapshot(t.fixture.kv), before);
});

Deno.test("a write that loses every attempt fails with WORKFLOW_STATE_CONFLICT and writes nothing", async () => {
  await using t = await setup({ maxAttempts: 2 });
  await t.other.save("wf-1", chainDag(1));
  for (let attempt = 0; attempt < 2; attempt++) {
    t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(attempt + 2)));
  }
  await assert.rejects(t.cache.update("wf-1", appendTask("A")), (error: unknown) => {
    assert.ok(error instanceof CacheError);
    assert.deepEqual([error.code, error.attempts], ["WORKFLOW_STATE_CONFLICT", 2]);
    return true;
  });
  assert.deepEqual(await t.other.get("wf-1"), chainDag(3));
});

Deno.test("a read whose state is rewritten between its header and its chunks returns one whole version", async (t) => {
  const cases: [string, WorkflowDag][] = [
    ["into more chunks", chainDag(3_000, "v2")],
    ["into fewer chunks", chainDag(1_200, "v2")],
    ["into an inline state", chainDag(1, "v2")],
  ];
  for (const [name, next] of cases) {
    await t.step(name, async () => {
      await using s = await setup();
      await s.other.save("wf-1", chainDag(2_000, "v1"));
      s.kv.beforeNextGetMany(() => s.other.save("wf-1", next));
      assert.deepEqual(await s.cache.get("wf-1"), next);
    });
  }
  await t.step("deleted in between", async () => {
    await using s = await setup();
    await s.other.save("wf-1", chainDag(2_000));
    s.kv.beforeNextGetMany(() => s.other.delete("wf-1"));
    assert.equal(await s.cache.get("wf-1"), null);
  });
});

Deno.test("a chunked state saved while the sweep runs keeps its chunks", async () => {
  await using t = await setup();
  await t.other.save("expired", chainDag(2_000));
  t.fixture.clock.set(WORKFLOW_STATE_TTL_MS);
  // The sweep's first commit deletes "expired"; "new" is saved just before it, after the listing.
  t.kv.beforeNextCommit(() => t.other.save("new", chainDag(2_000, "new")));
  assert.equal(await t.cache.sweepExpired(), 1);
  assert.deepEqual(await t.other.get("new"), chainDag(2_000, "new"));
  assert.equal(await t.other.get("expired"), null);
});

Deno.test("`database is locked` is retried, then reported as KV_BUSY", async (t) => {
  await t.step("a lock that clears is invisible", async () => {
    await using s = await setup();
    s.kv.lockedCalls = 3;
    await s.cache.save("wf-1", chainDag(1));
    s.kv.lockedCalls = 3;
    assert.deepEqual(await s.cache.get("wf-1"), chainDag(1));
  });
  await t.step("a lock that outlasts the budget", async () => {
    await using s = await setup({ busyTimeoutMs: 20 });
    s.kv.lockedCalls = Number.POSITIVE_INFINITY;
    await assert.rejects(s.cache.save("wf-1", chainDag(1)), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, "KV_BUSY");
      assert.ok(error.cause instanceof TypeError);
      assert.match(
        error.message,
        /^Cannot save workflow state: the KV database stayed locked by another process for 20 ms/,
      );
      return true;
    });
    assert.deepEqual(await snapshot(s.fixture.kv), []);
  });
});

Deno.test("two savers and a reader on chunked states: every read is one whole saved version", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const versions = [
    chainDag(2_000, "a"),
    chainDag(3_000, "b"),
    chainDag(1_000, "c"),
    chainDag(1, "d"),
  ];
  const expected = new Set(versions.map((dag) => JSON.stringify(dag)));
  await fixture.cache.save("wf-1", versions[0]!);
  const saver = async (offset: number) => {
    for (let round = 0; round < 20; round++) {
      await fixture.cache.save("wf-1", versions[(round + offset) % versions.length]!);
    }
  };
  let reads = 0;
  const reader = async () => {
    for (let round = 0; round < 60; round++) {
      assert.ok(expected.has(JSON.stringify(await fixture.cache.get("wf-1"))));
      reads++;
    }
  };
  await Promise.all([saver(0), saver(1), reader()]);
  assert.equal(reads, 60);
});
