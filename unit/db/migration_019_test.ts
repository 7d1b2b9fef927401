import assert from "node:assert/strict";
import { withMigratedDb } from "../../fixtures/test_db.ts";
import { migrations } from "../../src/db/migrations.ts";
import { migrate, rollback } from "../../src/db/migrator.ts";
import type { DbClient } from "../../src/db/db_client.ts";

const upTo018 = migrations.filter((m) => m.version <= 18);
const PATTERN = "0f8fad5b-d9cb-469f-a165-70867728950e";
const OTHER_PATTERN = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const ORPHAN = "16fd2706-8baf-433b-82eb-8c7fada847da";

async function seedAt018(db: DbClient): Promise<void> {
  const embedding = `[${new Array(1024).fill(0.1).join(",")}]`;
  for (const [id, hash] of [[PATTERN, "h1"], [OTHER_PATTERN, "h2"]] as const) {
    await db.query(
      "INSERT INTO workflow_pattern (pattern_id, pattern_hash, dag_structure, intent_embedding) " +
        "VALUES ($1, $2, '{}', $3::vector)",
      [id, hash, embedding],
    );
  }
  const rows: [string, string][] = [
    ["lower", PATTERN],
    ["upper", OTHER_PATTERN.toUpperCase()],
    ["braced", `{${PATTERN}}`],
    ["no-hyphens", OTHER_PATTERN.replaceAll("-", "")],
    ["not-uuid", "capability-42"],
    ["orphan", ORPHAN],
  ];
  for (const [id, capability] of rows) {
    await db.query(
      "INSERT INTO permission_audit_log (id, timestamp, capability_id, from_set, to_set, approved) " +
        "VALUES ($1, 1700000000000, $2, 'minimal', 'filesystem', 1)",
      [id, capability],
    );
  }
}

async function count(db: DbClient, table: string): Promise<number> {
  const row = await db.queryOne<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row?.n ?? -1;
}

Deno.test("019 converts every form of UUID and quarantines the rest without losing a row", async () => {
  await withMigratedDb(async (db) => {
    await seedAt018(db);
    const { results } = await migrate(db);
    assert.deepEqual(results.map((r) => [r.version, r.status, r.report]), [
      [19, "applied", "moved 2 audit row(s) to permission_audit_log_quarantine"],
    ]);
    assert.deepEqual(
      await db.query("SELECT id, capability_id FROM permission_audit_log ORDER BY id"),
      [
        { id: "braced", capability_id: PATTERN },
        { id: "lower", capability_id: PATTERN },
        { id: "no-hyphens", capability_id: OTHER_PATTERN },
        { id: "upper", capability_id: OTHER_PATTERN },
      ],
    );
    assert.deepEqual(
      await db.query(
        "SELECT id, capability_id, quarantine_reason FROM permission_audit_log_quarantine ORDER BY id",
      ),
      [
        {
          id: "not-uuid",
          capability_id: "capability-42",
          quarantine_reason: "capability_id is not a UUID",
        },
        {
          id: "orphan",
          capability_id: ORPHAN,
          quarantine_reason: "capability_id names no workflow_pattern",
        },
      ],
    );
    assert.equal(
      (await count(db, "permission_audit_log")) +
        (await count(db, "permission_audit_log_quarantine")),
      6,
    );
  }, { migrations: upTo018 });
});

Deno.test("019's foreign key refuses to delete an audited capability, naming the constraint", async () => {
  await withMigratedDb(async (db) => {
    await seedAt018(db);
    await migrate(db);
    await assert.rejects(
      db.query("DELETE FROM workflow_pattern WHERE pattern_id = $1", [PATTERN]),
      {
        name: "DbError",
        code: "DB_QUERY_FAILED",
        sqlState: "23001",
        constraint: "fk_permission_audit_capability",
        message:
          'Cannot run query: update or delete on table "workflow_pattern" violates RESTRICT ' +
          'setting of foreign key constraint "fk_permission_audit_capability" on table ' +
          '"permission_audit_log"',
      },
    );
    assert.equal(await count(db, "workflow_pattern"), 2);
  }, { migrations: upTo018 });
});

Deno.test("019's down restores TEXT ids and moves quarantined rows back", async () => {
  await withMigratedDb(async (db) => {
    await seedAt018(db);
    await migrate(db);
    await rollback(db, 18);
    assert.deepEqual(
      await db.query("SELECT id, capability_id FROM permission_audit_log ORDER BY id"),
      [
        { id: "braced", capability_id: PATTERN },
        { id: "lower", capability_id: PATTERN },
        { id: "no-hyphens", capability_id: OTHER_PATTERN },
        { id: "not-uuid", capability_id: "capability-42" },
        { id: "orphan", capability_id: ORPHAN },
        { id: "upper", capability_id: OTHER_PATTERN },
      ],
    );
    const quarantine = await db.queryOne<{ t: string | null }>(
      "SELECT to_regclass('permission_audit_log_quarantine')::text AS t",
    );
    assert.equal(quarantine?.t, null);
  }, { migrations: upTo018 });
});
