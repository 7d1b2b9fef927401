/**
 * Cost of the cache layers against raw Deno KV, and of the workflow state cache against the historical
 * `workflow_dags` SQL table it replaced.
 *
 * Groups `get`, `set` and `update`, each with raw `Deno.openKv(":memory:")` as the baseline, then the TTL
 * layer, the workflow state cache, and the SQL store (PGlite in memory). Every subject handles the same
 * 10-task DAG. Raw KV writes pass the same `expireIn` as the layers, so the comparison isolates what the
 * layers add (envelope, clock, validation, JSON, versionstamp check).
 *
 * Run: `npx deno bench --allow-read --allow-write --allow-env bench/cache_bench.ts`
 *
 * @module
 */

import { systemClock } from "../src/cache/clock.ts";
import { TtlStore } from "../src/cache/ttl_store.ts";
import { WorkflowStateCache } from "../src/cache/workflow-state-cache.ts";
import type { WorkflowDag } from "../src/cache/workflow_dag.ts";
import { openDatabase } from "../src/db/pglite_client.ts";
import { migration as workflowDagsMigration } from "../src/db/migrations/008_workflow_dags.ts";
import { timed } from "./_medians.ts";

const HOUR = 3_600_000;

function benchDag(tag: string): WorkflowDag {
  return {
    tasks: Array.from({ length: 10 }, (_, index) => ({
      id: `task-${index}`,
      tool: "filesystem:read_file",
      arguments: { path: `/data/${tag}/file-${index}.txt` },
      dependsOn: index === 0 ? [] : [`task-${index - 1}`],
    })),
  };
}

const DAG = benchDag("first");
const NEXT_DAG = benchDag("second");
const INTENT = "read ten files";

const kv = await Deno.openKv(":memory:");
const ttl = new TtlStore({ kv, clock: systemClock });
const cache = new WorkflowStateCache({ kv, clock: systemClock });

// The historical table, created by migration 008's own SQL (019 drops it, so the migrations are not run).
const db = await openDatabase({ path: "memory://" });
await db.exec(workflowDagsMigration.up);

const SQL_UPSERT = `INSERT INTO workflow_dags (workflow_id, dag, intent) VALUES ($1, $2::jsonb, $3)
  ON CONFLICT (workflow_id) DO UPDATE SET dag = EXCLUDED.dag, intent = EXCLUDED.intent,
    created_at = NOW(), expires_at = NOW() + INTERVAL '1 hour'`;
const SQL_SELECT = `SELECT dag FROM workflow_dags WHERE workflow_id = $1 AND expires_at > NOW()`;
const SQL_EXISTS = `SELECT workflow_id FROM workflow_dags WHERE workflow_id = $1`;
const SQL_UPDATE = `UPDATE workflow_dags SET dag = $1::jsonb, expires_at = NOW() + INTERVAL '1 hour'
  WHERE workflow_id = $2`;

// Seed one state per subject, and check every subject reads it back before timing anything.
await kv.set(["raw", "wf"], DAG, { expireIn: HOUR });
await ttl.set(["ttl", "wf"], DAG, { ttlMs: HOUR });
await cache.save("wf", DAG, INTENT);
await db.query(SQL_UPSERT, ["wf", JSON.stringify(DAG), INTENT]);
const seeded = [
  (await kv.get(["raw", "wf"])).value,
  (await ttl.get(["ttl", "wf"]))?.value,
  await cache.get("wf"),
  (await db.queryOne(SQL_SELECT, ["wf"]))?.dag,
];
for (const value of seeded) {
  if (JSON.stringify(value) !== JSON.stringify(DAG)) {
    throw new Error(`Cannot run the cache benchmark: a subject read back ${JSON.stringify(value)}`);
  }
}

Deno.bench({
  name: "raw Deno KV",
  group: "get",
  baseline: true,
  fn: timed("get / raw Deno KV", async () => {
    await kv.get(["raw", "wf"]);
  }),
});
Deno.bench({
  name: "TTL layer",
  group: "get",
  fn: timed("get / TTL layer", async () => {
    await ttl.get(["ttl", "wf"]);
  }),
});
Deno.bench({
  name: "workflow state cache",
  group: "get",
  fn: timed("get / workflow state cache", async () => {
    await cache.get("wf");
  }),
});
Deno.bench({
  name: "SQL workflow_dags (PGlite)",
  group: "get",
  fn: timed("get / SQL workflow_dags (PGlite)", async () => {
    await db.query(SQL_SELECT, ["wf"]);
  }),
});

Deno.bench({
  name: "raw Deno KV",
  group: "set",
  baseline: true,
  fn: timed("set / raw Deno KV", async () => {
    await kv.set(["raw", "wf"], DAG, { expireIn: HOUR });
  }),
});
Deno.bench({
  name: "TTL layer",
  group: "set",
  fn: timed("set / TTL layer", async () => {
    await ttl.set(["ttl", "wf"], DAG, { ttlMs: HOUR });
  }),
});
Deno.bench({
  name: "workflow state cache",
  group: "set",
  fn: timed("set / workflow state cache", async () => {
    await cache.save("wf", DAG, INTENT);
  }),
});
Deno.bench({
  name: "SQL workflow_dags (PGlite)",
  group: "set",
  fn: timed("set / SQL workflow_dags (PGlite)", async () => {
    await db.query(SQL_UPSERT, ["wf", JSON.stringify(DAG), INTENT]);
  }),
});

// An update reads the current version, then writes only if it is unchanged.
Deno.bench({
  name: "raw Deno KV",
  group: "update",
  baseline: true,
  fn: timed("update / raw Deno KV", async () => {
    const current = await kv.get(["raw", "wf"]);
    await kv.atomic().check(current).set(["raw", "wf"], NEXT_DAG, { expireIn: HOUR }).commit();
  }),
});
Deno.bench({
  name: "TTL layer",
  group: "update",
  fn: timed("update / TTL layer", async () => {
    const current = await ttl.get(["ttl", "wf"]);
    await ttl.atomic()
      .check({ key: ["ttl", "wf"], versionstamp: current?.versionstamp ?? null })
      .set(["ttl", "wf"], NEXT_DAG, { ttlMs: HOUR })
      .commit();
  }),
});
Deno.bench({
  name: "workflow state cache",
  group: "update",
  fn: timed("update / workflow state cache", async () => {
    await cache.update("wf", NEXT_DAG);
  }),
});
Deno.bench({
  name: "SQL workflow_dags (PGlite)",
  group: "update",
  fn: timed("update / SQL workflow_dags (PGlite)", async () => {
    // As the historical updateWorkflowDAG: an existence check, then the update.
    await db.query(SQL_EXISTS, ["wf"]);
    await db.query(SQL_UPDATE, [JSON.stringify(NEXT_DAG), "wf"]);
  }),
});
