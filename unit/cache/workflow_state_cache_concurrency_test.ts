import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import {
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
} from "../../src/cache/cache_error.ts";
import {
  type WorkflowDagUpdater,
  WorkflowStateCache,
} from "../../src/cache/workflow-state-cache.ts";
import type { WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { chainDag } from "./_dags.ts";
import { headerVersion, HookedKv, snapshot } from "./_hooked_kv.ts";

/** A fixture plus a cache over a hooked view of its KV, to force interleavings. */
async function setup(maxAttempts?: number) {
  const fixture = await createKvFixture({ startMs: 0 });
  const kv = new HookedKv(fixture.kv);
  const cache = new WorkflowStateCache({ kv, clock: fixture.clock, maxAttempts });
  const other = new WorkflowStateCache({ kv: fixture.kv, clock: fixture.clock });
  return { fixture, kv, cache, other, [Symbol.asyncDispose]: () => fixture[Symbol.asyncDispose]() };
}

/** An updater appending a task `id`; each call is logged in `calls`. */
function appendTask(id: string, calls: string[] = []): WorkflowDagUpdater {
  return (dag) => {
    calls.push(id);
    return { ...dag, tasks: [...dag.tasks, { id, tool: "t", arguments: {}, dependsOn: [] }] };
  };
}

const taskIds = (dag: WorkflowDag | null) => dag?.tasks.map((task) => task.id);

Deno.test("two concurrent read-modify-write updates both land: the loser re-reads and re-applies its change", async () => {
  await using t = await setup();
  await t.other.save("wf-1", { tasks: [] }, "plan");
  const calls: string[] = [];
  // Update B runs to completion between update A's read and A's commit.
  t.kv.beforeNextCommit(() => t.other.update("wf-1", appendTask("B", calls)));
  await t.cache.update("wf-1", appendTask("A", calls));
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(calls, ["A", "B", "A"], "A's updater ran again, on the DAG B wrote");
  assert.deepEqual(taskIds(await t.other.get("wf-1")), ["B", "A"]);
  assert.equal((await t.other.getRecord("wf-1"))?.intent, "plan");
});

Deno.test("concurrent updater-function updates are all kept, however they interleave", async () => {
  // Each failed check means another of the four committed, so four attempts always suffice.
  await using t = await setup(4);
  await t.other.save("wf-1", { tasks: [] });
  const labels = ["A", "B", "C", "D"];
  await Promise.all(labels.map((label) => t.cache.update("wf-1", appendTask(label))));
  assert.deepEqual(taskIds(await t.other.get("wf-1"))?.sort(), labels);
  assert.equal(t.kv.commits.filter((commit) => commit === "ok").length, labels.length);
});

Deno.test("an update with a stale expectedVersion is refused naming both versions, and writes nothing", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"));
  const read = await t.other.getRecord("wf-1");
  assert.ok(read);
  await t.other.update("wf-1", chainDag(2, "B"));
  const found = await headerVersion(t.fixture.kv, "wf-1");
  assert.notEqual(found, read.version);
  const before = await snapshot(t.fixture.kv);
  const calls: string[] = [];
  for (const next of [chainDag(3, "A"), appendTask("A", calls)]) {
    await assert.rejects(
      t.cache.update("wf-1", next, { expectedVersion: read.version }),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowStateConflictError);
        assert.equal(error.code, "WORKFLOW_STATE_CONFLICT");
        assert.deepEqual(error.versions, { expected: read.version, found });
        assert.equal(error.attempts, 1);
        assert.equal(
          error.message,
          `Cannot update workflow state "wf-1": expected version "${read.version}", found version "${found}" (the state changed since it was read); nothing was written by this call`,
        );
        return true;
      },
    );
  }
  assert.deepEqual(calls, [], "the updater is not called for a stale version");
  assert.deepEqual(t.kv.commits, [], "no commit is even tried");
  assert.deepEqual(await snapshot(t.fixture.kv), before);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2, "B"));
});

Deno.test("an update with the current expectedVersion applies and gives the state a new version", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"), "plan");
  const read = await t.other.getRecord("wf-1");
  assert.ok(read);
  await t.cache.update("wf-1", appendTask("next"), { expectedVersion: read.version });
  const after = await t.other.getRecord("wf-1");
  assert.deepEqual(taskIds(after?.dag ?? null), ["task-0", "next"]);
  assert.equal(after?.version, await headerVersion(t.fixture.kv, "wf-1"));
  assert.notEqual(after?.version, read.version);
});

Deno.test("an expectedVersion update that loses the race at commit fails at once, without retrying", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"));
  const read = await t.other.getRecord("wf-1");
  assert.ok(read);
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B")));
  await assert.rejects(
    t.cache.update("wf-1", chainDag(3, "A"), { expectedVersion: read.version }),
    (error: unknown) => {
      assert.ok(error instanceof WorkflowStateConflictError);
      assert.equal(error.versions?.expected, read.version);
      assert.notEqual(error.versions?.found, read.version);
      return true;
    },
  );
  assert.deepEqual(t.kv.commits, ["check failed"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2, "B"), "the other update is kept");
});

Deno.test("a plain-DAG update without expectedVersion replaces the DAG: the last writer wins, atomically", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"), "plan");
  // Update B runs to completion between update A's read and A's commit; A still replaces the DAG.
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B")));
  await t.cache.update("wf-1", chainDag(3, "A"));
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(3, "A"));
  assert.equal((await t.other.getRecord("wf-1"))?.intent, "plan");
});

Deno.test("an update that loses every attempt fails with a conflict and writes nothing", async () => {
  await using t = await setup(2);
  await t.other.save("wf-1", chainDag(1, "initial"));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B1")));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B2")));
  await assert.rejects(t.cache.update("wf-1", appendTask("A")), (error: unknown) => {
    assert.ok(error instanceof WorkflowStateConflictError);
    assert.equal(error.code, "WORKFLOW_STATE_CONFLICT");
    assert.equal(error.versions, undefined);
    assert.equal(
      error.message,
      'Cannot update workflow state "wf-1": the state changed concurrently on each of 2 attempt(s) (versionstamp check failed); nothing was written by this call',
    );
    return true;
  });
  assert.deepEqual(t.kv.commits, ["check failed", "check failed"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2, "B2"), "the winning update is kept");
});

Deno.test("an update racing a delete does not bring the workflow back", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1));
  t.kv.beforeNextCommit(async () => {
    await t.other.delete("wf-1");
  });
  await assert.rejects(t.cache.update("wf-1", chainDag(2)), WorkflowStateNotFoundError);
  assert.equal(await t.other.get("wf-1"), null);
});

Deno.test("a reader never sees a mix of two writes of a chunked state", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(2_000, "old"));
  const header = await t.fixture.kv.get<{ value: { chunkCount: number } }>(["workflow", "wf-1"]);
  const last = header.value!.value.chunkCount - 1;
  assert.ok(last >= 1);
  // The reader gets the first chunks of the old write; a writer of the same size replaces the state
  // before the last chunk is read, so that chunk comes from the new write.
  t.kv.beforeNextGet(
    (key) => key[0] === "workflow_chunk" && key[2] === last,
    () => t.other.update("wf-1", chainDag(2_000, "new")),
  );
  assert.deepEqual(await t.cache.get("wf-1"), chainDag(2_000, "new"));
});

Deno.test("a refresh racing an update keeps the update", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(2_000, "old"));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2_000, "new")));
  assert.equal(await t.cache.refresh("wf-1"), true);
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2_000, "new"));
});
