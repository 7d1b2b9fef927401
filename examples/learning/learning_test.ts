import assert from "node:assert/strict";
import { migrate, rollback, status } from "@pml/store";
import { FakeClock } from "@pml/store/fixtures/kv";
import { withFastDb, withMigratedDb } from "@pml/store/fixtures/db";
import type { DbClient } from "@pml/store";
import { learningMigrations } from "./mod.ts";

const migrations = learningMigrations;

/** Two capabilities, three executions: two of the first's code, one of no capability. */
async function seed(db: DbClient): Promise<void> {
  await db.exec(`
    INSERT INTO workflow_pattern (pattern_id, pattern_hash, dag_structure, intent_embedding, code_hash)
    VALUES
      ('00000000-0000-0000-0000-0000000000a1', 'p1', '{}', array_fill(0.1, ARRAY[1024])::vector, 'code-1'),
      ('00000000-0000-0000-0000-0000000000a2', 'p2', '{}', array_fill(0.2, ARRAY[1024])::vector, 'code-2');
    INSERT INTO workflow_execution
      (execution_id, dag_structure, success, execution_time_ms, code_hash, executed_at)
    VALUES
      ('00000000-0000-0000-0000-0000000000e1', '{}', true, 120, 'code-1', '2026-12-01 10:00:00'),
      ('00000000-0000-0000-0000-0000000000e2', '{}', false, 80, 'code-1', '2026-12-01 11:00:00'),
      ('00000000-0000-0000-0000-0000000000e3', '{}', true, 50, 'other', '2026-12-01 12:00:00');
  `);
}

async function tableExists(db: DbClient, name: string): Promise<boolean> {
  const row = await db.queryOne<{ t: string | null }>(
    "SELECT to_regclass($1)::text AS t",
    [name],
  );
  return row?.t != null;
}

Deno.test("021 backfills the traces of 020 from the state before it, and rolls back to 019", async () => {
  await withFastDb(async (db) => {
    // The state after 020: its table is there and empty, 021 is pending.
    assert.equal((await status(db, { migrations })).currentVersion, 20);
    assert.equal(await tableExists(db, "capability_trace"), true);
    await seed(db);
    const clock = new FakeClock(Date.UTC(2026, 11, 7));
    const { results, error } = await migrate(db, {
      migrations,
      to: 21,
      context: { clock },
    });
    assert.equal(error, undefined);
    assert.deepEqual(results.map((r) => [r.version, r.status]), [[
      21,
      "applied",
    ]]);
    const traces = await db.query(
      `SELECT execution_id::text, capability_id::text, success, duration_ms, recorded_at
       FROM capability_trace ORDER BY execution_id`,
    );
    assert.deepEqual(traces, [
      {
        execution_id: "00000000-0000-0000-0000-0000000000e1",
        capability_id: "00000000-0000-0000-0000-0000000000a1",
        success: true,
        duration_ms: 120,
        recorded_at: new Date(Date.UTC(2026, 11, 7)),
      },
      {
        execution_id: "00000000-0000-0000-0000-0000000000e2",
        capability_id: "00000000-0000-0000-0000-0000000000a1",
        success: false,
        duration_ms: 80,
        recorded_at: new Date(Date.UTC(2026, 11, 7)),
      },
    ]);
    const back = await rollback(db, { migrations, to: 19 });
    assert.equal(back.error, undefined);
    assert.deepEqual(back.results.map((r) => r.version), [21, 20]);
    assert.equal(await tableExists(db, "capability_trace"), false);
    assert.equal((await status(db, { migrations })).pendingCount, 2);
  }, { migrations, version: 20 });
});

Deno.test("deleting a capability deletes its traces (the foreign key to 010's workflow_pattern)", async () => {
  await withFastDb(async (db) => {
    await seed(db);
    await migrate(db, { migrations, to: 21 });
    await db.query(
      "DELETE FROM workflow_pattern WHERE pattern_id = '00000000-0000-0000-0000-0000000000a1'",
    );
    assert.deepEqual(
      await db.query("SELECT count(*)::int AS n FROM capability_trace"),
      [{ n: 0 }],
    );
  }, { migrations, version: 20 });
});

Deno.test("the whole list, pml-store's and the package's, is idempotent", async () => {
  await withMigratedDb(async (db) => {
    const state = await status(db, { migrations });
    assert.equal(state.currentVersion, 21);
    assert.equal(state.pendingCount, 0);
    assert.equal(state.entries.at(-1)?.unchecked, undefined);
  }, { migrations });
});

Deno.test("withFastDb at the list's last version has 021 applied", async () => {
  await withFastDb(async (db) => {
    assert.equal((await status(db, { migrations })).currentVersion, 21);
  }, { migrations });
});
