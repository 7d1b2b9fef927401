import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import {
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
  WorkflowStateTooLargeError,
} from "../../src/cache/cache_error.ts";
import { MAX_ATOMIC_BYTES } from "../../src/cache/_workflow_state_codec.ts";
import {
  deleteWorkflowState,
  getWorkflowState,
  getWorkflowStateRecord,
  refreshWorkflowState,
  saveWorkflowState,
  sweepExpiredWorkflowStates,
  updateWorkflowState,
  WORKFLOW_STATE_TTL_MS,
  WorkflowStateCache,
} from "../../src/cache/workflow-state-cache.ts";
import type { KvClient } from "../../src/cache/kv_client.ts";
import type { WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { chainDag } from "./_dags.ts";
import { headerVersion, snapshot } from "./_hooked_kv.ts";

const MINUTE = 60_000;

async function keysUnder(kv: KvClient, namespace: string): Promise<unknown[][]> {
  const keys: unknown[][] = [];
  for await (const entry of kv.list({ prefix: [namespace] })) keys.push([...entry.key]);
  return keys;
}

Deno.test("saveWorkflowState() then getWorkflowState() returns the same DAG", async () => {
  await using fixture = await createKvFixture();
  const dag = chainDag(3);
  await saveWorkflowState("wf-1", dag, "read three files");
  assert.deepEqual(await getWorkflowState("wf-1"), dag);
  assert.deepEqual(await fixture.cache.get("wf-1"), dag);
});

Deno.test("getWorkflowState() returns null for an unknown workflow", async () => {
  await using _fixture = await createKvFixture();
  assert.equal(await getWorkflowState("unknown"), null);
  assert.equal(await getWorkflowStateRecord("unknown"), null);
});

Deno.test("getWorkflowStateRecord() reports the real created_at and expires_at", async () => {
  await using fixture = await createKvFixture({ startMs: 1_000_000 });
  const dag = chainDag(2);
  await saveWorkflowState("wf-1", dag, "intent text");
  fixture.clock.advance(5 * MINUTE);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), {
    workflow_id: "wf-1",
    dag,
    intent: "intent text",
    created_at: new Date(1_000_000),
    expires_at: new Date(1_000_000 + WORKFLOW_STATE_TTL_MS),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
});

Deno.test("saveWorkflowState() stores an empty or missing intent as null", async () => {
  await using _fixture = await createKvFixture();
  await saveWorkflowState("empty", { tasks: [] }, "");
  await saveWorkflowState("missing", { tasks: [] });
  await saveWorkflowState("null", { tasks: [] }, null);
  for (const id of ["empty", "missing", "null"]) {
    assert.equal((await getWorkflowStateRecord(id))?.intent, null, id);
  }
});

Deno.test("the state is present at 3,599,999 ms and gone at 3,600,000 ms", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const dag = chainDag(2);
  await saveWorkflowState("wf-1", dag);
  fixture.clock.set(3_599_999);
  assert.deepEqual(await getWorkflowState("wf-1"), dag);
  assert.notEqual(await getWorkflowStateRecord("wf-1"), null);
  fixture.clock.set(3_600_000);
  assert.equal(await getWorkflowState("wf-1"), null);
  assert.equal(await getWorkflowStateRecord("wf-1"), null);
  assert.notEqual(
    (await fixture.kv.get(["workflow", "wf-1"])).versionstamp,
    null,
    "KV itself still holds the expired entry: expiry is enforced by the cache",
  );
});

Deno.test("saveWorkflowState() over an existing state restarts created_at and the TTL", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("wf-1", chainDag(1, "old"), "old");
  fixture.clock.set(50 * MINUTE);
  await saveWorkflowState("wf-1", chainDag(2, "new"), "new");
  fixture.clock.set(100 * MINUTE);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), {
    workflow_id: "wf-1",
    dag: chainDag(2, "new"),
    intent: "new",
    created_at: new Date(50 * MINUTE),
    expires_at: new Date(110 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
});

Deno.test("updateWorkflowState() replaces the DAG and refreshes the TTL, keeping intent and created_at", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("wf-1", chainDag(2, "v1"), "plan");
  fixture.clock.set(30 * MINUTE);
  await updateWorkflowState("wf-1", chainDag(3, "v2"));
  fixture.clock.set(89 * MINUTE);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), {
    workflow_id: "wf-1",
    dag: chainDag(3, "v2"),
    intent: "plan",
    created_at: new Date(0),
    expires_at: new Date(90 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
  fixture.clock.set(90 * MINUTE - 1);
  assert.deepEqual(await getWorkflowState("wf-1"), chainDag(3, "v2"));
  fixture.clock.set(90 * MINUTE);
  assert.equal(await getWorkflowState("wf-1"), null);
});

Deno.test("updateWorkflowState() on a missing workflow fails naming the id and writes nothing", async () => {
  await using fixture = await createKvFixture();
  await assert.rejects(updateWorkflowState("ghost", chainDag(1)), (error: unknown) => {
    assert.ok(error instanceof WorkflowStateNotFoundError);
    assert.equal(error.code, "WORKFLOW_STATE_NOT_FOUND");
    assert.equal(error.workflowId, "ghost");
    assert.equal(
      error.message,
      'Cannot update workflow state "ghost": no live state has this id (never saved, deleted or expired)',
    );
    return true;
  });
  assert.deepEqual(await snapshot(fixture.kv), []);
});

Deno.test("updateWorkflowState() on an expired workflow fails even though KV still holds it", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("wf-1", chainDag(1));
  fixture.clock.set(WORKFLOW_STATE_TTL_MS);
  const before = await snapshot(fixture.kv);
  await assert.rejects(updateWorkflowState("wf-1", chainDag(2)), WorkflowStateNotFoundError);
  assert.deepEqual(await snapshot(fixture.kv), before);
});

Deno.test("refreshWorkflowState() restarts the TTL of a live state only", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const dag = chainDag(2);
  await saveWorkflowState("wf-1", dag, "keep");
  fixture.clock.set(59 * MINUTE);
  assert.equal(await refreshWorkflowState("wf-1"), true);
  fixture.clock.set(118 * MINUTE);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), {
    workflow_id: "wf-1",
    dag,
    intent: "keep",
    created_at: new Date(0),
    expires_at: new Date(119 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
  fixture.clock.set(119 * MINUTE);
  assert.equal(await refreshWorkflowState("wf-1"), false);
  assert.equal(await refreshWorkflowState("never-saved"), false);
  assert.equal(await getWorkflowState("wf-1"), null);
});

Deno.test("deleteWorkflowState() removes the state and reports whether it was live", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("live", chainDag(1));
  await saveWorkflowState("big", chainDag(2_000));
  await saveWorkflowState("expired", chainDag(1));
  fixture.clock.advance(WORKFLOW_STATE_TTL_MS);
  await saveWorkflowState("live", chainDag(1));
  await saveWorkflowState("big", chainDag(2_000));
  assert.equal(await deleteWorkflowState("live"), true);
  assert.equal(await deleteWorkflowState("big"), true);
  assert.equal(await deleteWorkflowState("expired"), false);
  assert.equal(await deleteWorkflowState("never-saved"), false);
  assert.deepEqual(await snapshot(fixture.kv), []);
});

Deno.test("sweepExpiredWorkflowStates() removes exactly the expired states, chunks included", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("old-small", chainDag(1));
  await saveWorkflowState("old-big", chainDag(2_000));
  fixture.clock.set(10 * MINUTE);
  await saveWorkflowState("edge", chainDag(1));
  fixture.clock.set(20 * MINUTE);
  await saveWorkflowState("young", chainDag(2_000));
  fixture.clock.set(70 * MINUTE);
  assert.equal(await sweepExpiredWorkflowStates(), 3);
  assert.deepEqual(await keysUnder(fixture.kv, "workflow"), [["workflow", "young"]]);
  const chunks = await keysUnder(fixture.kv, "workflow_chunk");
  assert.ok(chunks.length > 1);
  assert.ok(chunks.every((key) => key[1] === "young"), JSON.stringify(chunks));
  assert.deepEqual(await getWorkflowState("young"), chainDag(2_000));
  assert.equal(await sweepExpiredWorkflowStates(), 0);
});

Deno.test("a 2,000-task DAG, larger than one KV value, round-trips intact", async () => {
  await using fixture = await createKvFixture();
  const dag = chainDag(2_000);
  assert.ok(JSON.stringify(dag).length > 65_536, "the DAG must exceed one KV value");
  await saveWorkflowState("big", dag, "large plan");
  assert.deepEqual(await getWorkflowState("big"), dag);
  const header =
    (await fixture.kv.get<{ value: { chunkCount: number } }>(["workflow", "big"])).value;
  assert.ok((header?.value.chunkCount ?? 0) > 1, "stored in several chunks");
});

Deno.test("overwriting a large state with a smaller one deletes the stale chunks", async () => {
  await using fixture = await createKvFixture();
  await saveWorkflowState("wf-1", chainDag(2_000));
  const manyChunks = (await keysUnder(fixture.kv, "workflow_chunk")).length;
  await saveWorkflowState("wf-1", chainDag(900));
  const fewerChunks = (await keysUnder(fixture.kv, "workflow_chunk")).length;
  assert.ok(fewerChunks > 0 && fewerChunks < manyChunks, `${fewerChunks} vs ${manyChunks}`);
  await updateWorkflowState("wf-1", chainDag(1));
  assert.deepEqual(await keysUnder(fixture.kv, "workflow_chunk"), []);
  assert.deepEqual(await getWorkflowState("wf-1"), chainDag(1));
});

Deno.test("a DAG too large for one atomic write is refused and the previous state is intact", async () => {
  await using fixture = await createKvFixture();
  await saveWorkflowState("wf-1", chainDag(2_000, "previous"), "previous");
  const before = await snapshot(fixture.kv);
  const recordBefore = await getWorkflowStateRecord("wf-1");
  const huge = chainDag(10_000, "huge");
  const hugeBytes = new TextEncoder().encode(JSON.stringify(huge)).length;
  for (
    const [action, attempt] of [
      ["save", () => saveWorkflowState("wf-1", huge, "huge")],
      ["update", () => updateWorkflowState("wf-1", huge)],
    ] as const
  ) {
    await assert.rejects(attempt(), (error: unknown) => {
      assert.ok(error instanceof WorkflowStateTooLargeError);
      assert.equal(error.code, "WORKFLOW_STATE_TOO_LARGE");
      assert.equal(error.size.limitBytes, MAX_ATOMIC_BYTES);
      assert.equal(error.size.dagBytes, hugeBytes);
      assert.ok(error.size.requiredBytes > MAX_ATOMIC_BYTES);
      assert.equal(
        error.message,
        `Cannot ${action} workflow state "wf-1": the write needs ${error.size.requiredBytes} bytes in one atomic KV operation, expected at most 819200 (the DAG is ${hugeBytes} bytes of JSON); nothing was written`,
      );
      return true;
    });
  }
  assert.deepEqual(await snapshot(fixture.kv), before);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), recordBefore);
});

Deno.test("bad input is refused with a clear error and nothing is written", async (t) => {
  await using fixture = await createKvFixture();
  await saveWorkflowState("existing", chainDag(2), "existing");
  const before = await snapshot(fixture.kv);
  const duplicate = { tasks: [...chainDag(2).tasks, chainDag(1).tasks[0]!] };
  const dangling = { tasks: [{ id: "a", tool: "t", arguments: {}, dependsOn: ["nope"] }] };
  const notJson = {
    tasks: [{ id: "a", tool: "t", arguments: { at: new Date(0) }, dependsOn: [] }],
  };
  // deno-lint-ignore no-explicit-any
  const loose = (value: unknown) => value as any;
  const cases: [string, () => Promise<unknown>, string, string][] = [
    [
      "an empty id",
      () => saveWorkflowState("", chainDag(1)),
      "RangeError",
      'Cannot build workflow key: expected a non-empty workflow id, found ""',
    ],
    [
      "an over-long id",
      () => saveWorkflowState("w".repeat(300), chainDag(1)),
      "RangeError",
      "Cannot build workflow key: expected a workflow id of at most 256 bytes in UTF-8, found 300 bytes",
    ],
    [
      "an over-long id on read",
      () => getWorkflowState("w".repeat(300)),
      "RangeError",
      "Cannot build workflow key: expected a workflow id of at most 256 bytes in UTF-8, found 300 bytes",
    ],
    [
      "a DAG that is not an object",
      () => saveWorkflowState("existing", loose("tasks")),
      "TypeError",
      'Cannot save workflow state: expected the DAG to be an object, found string "tasks"',
    ],
    [
      "duplicate task ids",
      () => saveWorkflowState("existing", duplicate),
      "TypeError",
      'Cannot save workflow state: expected unique task ids, found "task-0" at dag.tasks[0] and dag.tasks[2]',
    ],
    [
      "a dependsOn entry naming no task, on update",
      () => updateWorkflowState("existing", dangling),
      "TypeError",
      'Cannot update workflow state: expected dag.tasks[0].dependsOn[0] to name a task of the DAG, found "nope"',
    ],
    [
      "data that is not plain JSON",
      () => saveWorkflowState("existing", loose(notJson)),
      "TypeError",
      "Cannot save workflow state: expected plain JSON data at dag.tasks[0].arguments.at, found Date",
    ],
    [
      "an intent that is not a string",
      () => saveWorkflowState("existing", chainDag(1), loose(42)),
      "TypeError",
      "Cannot save workflow state: expected the intent to be a string, found number",
    ],
    [
      "an over-long intent",
      () => saveWorkflowState("existing", chainDag(1), "i".repeat(16_385)),
      "RangeError",
      "Cannot save workflow state: expected an intent of at most 16384 characters, found 16385",
    ],
  ];
  for (const [label, attempt, name, message] of cases) {
    await t.step(label, async () => {
      await assert.rejects(attempt(), { name, message });
      assert.deepEqual(await snapshot(fixture.kv), before);
    });
  }
  assert.deepEqual(await getWorkflowState("existing"), chainDag(2));
});

Deno.test("-0 is accepted and reads back as 0, as JSON has no negative zero", async () => {
  await using _fixture = await createKvFixture();
  await saveWorkflowState("wf-1", {
    tasks: [{ id: "a", tool: "t", arguments: { n: -0 }, dependsOn: [] }],
  });
  const stored = await getWorkflowState("wf-1");
  assert.equal(Object.is(stored?.tasks[0]?.arguments.n, 0), true);
});

Deno.test("WorkflowStateCache honours a custom TTL", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const cache = new WorkflowStateCache({ kv: fixture.kv, clock: fixture.clock, ttlMs: 1_000 });
  await cache.save("wf-1", chainDag(1));
  fixture.clock.set(999);
  assert.deepEqual(await cache.get("wf-1"), chainDag(1));
  fixture.clock.set(1_000);
  assert.equal(await cache.get("wf-1"), null);
});

Deno.test("WorkflowStateCache refuses a TTL or retry budget that is not a positive integer", async () => {
  await using fixture = await createKvFixture();
  assert.throws(() => new WorkflowStateCache({ kv: fixture.kv, ttlMs: 0 }), {
    name: "RangeError",
    message:
      "Cannot create workflow state cache: expected 'ttlMs' to be a positive integer, found 0",
  });
  assert.throws(() => new WorkflowStateCache({ kv: fixture.kv, maxAttempts: 1.5 }), {
    name: "RangeError",
    message:
      "Cannot create workflow state cache: expected 'maxAttempts' to be a positive integer, found 1.5",
  });
});

Deno.test("the conflict error names the id and the attempts", () => {
  const error = new WorkflowStateConflictError("update workflow state", "wf-1", 3);
  assert.equal(
    error.message,
    'Cannot update workflow state "wf-1": the state changed concurrently on each of 3 attempt(s) (versionstamp check failed); nothing was written by this call',
  );
});

Deno.test("updateWorkflowState() with an updater function passes the current DAG, large ones included", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowState("wf-1", chainDag(2_000), "plan");
  fixture.clock.set(10 * MINUTE);
  const seen: number[] = [];
  await updateWorkflowState("wf-1", async (dag) => {
    seen.push(dag.tasks.length);
    await Promise.resolve();
    return { ...dag, tasks: dag.tasks.slice(0, 10) };
  });
  assert.deepEqual(seen, [2_000]);
  assert.deepEqual(await getWorkflowStateRecord("wf-1"), {
    workflow_id: "wf-1",
    dag: chainDag(10),
    intent: "plan",
    created_at: new Date(0),
    expires_at: new Date(70 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
  assert.deepEqual(await keysUnder(fixture.kv, "workflow_chunk"), [], "the stale chunks are gone");
});

Deno.test("updateWorkflowState() checks what an updater returns, and writes nothing when it fails", async (t) => {
  await using fixture = await createKvFixture();
  await saveWorkflowState("wf-1", chainDag(2), "plan");
  const before = await snapshot(fixture.kv);
  const huge = chainDag(10_000, "huge");
  const cases: [string, () => Promise<unknown>, string, RegExp | string][] = [
    [
      "a DAG with a dangling dependency",
      () =>
        updateWorkflowState("wf-1", () => ({
          tasks: [{ id: "a", tool: "t", arguments: {}, dependsOn: ["nope"] }],
        })),
      "TypeError",
      'Cannot update workflow state: expected dag.tasks[0].dependsOn[0] to name a task of the DAG, found "nope"',
    ],
    [
      "a DAG too large for one atomic write",
      () => updateWorkflowState("wf-1", () => huge),
      "WorkflowStateTooLargeError",
      /^Cannot update workflow state "wf-1": the write needs \d+ bytes in one atomic KV operation/,
    ],
    [
      "an updater that throws",
      () =>
        updateWorkflowState("wf-1", () => {
          throw new Error("planner failed");
        }),
      "Error",
      "planner failed",
    ],
    [
      "an expectedVersion that is not a string",
      // deno-lint-ignore no-explicit-any
      () => updateWorkflowState("wf-1", chainDag(1), { expectedVersion: 42 as any }),
      "TypeError",
      "Cannot update workflow state: expected 'expectedVersion' to be a string, found number",
    ],
  ];
  for (const [label, attempt, name, message] of cases) {
    await t.step(label, async () => {
      await assert.rejects(attempt(), { name, message });
      assert.deepEqual(await snapshot(fixture.kv), before);
    });
  }
});

Deno.test("updateWorkflowState() with an updater on a missing workflow fails without calling it", async () => {
  await using fixture = await createKvFixture();
  let called = false;
  const updater = (dag: WorkflowDag) => {
    called = true;
    return dag;
  };
  await assert.rejects(updateWorkflowState("ghost", updater), WorkflowStateNotFoundError);
  assert.equal(called, false);
  assert.deepEqual(await snapshot(fixture.kv), []);
});
