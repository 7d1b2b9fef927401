import assert from "node:assert/strict";
import { withMigratedDb } from "../../../../fixtures/test_db.ts";
import { migrations } from "../../../../src/db/schema/migrations.ts";
import { migrate } from "../../../../src/db/migrate/migrator.ts";
import { migrated, rolledBack } from "../../migrated.ts";
import type { DbClient } from "../../../../src/db/client/db_client.ts";
import { moveWorkflowDagsToKv } from "../../../../src/upgrade/move_workflow_dags.ts";
import { FakeClock } from "../../../../fixtures/fake_clock.ts";
import { WorkflowStateCache } from "../../../../src/cache/workflow_state_cache.ts";

// Each test starts from a database at 018 and applies 019 alone (`to: 19`), whatever migrations follow it.
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
    const results = await migrated(db, { to: 19 });
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
    await migrated(db, { to: 19 });
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
    await migrated(db, { to: 19 });
    await rolledBack(db, { to: 18 });
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

const MINUTE = 60_000;
const LIVE_DAG = { tasks: [{ id: "a", tool: "fs:read", arguments: { path: "/" }, dependsOn: [] }] };

/** The database's NOW() in whole milliseconds, rounded down to the second (so NOW() is not earlier). */
async function dbNowMs(db: DbClient): Promise<number> {
  const row = await db.queryOne<{ s: number }>(
    "SELECT floor(extract(epoch FROM NOW()))::float8 AS s",
  );
  return (row?.s ?? Number.NaN) * 1000;
}

/** One row of each kind 019 merges, keeps, moves or drops, at version 18. */
async function seedEveryKind(db: DbClient, nowMs: number): Promise<void> {
  await db.exec(`
    INSERT INTO tool_schema (tool_id, server_id, name, input_schema)
      VALUES ('fs:read', 'fs', 'read', '{"type": "object"}'), ('fs:write', 'fs', 'write', '{}'),
        ('git:log', 'git', 'log', '{}');
    INSERT INTO mcp_server (server_id, server_name) VALUES ('fs', 'Filesystem');
    INSERT INTO mcp_tool (server_id, tool_name, tool_schema) VALUES
      ('fs', 'read', '{"description": "old copy"}'),
      ('legacy', 'ping', '{"name": "ping", "description": "Ping a host",
        "inputSchema": {"type": "object", "properties": {"host": {"type": "string"}}},
        "outputSchema": {"type": "object"}}');
    INSERT INTO tool_dependency (from_tool_id, to_tool_id, source) VALUES
      ('fs:read', 'fs:write', 'user'), ('fs:write', 'git:log', 'hint'), ('git:log', 'fs:read', 'learned');
  `);
  await db.query(
    "INSERT INTO workflow_dags (workflow_id, dag, intent, expires_at) VALUES " +
      "('wf-live', $1, 'list the root', to_timestamp($2 / 1000.0)), " +
      "('wf-old', '{\"tasks\": []}', NULL, to_timestamp($3 / 1000.0))",
    [LIVE_DAG, nowMs + 30 * MINUTE, nowMs - 5 * MINUTE],
  );
}

Deno.test("019 after moveWorkflowDagsToKv(): every row is merged, kept, moved or counted as dropped", async (t) => {
  await withMigratedDb(async (db) => {
    await seedAt018(db);
    const nowMs = await dbNowMs(db);
    await seedEveryKind(db, nowMs);
    using kv = await Deno.openKv(":memory:");
    const clock = new FakeClock(nowMs);

    await t.step("the step moves the live DAG with the TTL it had left", async () => {
      assert.deepEqual(await moveWorkflowDagsToKv(db, { kv, clock }), { moved: 1, expired: 1 });
      const record = await new WorkflowStateCache({ kv, clock }).getRecord("wf-live");
      assert.deepEqual(
        { dag: record?.dag, intent: record?.intent, expiresAt: record?.expires_at.getTime() },
        { dag: LIVE_DAG, intent: "list the root", expiresAt: nowMs + 30 * MINUTE },
      );
      assert.deepEqual(await db.query("SELECT workflow_id FROM workflow_dags"), [
        { workflow_id: "wf-old" },
      ]);
    });

    await t.step("019's report counts what was moved, merged, kept and dropped", async () => {
      const results = await migrated(db, { to: 19 });
      assert.deepEqual(results.map((r) => [r.version, r.status, r.report]), [[
        19,
        "applied",
        "moved 2 audit row(s) to permission_audit_log_quarantine; merged 1 mcp_tool row(s) into " +
        "tool_schema; kept 2 tool_dependency.source value(s) in tool_dependency_source_kept; dropped 1 " +
        "workflow_dags, 1 mcp_tool (already in tool_schema) and 1 mcp_server row(s)",
      ]]);
    });

    await t.step(
      "tool_schema holds the merged tool; the copy it had is left as it was",
      async () => {
        assert.deepEqual(
          await db.query(
            "SELECT tool_id, server_id, name, description, input_schema, output_schema FROM tool_schema " +
              "WHERE tool_id IN ('legacy:ping', 'fs:read') ORDER BY tool_id",
          ),
          [
            {
              tool_id: "fs:read",
              server_id: "fs",
              name: "read",
              description: null,
              input_schema: { type: "object" },
              output_schema: null,
            },
            {
              tool_id: "legacy:ping",
              server_id: "legacy",
              name: "ping",
              description: "Ping a host",
              input_schema: { type: "object", properties: { host: { type: "string" } } },
              output_schema: { type: "object" },
            },
          ],
        );
      },
    );

    await t.step("the non-default source values are kept", async () => {
      assert.deepEqual(
        await db.query(
          "SELECT from_tool_id, to_tool_id, source FROM tool_dependency_source_kept ORDER BY from_tool_id",
        ),
        [
          { from_tool_id: "fs:read", to_tool_id: "fs:write", source: "user" },
          { from_tool_id: "fs:write", to_tool_id: "git:log", source: "hint" },
        ],
      );
    });

    await t.step("rollback to 18 gives every edge its source back exactly", async () => {
      await rolledBack(db, { to: 18 });
      assert.deepEqual(
        await db.query("SELECT from_tool_id, source FROM tool_dependency ORDER BY from_tool_id"),
        [
          { from_tool_id: "fs:read", source: "user" },
          { from_tool_id: "fs:write", source: "hint" },
          { from_tool_id: "git:log", source: "learned" },
        ],
      );
      const kept = await db.queryOne<{ t: string | null }>(
        "SELECT to_regclass('tool_dependency_source_kept')::text AS t",
      );
      assert.equal(kept?.t, null);
      assert.equal(await count(db, "tool_schema"), 4, "the merged tool stays in tool_schema");
    });
  }, { migrations: upTo018 });
});

Deno.test("019 refuses to drop live workflow_dags rows when nothing moves them", async (t) => {
  await withMigratedDb(async (db) => {
    const nowMs = await dbNowMs(db);
    await seedEveryKind(db, nowMs);
    const unchanged = async () => {
      // Nothing is lost: 019 left nothing behind, both rows are still there.
      assert.deepEqual(
        await db.query("SELECT workflow_id FROM workflow_dags ORDER BY workflow_id"),
        [{ workflow_id: "wf-live" }, { workflow_id: "wf-old" }],
      );
      assert.equal(await count(db, "mcp_tool"), 2);
      assert.deepEqual(
        await db.query("SELECT version FROM migrations_history WHERE version = 19"),
        [],
      );
    };
    await t.step("without the move context, before any SQL runs", async () => {
      const { results, error } = await migrate(db, { to: 19 });
      assert.ok(error !== undefined);
      assert.equal(error.code, "MIGRATION_REQUIREMENT_MISSING");
      assert.equal(error.version, 19);
      assert.equal(
        error.message,
        "Cannot apply migration 19 (db_schema_cleanup): workflow_dags holds 1 live row(s) (first: " +
          "'wf-live') that dropping the table would lose; pass context: workflowDagsMoveContext({ kv }) " +
          "to migrate() so 019 moves them into Deno KV first",
      );
      assert.deepEqual(results.map((r) => [r.version, r.status]), [[19, "failed"]]);
      await unchanged();
    });
    await t.step("with a move service that moved nothing, the SQL refuses them too", async () => {
      const context = { moveWorkflowDags: () => Promise.resolve() };
      const { error } = await migrate(db, { to: 19, context });
      assert.ok(error !== undefined);
      assert.equal(error.code, "MIGRATION_FAILED");
      assert.match(
        error.message,
        /^Cannot apply migration 19 \(db_schema_cleanup\): workflow_dags holds 1 live row\(s\) \(first: 'wf-live'\) that dropping the table would lose; call moveWorkflowDagsToKv\(db, \{ kv \}\) to move them into Deno KV, then migrate again; failing statement: DO /,
      );
      await unchanged();
    });
  }, { migrations: upTo018 });
});

Deno.test("019 refuses an mcp_tool row that has no valid tool id, and keeps it", async () => {
  await withMigratedDb(async (db) => {
    await db.exec(
      "INSERT INTO mcp_tool (server_id, tool_name, tool_schema) VALUES ('a:b', 'c', '{}')",
    );
    await assert.rejects(migrated(db, { to: 19 }), {
      code: "MIGRATION_FAILED",
      message: new RegExp(
        "^Cannot apply migration 19 \\(db_schema_cleanup\\): mcp_tool row 1 \\(server_id 'a:b', " +
          "tool_name 'c'\\) has no valid tool id",
      ),
    });
    assert.equal(await count(db, "mcp_tool"), 1);
  }, { migrations: upTo018 });
});
