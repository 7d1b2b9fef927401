// 019 moves live workflow_dags rows into Deno KV as migrate() runs it, given the move context.
import assert from "node:assert/strict";
import { openDatabase } from "../../src/db/open_database.ts";
import { migrate } from "../../src/db/migrate/migrator.ts";
import { status } from "../../src/db/migrate/migration_status.ts";
import { MigrationError } from "../../src/db/migrate/migration_error.ts";
import { workflowDagsMoveContext } from "../../src/upgrade/move_workflow_dags.ts";
import { WorkflowStateCache } from "../../src/cache/workflow_state_cache.ts";
import type { DbClient } from "../../src/db/client/db_client.ts";

const DAG = { tasks: [{ id: "a", tool: "fs:read", arguments: {}, dependsOn: [] }] };

/** A database at 018 with one live, one expired and, optionally, one invalid row in workflow_dags. */
async function at018(db: DbClient, invalid = false): Promise<void> {
  assert.equal((await migrate(db, { to: 18 })).error, undefined);
  await db.query(
    "INSERT INTO workflow_dags (workflow_id, dag, intent, expires_at) VALUES " +
      "('wf-live', $1, 'read', NOW() + interval '30 minutes'), ('wf-old', $1, NULL, NOW() - interval '1 minute')",
    [DAG],
  );
  if (invalid) {
    await db.query(
      "INSERT INTO workflow_dags (workflow_id, dag, expires_at) VALUES ('wf-bad', $1, NOW() + interval '1 hour')",
      [{ tasks: "not a list" }],
    );
  }
}

async function ids(db: DbClient): Promise<string[]> {
  const rows = await db.query<{ workflow_id: string }>(
    "SELECT workflow_id FROM workflow_dags ORDER BY workflow_id",
  );
  return rows.map((r) => r.workflow_id);
}

Deno.test("migrate() with the move context moves live rows into KV in 019, and drops the rest", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  await at018(db);
  using kv = await Deno.openKv(":memory:");
  const moved: number[] = [];
  const context = workflowDagsMoveContext({ kv, onMoved: (r) => moved.push(r.moved) });
  const { results, error } = await migrate(db, { context });
  assert.equal(error, undefined);
  assert.equal(results.find((r) => r.version === 19)?.status, "applied");
  assert.match(results.find((r) => r.version === 19)?.report ?? "", /dropped 1 workflow_dags/);
  assert.deepEqual(moved, [1]);
  const record = await new WorkflowStateCache({ kv }).getRecord("wf-live");
  assert.deepEqual(record?.dag, DAG);
  assert.equal(record?.intent, "read");
  assert.equal(await new WorkflowStateCache({ kv }).get("wf-old"), null);
});

Deno.test("019 without the move context refuses live rows, naming them and what to pass", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  await at018(db);
  const { results, error } = await migrate(db);
  assert.ok(error instanceof MigrationError);
  assert.equal(error.code, "MIGRATION_REQUIREMENT_MISSING");
  assert.equal(error.version, 19);
  assert.equal(
    error.message,
    "Cannot apply migration 19 (db_schema_cleanup): workflow_dags holds 1 live row(s) (first: " +
      "'wf-live') that dropping the table would lose; pass context: workflowDagsMoveContext({ kv }) to " +
      "migrate() so 019 moves them into Deno KV first",
  );
  assert.deepEqual(results.filter((r) => r.status === "failed").map((r) => r.version), [19]);
  assert.deepEqual(await ids(db), ["wf-live", "wf-old"]);
  assert.equal((await status(db)).currentVersion, 18);
});

Deno.test("rows the cache refuses stay in workflow_dags, 019 does not run, and the others are in both places", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  await at018(db, true);
  using kv = await Deno.openKv(":memory:");
  const { error } = await migrate(db, { context: workflowDagsMoveContext({ kv }) });
  assert.ok(error instanceof MigrationError);
  assert.equal(error.code, "MIGRATION_DATA_INVALID");
  assert.match(error.message, /refuses 1 live row\(s\), left in workflow_dags: "wf-bad" \(/);
  // 019's transaction rolled back: every row is still in the table, and the valid live one is in KV too.
  assert.deepEqual(await ids(db), ["wf-bad", "wf-live", "wf-old"]);
  assert.deepEqual((await new WorkflowStateCache({ kv }).getRecord("wf-live"))?.dag, DAG);
  assert.equal((await status(db)).currentVersion, 18);
  // Once the bad row is corrected, the next run moves everything and applies 019.
  await db.query("DELETE FROM workflow_dags WHERE workflow_id = 'wf-bad'");
  assert.equal((await migrate(db, { context: workflowDagsMoveContext({ kv }) })).error, undefined);
  assert.equal((await status(db)).pendingCount, 0);
});
