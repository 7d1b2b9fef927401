/** The historical API, table-driven: the same results, shapes and error texts as the historical module. */
import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import * as historicalPath from "../../src/mcp/workflow-dag-store.ts";
import * as legacy from "../../src/cache/legacy_workflow_dag_store.ts";
import { chainDag } from "./_dags.ts";
import { test } from "../dual_runtime.ts";

/** The legacy functions ignore their first argument, once a database handle. */
const db = { query: () => Promise.reject(new Error("the database must not be used")) };
const HOUR = 3_600_000;

type Row = [name: string, call: () => Promise<unknown>, expected: unknown];

test("the legacy workflow DAG API behaves as the historical module", async (t) => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await legacy.saveWorkflowDAG(db, "wf-1", chainDag(2), "plan");
  await legacy.saveWorkflowDAG(db, "wf-2", chainDag(1));
  const rows: Row[] = [
    ["getWorkflowDAG of a saved id", () => legacy.getWorkflowDAG(db, "wf-1"), chainDag(2)],
    ["getWorkflowDAG of a missing id", () => legacy.getWorkflowDAG(db, "ghost"), null],
    ["getWorkflowDAGRecord", () => legacy.getWorkflowDAGRecord(db, "wf-1"), {
      workflow_id: "wf-1",
      dag: chainDag(2),
      intent: "plan",
      created_at: new Date(0),
      expires_at: new Date(HOUR),
    }],
    [
      "getWorkflowDAGRecord, default intent",
      async () => (await legacy.getWorkflowDAGRecord(db, "wf-2"))?.intent,
      null,
    ],
    ["getWorkflowDAGRecord of a missing id", () => legacy.getWorkflowDAGRecord(db, "ghost"), null],
    ["updateWorkflowDAG", async () => {
      fixture.clock.set(10);
      await legacy.updateWorkflowDAG(db, "wf-1", chainDag(3));
      return (await legacy.getWorkflowDAGRecord(db, "wf-1"))?.expires_at;
    }, new Date(10 + HOUR)],
    ["extendWorkflowDAGExpiration", async () => {
      fixture.clock.set(20);
      await legacy.extendWorkflowDAGExpiration(db, "wf-1");
      return (await legacy.getWorkflowDAGRecord(db, "wf-1"))?.expires_at;
    }, new Date(20 + HOUR)],
    [
      "extendWorkflowDAGExpiration of a missing id",
      () => legacy.extendWorkflowDAGExpiration(db, "ghost"),
      undefined,
    ],
    ["deleteWorkflowDAG, twice", async () => [
      await legacy.deleteWorkflowDAG(db, "wf-2"),
      await legacy.deleteWorkflowDAG(db, "wf-2"),
      await legacy.getWorkflowDAG(db, "wf-2"),
    ], [undefined, undefined, null]],
    ["cleanupExpiredDAGs", () => {
      fixture.clock.set(20 + HOUR);
      return legacy.cleanupExpiredDAGs(db);
    }, 1],
  ];
  for (const [name, call, expected] of rows) {
    await t.step(name, async () => assert.deepEqual(await call(), expected));
  }
  await t.step(
    "updateWorkflowDAG of a missing id throws the historical text, with our code",
    async () => {
      await assert.rejects(legacy.updateWorkflowDAG(db, "ghost", chainDag(1)), {
        name: "CacheError",
        message: "Workflow ghost not found",
        code: "WORKFLOW_STATE_NOT_FOUND",
      });
    },
  );
});

test("src/mcp/workflow-dag-store.ts re-exports the legacy API", () => {
  for (const name of Object.keys(legacy) as (keyof typeof legacy)[]) {
    assert.equal(historicalPath[name], legacy[name], name);
  }
});
