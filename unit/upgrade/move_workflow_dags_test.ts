import assert from "node:assert/strict";
import { withFastDb } from "../../fixtures/test_db.ts";
import { migrations } from "../../src/db/schema/migrations.ts";
import { runStatements } from "../../src/db/migrate/migrator.ts";
import { moveWorkflowDagsToKv } from "../../src/upgrade/move_workflow_dags.ts";
import { MigrationError } from "../../src/db/migrate/migration_error.ts";
import type { DbClient } from "../../src/db/client/db_client.ts";
import { FakeClock } from "../../fixtures/fake_clock.ts";
import { WorkflowStateCache } from "../../src/cache/workflow_state_cache.ts";

const NOW = 1_750_000_000_000;
const MINUTE = 60_000;
const DAG = { tasks: [{ id: "a", tool: "fs:read", arguments: {}, dependsOn: [] }] };

/** A database at the last migration with the table of migration 008 back, as at version 18. */
async function withWorkflowDags(fn: (db: DbClient) => Promise<void>): Promise<void> {
  await withFastDb(async (db) => {
    await runStatements(db, migrations.find((m) => m.version === 8)!, "up");
    await fn(db);
  });
}

async function insertDag(
  db: DbClient,
  id: string,
  dag: unknown,
  expiresAtMs: number | null,
): Promise<void> {
  await db.query(
    "INSERT INTO workflow_dags (workflow_id, dag, expires_at) VALUES ($1, $2, to_timestamp($3 / 1000.0))",
    [id, dag as object, expiresAtMs],
  );
}

async function remainingIds(db: DbClient): Promise<string[]> {
  const rows = await db.query<{ workflow_id: string }>(
    "SELECT workflow_id FROM workflow_dags ORDER BY workflow_id",
  );
  return rows.map((row) => row.workflow_id);
}

Deno.test("moveWorkflowDagsToKv() does nothing when workflow_dags does not exist", async () => {
  await withFastDb(async (db) => {
    using kv = await Deno.openKv(":memory:");
    assert.deepEqual(await moveWorkflowDagsToKv(db, { kv, clock: new FakeClock(NOW) }), {
      moved: 0,
      expired: 0,
    });
  });
});

Deno.test("moveWorkflowDagsToKv() moves live rows with their remaining TTL and leaves expired ones", async () => {
  await withWorkflowDags(async (db) => {
    await insertDag(db, "wf-live", DAG, NOW + 20 * MINUTE);
    await insertDag(db, "wf-now", DAG, NOW);
    await insertDag(db, "wf-old", DAG, NOW - MINUTE);
    await insertDag(db, "wf-no-expiry", DAG, null);
    using kv = await Deno.openKv(":memory:");
    const clock = new FakeClock(NOW);
    assert.deepEqual(await moveWorkflowDagsToKv(db, { kv, clock }), { moved: 1, expired: 3 });
    assert.deepEqual(await remainingIds(db), ["wf-no-expiry", "wf-now", "wf-old"]);
    const cache = new WorkflowStateCache({ kv, clock });
    assert.equal((await cache.getRecord("wf-live"))?.expires_at.getTime(), NOW + 20 * MINUTE);
    assert.equal(await cache.get("wf-old"), null);
    clock.advance(20 * MINUTE);
    assert.equal(await cache.get("wf-live"), null, "it expires when the row would have");
  });
});

Deno.test("moveWorkflowDagsToKv() keeps a row the cache refuses and names it, moving the others", async () => {
  await withWorkflowDags(async (db) => {
    await insertDag(db, "wf-bad", { steps: [] }, NOW + MINUTE);
    await insertDag(db, "wf-good", DAG, NOW + MINUTE);
    using kv = await Deno.openKv(":memory:");
    const clock = new FakeClock(NOW);
    const error = await moveWorkflowDagsToKv(db, { kv, clock }).catch((e) => e);
    assert.ok(error instanceof MigrationError);
    assert.equal(error.code, "MIGRATION_DATA_INVALID");
    assert.equal(error.version, 19);
    assert.ok(error.cause instanceof TypeError);
    assert.equal(
      error.message,
      "Cannot move workflow_dags to Deno KV: the workflow state cache refuses 1 live row(s), left in " +
        `workflow_dags: "wf-bad" (${error.cause.message}); correct or delete them in workflow_dags, ` +
        "then migrate again (1 other row(s) were written to KV; a rolled-back migration leaves them in " +
        "both places, and the next run writes them again)",
    );
    assert.match(error.cause.message, /dag\.tasks/);
    assert.deepEqual(await remainingIds(db), ["wf-bad"]);
    assert.deepEqual(await new WorkflowStateCache({ kv, clock }).get("wf-good"), DAG);
  });
});

Deno.test("moveWorkflowDagsToKv() deletes a row only after its KV write: a crash leaves it in both", async () => {
  await withWorkflowDags(async (db) => {
    await insertDag(db, "wf-1", DAG, NOW + MINUTE);
    using kv = await Deno.openKv(":memory:");
    const clock = new FakeClock(NOW);
    const crash = new Error("crashed before the delete");
    const crashing: DbClient = Object.create(db, {
      query: {
        value: (sql: string, params?: unknown[]) =>
          sql.startsWith("DELETE") ? Promise.reject(crash) : db.query(sql, params as []),
      },
    });
    await assert.rejects(moveWorkflowDagsToKv(crashing, { kv, clock }), (e) => e === crash);
    assert.deepEqual(await remainingIds(db), ["wf-1"]);
    assert.deepEqual(await new WorkflowStateCache({ kv, clock }).get("wf-1"), DAG);
    // Running the step again finishes the move.
    assert.deepEqual(await moveWorkflowDagsToKv(db, { kv, clock }), { moved: 1, expired: 0 });
    assert.deepEqual(await remainingIds(db), []);
  });
});

Deno.test("moveWorkflowDagsToKv() leaves the row when the KV write fails", async () => {
  await withWorkflowDags(async (db) => {
    await insertDag(db, "wf-1", DAG, NOW + MINUTE);
    const kv = await Deno.openKv(":memory:");
    kv.close();
    await assert.rejects(moveWorkflowDagsToKv(db, { kv, clock: new FakeClock(NOW) }));
    assert.deepEqual(await remainingIds(db), ["wf-1"]);
  });
});
