/**
 * E2E 01 — init: after migrations 001–019 the database has exactly the schema a gateway relies on:
 * `tool_schema` as the one tool table, pgvector with HNSW cosine indexes, and the tables 019 dropped gone.
 * It replays the registry up to 019 only, so a later migration does not change what it pins; the schema
 * after the last migration is pinned by the golden snapshot (fixtures/golden_schema.txt).
 */
import assert from "node:assert/strict";
import { withMigratedDb } from "../fixtures/test_db.ts";
import { migrations } from "../src/db/schema/migrations.ts";
import type { DbClient } from "../src/db/client/db_client.ts";

const UP_TO_019 = migrations.filter((m) => m.version <= 19);

const EXPECTED_TABLES = [
  "adaptive_config",
  "adaptive_thresholds",
  "algorithm_traces",
  "capability_dependency",
  "config",
  "episodic_events",
  "error_log",
  "metrics",
  "migrations_history",
  "permission_audit_log",
  "permission_audit_log_quarantine",
  "tool_dependency",
  "tool_dependency_source_kept",
  "tool_embedding",
  "tool_schema",
  "workflow_checkpoint",
  "workflow_execution",
  "workflow_pattern",
];

async function columns(db: DbClient, table: string): Promise<Record<string, string>> {
  const rows = await db.query<{ column_name: string; type: string }>(
    `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
     FROM pg_attribute a
     WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [table],
  );
  return Object.fromEntries(rows.map((row) => [row.column_name, row.type]));
}

Deno.test("01 init: the schema after migration 019", async (t) => {
  await withMigratedDb(async (db) => {
    await t.step(
      "the tables of the schema are exactly the 17 of the reference plus the history table",
      async () => {
        const rows = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
        );
        // An exact list: the tables migration 019 dropped (workflow_dags and the two MCP tables) are absent.
        assert.deepEqual(rows.map((row) => row.table_name), EXPECTED_TABLES);
      },
    );

    await t.step("no table or index of the dropped MCP schema is left", async () => {
      const rows = await db.query(
        `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND (relname LIKE 'mcp\\_%' OR relname LIKE 'idx\\_mcp\\_%'
           OR relname LIKE 'workflow\\_dags%' OR relname = 'idx_tool_dependency_source')`,
      );
      assert.deepEqual(rows, []);
    });

    await t.step("the extensions are plpgsql and vector", async () => {
      const rows = await db.query<{ extname: string }>(
        "SELECT extname FROM pg_extension ORDER BY extname",
      );
      assert.deepEqual(rows.map((row) => row.extname), ["plpgsql", "vector"]);
    });

    await t.step("tool_schema has the columns of migration 001", async () => {
      assert.deepEqual(await columns(db, "tool_schema"), {
        tool_id: "text",
        server_id: "text",
        name: "text",
        description: "text",
        input_schema: "jsonb",
        output_schema: "jsonb",
        cached_at: "timestamp with time zone",
        updated_at: "timestamp with time zone",
      });
    });

    await t.step("tool_embedding stores 1024-dimension vectors", async () => {
      assert.deepEqual(await columns(db, "tool_embedding"), {
        tool_id: "text",
        server_id: "text",
        tool_name: "text",
        embedding: "vector(1024)",
        metadata: "jsonb",
        created_at: "timestamp without time zone",
      });
    });

    await t.step("tool_dependency keeps edge_source and has no source column", async () => {
      assert.deepEqual(Object.keys(await columns(db, "tool_dependency")), [
        "from_tool_id",
        "to_tool_id",
        "observed_count",
        "confidence_score",
        "last_observed",
        "edge_type",
        "edge_source",
      ]);
    });

    await t.step(
      "both HNSW indexes use cosine distance with m = 16 and ef_construction = 64",
      async () => {
        const rows = await db.query<{ indexname: string; tablename: string; indexdef: string }>(
          `SELECT indexname, tablename, indexdef FROM pg_indexes
         WHERE schemaname = current_schema() AND indexdef LIKE '%USING hnsw%' ORDER BY indexname`,
        );
        assert.deepEqual(rows.map((row) => [row.indexname, row.tablename]), [
          ["idx_pattern_intent_embedding", "workflow_pattern"],
          ["idx_tool_embedding_hnsw", "tool_embedding"],
        ]);
        for (const row of rows) {
          assert.match(row.indexdef, /vector_cosine_ops/);
          assert.match(row.indexdef, /m='?16'?/);
          assert.match(row.indexdef, /ef_construction='?64'?/);
        }
      },
    );

    await t.step("audit rows must name a capability, which cannot then be deleted", async () => {
      const fk = await db.queryOne<
        { conname: string; target: string; on_delete: string; type: string }
      >(
        `SELECT c.conname, c.confrelid::regclass::text AS target, c.confdeltype AS on_delete,
                format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
         WHERE c.conrelid = 'permission_audit_log'::regclass AND c.contype = 'f'`,
      );
      // confdeltype 'r' is ON DELETE RESTRICT.
      assert.deepEqual(fk, {
        conname: "fk_permission_audit_capability",
        target: "workflow_pattern",
        on_delete: "r",
        type: "uuid",
      });
    });

    await t.step("the migration history lists the 18 migrations up to 019, 5 missing", async () => {
      const rows = await db.query<{ version: number }>(
        "SELECT version FROM migrations_history ORDER BY version",
      );
      assert.deepEqual(
        rows.map((row) => row.version),
        [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      );
    });
  }, { migrations: UP_TO_019 });
});
