import assert from "node:assert/strict";
import { withMigratedDb } from "../../fixtures/test_db.ts";
import { migrations } from "../../src/db/migrations.ts";
import { migrate, rollback } from "../../src/db/migrator.ts";
import type { DbClient } from "../../src/db/db_client.ts";

const upTo018 = migrations.filter((m) => m.version <= 18);
const PATTERN = "0f8fad5b-d9cb-469f-a165-70867728950e";
const OTHER_PATTERN = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const ORPHAN = "16fd2706-8baf-433b-82eb-8c7fada847da";
const REPORT_2_AUDIT =
  "moved 2 audit row(s) to permission_audit_log_quarantine; merged 0 mcp_tool " +
  "row(s) into tool_schema; kept 0 tool_dependency.source value(s) in tool_dependency_source_kept; " +
  "dropped 0 workflow_dags, 0 mcp_tool (already in tool_schema) and 0 mcp_server row(s)";

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
      [19, "applied", REPORT_2_AUDIT],
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

Deno.test("019 keeps what is not redundant and counts what it drops; rollback restores source exactly", async () => {
  await withMigratedDb(async (db) => {
    await rollback(db, 18);
    await db.exec(`
      INSERT INTO tool_schema (tool_id, server_id, name, input_schema)
        VALUES ('fs:read', 'fs', 'read', '{}'), ('fs:write', 'fs', 'write', '{}'), ('git:log', 'git', 'log', '{}');
      INSERT INTO mcp_server (server_id, server_name) VALUES ('fs', 'Filesystem');
      INSERT INTO mcp_tool (server_id, tool_name, tool_schema) VALUES
        ('fs', 'read', '{"description": "old copy"}'),
        ('legacy', 'ping', '{"description": "Ping a host", "inputSchema": {"type": "object"}}');
      INSERT INTO tool_dependency (from_tool_id, to_tool_id, source) VALUES
        ('fs:read', 'fs:write', 'user'), ('fs:write', 'git:log', 'hint'), ('git:log', 'fs:read', 'learned');
      INSERT INTO workflow_dags (workflow_id, dag, expires_at) VALUES ('wf-old', '{}', NOW() - INTERVAL '1 day');
    `);
    const { results } = await migrate(db);
    assert.deepEqual(results.map((r) => r.report), [
      "moved 0 audit row(s) to permission_audit_log_quarantine; merged 1 mcp_tool row(s) into tool_schema; " +
      "kept 2 tool_dependency.source value(s) in tool_dependency_source_kept; dropped 1 workflow_dags, " +
      "1 mcp_tool (already in tool_schema) and 1 mcp_server row(s)",
    ]);
    assert.deepEqual(
      await db.queryOne(
        "SELECT server_id, name, description, input_schema FROM tool_schema WHERE tool_id = 'legacy:ping'",
      ),
      {
        server_id: "legacy",
        name: "ping",
        description: "Ping a host",
        input_schema: { type: "object" },
      },
    );
    assert.deepEqual(
      await db.query(
        "SELECT from_tool_id, source FROM tool_dependency_source_kept ORDER BY from_tool_id",
      ),
      [{ from_tool_id: "fs:read", source: "user" }, { from_tool_id: "fs:write", source: "hint" }],
    );
    await rollback(db, 18);
    assert.deepEqual(
      await db.query("SELECT from_tool_id, source FROM tool_dependency ORDER BY from_tool_id"),
      [
        { from_tool_id: "fs:read", source: "user" },
        { from_tool_id: "fs:write", source: "hint" },
        { from_tool_id: "git:log", source: "learned" },
      ],
    );
    assert.equal(await count(db, "tool_schema"), 4, "the merged tool stays in tool_schema");
  });
});
