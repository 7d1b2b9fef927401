import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import {
  cleanupExpiredDAGs,
  deleteWorkflowDAG,
  extendWorkflowDAGExpiration,
  getWorkflowDAG,
  getWorkflowDAGRecord,
  saveWorkflowDAG,
  updateWorkflowDAG,
} from "../../src/mcp/workflow-dag-store.ts";
import * as legacyInCache from "../../src/cache/legacy_workflow_dag_store.ts";
import {
  getWorkflowState,
  getWorkflowStateRecord,
  saveWorkflowState,
  WORKFLOW_STATE_TTL_MS,
} from "../../src/cache/workflow-state-cache.ts";
import { WorkflowStateNotFoundError } from "../../src/cache/cache_error.ts";
import { chainDag } from "./_dags.ts";
import { headerVersion, snapshot } from "./_hooked_kv.ts";

const MINUTE = 60_000;
/** The legacy functions ignore their first argument, once a database handle. */
const db = { query: () => Promise.reject(new Error("the database must not be used")) };

Deno.test("src/mcp/workflow-dag-store.ts re-exports the legacy API of the cache", () => {
  assert.equal(saveWorkflowDAG, legacyInCache.saveWorkflowDAG);
  assert.equal(cleanupExpiredDAGs, legacyInCache.cleanupExpiredDAGs);
});

Deno.test("saveWorkflowDAG() and getWorkflowDAG() share state with the new API", async () => {
  await using _fixture = await createKvFixture();
  await saveWorkflowDAG(db, "legacy", chainDag(2), "old api");
  assert.deepEqual(await getWorkflowState("legacy"), chainDag(2));
  await saveWorkflowState("modern", chainDag(3), "new api");
  assert.deepEqual(await getWorkflowDAG(db, "modern"), chainDag(3));
  assert.deepEqual(
    await getWorkflowDAGRecord(db, "modern"),
    await getWorkflowStateRecord("modern"),
  );
});

Deno.test("saveWorkflowDAG() stores its default empty intent as null", async () => {
  await using _fixture = await createKvFixture();
  await saveWorkflowDAG(db, "wf-1", chainDag(1));
  assert.equal((await getWorkflowDAGRecord(db, "wf-1"))?.intent, null);
});

Deno.test("getWorkflowDAG() sees the state at 3,599,999 ms and not at 3,600,000 ms", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowDAG(db, "wf-1", chainDag(1));
  fixture.clock.set(3_599_999);
  assert.deepEqual(await getWorkflowDAG(db, "wf-1"), chainDag(1));
  fixture.clock.set(3_600_000);
  assert.equal(await getWorkflowDAG(db, "wf-1"), null);
  assert.equal(await getWorkflowDAGRecord(db, "wf-1"), null);
});

Deno.test("updateWorkflowDAG() replaces the DAG and refreshes the TTL", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowDAG(db, "wf-1", chainDag(1), "plan");
  fixture.clock.set(45 * MINUTE);
  await updateWorkflowDAG(db, "wf-1", chainDag(2, "replanned"));
  assert.deepEqual(await getWorkflowDAGRecord(db, "wf-1"), {
    workflow_id: "wf-1",
    dag: chainDag(2, "replanned"),
    intent: "plan",
    created_at: new Date(0),
    expires_at: new Date(105 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
});

Deno.test("updateWorkflowDAG() on a missing workflow fails naming the id", async () => {
  await using fixture = await createKvFixture();
  await assert.rejects(updateWorkflowDAG(db, "ghost", chainDag(1)), {
    name: "WorkflowStateNotFoundError",
    message:
      'Cannot update workflow state "ghost": no live state has this id (never saved, deleted or expired)',
  });
  await assert.rejects(updateWorkflowDAG(db, "ghost", chainDag(1)), WorkflowStateNotFoundError);
  assert.deepEqual(await snapshot(fixture.kv), []);
});

Deno.test("deleteWorkflowDAG() removes the state; deleting a missing one is harmless", async () => {
  await using fixture = await createKvFixture();
  await saveWorkflowDAG(db, "wf-1", chainDag(2_000));
  await deleteWorkflowDAG(db, "wf-1");
  await deleteWorkflowDAG(db, "wf-1");
  assert.equal(await getWorkflowDAG(db, "wf-1"), null);
  assert.deepEqual(await snapshot(fixture.kv), []);
});

Deno.test("extendWorkflowDAGExpiration() restarts the TTL; a missing workflow is a no-op", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowDAG(db, "wf-1", chainDag(2_000), "big");
  fixture.clock.set(50 * MINUTE);
  await extendWorkflowDAGExpiration(db, "wf-1");
  fixture.clock.set(109 * MINUTE);
  assert.deepEqual(await getWorkflowDAGRecord(db, "wf-1"), {
    workflow_id: "wf-1",
    dag: chainDag(2_000),
    intent: "big",
    created_at: new Date(0),
    expires_at: new Date(110 * MINUTE),
    version: await headerVersion(fixture.kv, "wf-1"),
  });
  const before = await snapshot(fixture.kv);
  await extendWorkflowDAGExpiration(db, "ghost");
  assert.deepEqual(await snapshot(fixture.kv), before);
});

Deno.test("cleanupExpiredDAGs() sweeps the expired states and returns how many", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await saveWorkflowDAG(db, "old-1", chainDag(1));
  await saveWorkflowDAG(db, "old-2", chainDag(2_000));
  fixture.clock.set(30 * MINUTE);
  await saveWorkflowDAG(db, "young", chainDag(1));
  fixture.clock.set(WORKFLOW_STATE_TTL_MS);
  assert.equal(await cleanupExpiredDAGs(db), 2);
  assert.equal(await cleanupExpiredDAGs(db), 0);
  const keys = [];
  for await (const entry of fixture.kv.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, [["workflow", "young"]]);
});
