/**
 * Migration 019 — schema cleanup (story 11.0): workflow state moves to Deno KV, `tool_schema` becomes the one
 * tool table, `edge_source` the one provenance column of `tool_dependency`, and audit rows get a real
 * foreign key to the capability they audit.
 *
 * Where this differs from the historical 019 (see the schema reference, "[ours]"): nothing is lost silently.
 * Every row of a dropped table is merged, kept, moved, or counted as dropped in `report`.
 * - `workflow_dags`: live rows (`expires_at` later than `NOW()`) are moved into Deno KV beforehand by
 *   `moveWorkflowDagsToKv()` (src/upgrade/move_workflow_dags.ts): SQL cannot write KV. When live rows are still
 *   there, this migration refuses to run (RAISE EXCEPTION with a HINT naming that function), so they are
 *   never dropped. Expired rows, and rows whose `expires_at` is NULL, are dropped and counted: the
 *   historical reader (`WHERE expires_at > NOW()`) never returned a row with a NULL expiry either.
 * - `mcp_tool`: rows whose tool id `"<server_id>:<tool_name>"` (the format of src/discovery/tool_id.ts) is
 *   not in `tool_schema` are merged into it; rows already there are the redundant copies the spec drops
 *   (`tool_schema`, which discovery keeps current, wins). The historical `mcp_tool.tool_schema` held the
 *   MCP tool definition as `tools/list` returns it: `description` becomes `tool_schema.description`,
 *   `inputSchema` `input_schema` and `outputSchema` `output_schema` — the three fields discovery stores;
 *   other fields (`title`, `annotations`) are not kept, as discovery does not keep them either. A value
 *   without an `inputSchema` field is taken to be the input schema itself and stored whole. `created_at`
 *   and `updated_at` become `cached_at` and `updated_at`. A row whose server id is empty or contains `:`, or
 *   whose tool name is empty, has no valid tool id: the migration refuses to run rather than drop it.
 * - `mcp_server`: its rows only described servers of `mcp_tool`; they are dropped and counted.
 * - `tool_dependency.source`: values other than the default `'learned'` (NULL included) are kept in
 *   `tool_dependency_source_kept`, and `down` restores them exactly ('learned' for the others).
 * - `permission_audit_log`: rows whose `capability_id` is not a UUID, or names no capability, are moved to
 *   `permission_audit_log_quarantine` with a reason instead of being deleted; every id the uuid type
 *   accepts (any letter case, braces, no hyphens) is converted.
 * - The foreign key is `ON DELETE RESTRICT`: an audited capability cannot be deleted.
 * - Every step is guarded by the catalog, and no error is swallowed. The counts for `report` live in a
 *   temporary table dropped at commit, so a replay of `up` on a migrated database changes nothing.
 *
 * `report` says, in this order: `moved <n> audit row(s) to permission_audit_log_quarantine; merged <n>
 * mcp_tool row(s) into tool_schema; kept <n> tool_dependency.source value(s) in tool_dependency_source_kept;
 * dropped <n> workflow_dags, <n> mcp_tool (already in tool_schema) and <n> mcp_server row(s)`.
 *
 * @module
 */

import type { DbClient } from "../../client/db_client.ts";
import type { Migration, MigrationContext } from "../../migrate/migration.ts";
import { sqlChecksum } from "../../migrate/migration_checksum.ts";
import { MigrationError } from "../../migrate/migration_error.ts";
import { runMigrationSql } from "../../migrate/run_migration_sql.ts";

// Columns of permission_audit_log as 018 created them, in order.
const AUDIT_COLUMNS =
  "id, timestamp, capability_id, from_set, to_set, approved, approved_by, reason, detected_operation";

/**
 * 019's conversion of `permission_audit_log.capability_id` from TEXT to UUID, exported so that tests can run
 * it alone on every PostgreSQL version. While the column is still TEXT, rows that cannot become a valid
 * reference are moved to `permission_audit_log_quarantine` (original text kept), then the column is
 * converted. Whatever the uuid type accepts converts (any letter case, braces, no hyphens): each id is
 * tried with a cast in a block that catches exactly `invalid_text_representation` — the uuid type decides,
 * not a regular expression, and the same rows convert on PostgreSQL 14 to 18 (`pg_input_is_valid` would
 * need 16). The catalog guard reads pg_attribute rather than information_schema: same answer, a fraction
 * of the cost per replay.
 */
export const AUDIT_UUID_CONVERSION = `
CREATE TEMP TABLE IF NOT EXISTS pml_019_not_uuid (id TEXT PRIMARY KEY) ON COMMIT DROP;
DELETE FROM pml_019_not_uuid;
DO $$
DECLARE
  candidate RECORD;
  converted UUID;
BEGIN
  IF (SELECT atttypid FROM pg_attribute
      WHERE attrelid = 'permission_audit_log'::regclass AND attname = 'capability_id'
        AND NOT attisdropped) = 'text'::regtype THEN
    FOR candidate IN SELECT id, capability_id FROM permission_audit_log LOOP
      BEGIN
        converted := candidate.capability_id::uuid;
      EXCEPTION WHEN invalid_text_representation THEN
        INSERT INTO pml_019_not_uuid (id) VALUES (candidate.id);
      END;
    END LOOP;

    WITH moved AS (
      DELETE FROM permission_audit_log AS audit
      WHERE CASE
        WHEN audit.id IN (SELECT id FROM pml_019_not_uuid) THEN true
        ELSE NOT EXISTS (
          SELECT 1 FROM workflow_pattern AS pattern
          WHERE pattern.pattern_id = audit.capability_id::uuid)
      END
      RETURNING audit.*
    )
    INSERT INTO permission_audit_log_quarantine (${AUDIT_COLUMNS}, quarantine_reason)
    SELECT ${AUDIT_COLUMNS},
      CASE WHEN id IN (SELECT id FROM pml_019_not_uuid)
        THEN 'capability_id is not a UUID'
        ELSE 'capability_id names no workflow_pattern'
      END
    FROM moved;

    ALTER TABLE permission_audit_log ALTER COLUMN capability_id TYPE UUID USING capability_id::uuid;
  END IF;
END $$;
`;

const UP_SQL = `
-- What this run merged, kept and dropped, for the report query (same transaction, gone at its end).
CREATE TEMP TABLE IF NOT EXISTS pml_019_counts (kind TEXT PRIMARY KEY, n BIGINT NOT NULL) ON COMMIT DROP;
DELETE FROM pml_019_counts;

-- Live workflow state is never dropped: moveWorkflowDagsToKv() moves it into Deno KV first. What is left is
-- expired (or has no expiry, which the historical reader never returned): dropped and counted.
DO $$
DECLARE
  live BIGINT;
  first_id TEXT;
BEGIN
  IF to_regclass('workflow_dags') IS NOT NULL THEN
    SELECT count(*), min(workflow_id) INTO live, first_id FROM workflow_dags WHERE expires_at > NOW();
    IF live > 0 THEN
      RAISE EXCEPTION 'workflow_dags holds % live row(s) (first: %) that dropping the table would lose; '
        'call moveWorkflowDagsToKv(db, { kv }) to move them into Deno KV, then migrate again',
        live, quote_literal(first_id)
        USING ERRCODE = 'object_not_in_prerequisite_state',
          HINT = 'moveWorkflowDagsToKv() is exported by @pml/store (src/upgrade/move_workflow_dags.ts)';
    END IF;
    INSERT INTO pml_019_counts SELECT 'workflow_dags dropped', count(*) FROM workflow_dags;
  END IF;
END $$;
DROP TABLE IF EXISTS workflow_dags CASCADE;

-- mcp_tool rows that tool_schema lacks are merged into it under the tool id discovery builds; the mapping of
-- mcp_tool.tool_schema is explained in the header. A row without a valid tool id stops the migration.
DO $$
DECLARE
  merged BIGINT;
  total BIGINT;
  bad RECORD;
BEGIN
  IF to_regclass('mcp_tool') IS NOT NULL THEN
    SELECT id, server_id, tool_name INTO bad FROM mcp_tool
    WHERE server_id = '' OR strpos(server_id, ':') > 0 OR tool_name = ''
    ORDER BY id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'mcp_tool row % (server_id %, tool_name %) has no valid tool id "<server_id>:<tool_name>" '
        '(the server id must be non-empty without ":", the name non-empty); correct or delete the row, '
        'then migrate again', bad.id, quote_literal(bad.server_id), quote_literal(bad.tool_name)
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    WITH inserted AS (
      INSERT INTO tool_schema
        (tool_id, server_id, name, description, input_schema, output_schema, cached_at, updated_at)
      SELECT m.server_id || ':' || m.tool_name, m.server_id, m.tool_name,
        m.tool_schema ->> 'description',
        COALESCE(m.tool_schema -> 'inputSchema', m.tool_schema),
        m.tool_schema -> 'outputSchema',
        COALESCE(m.created_at, NOW()),
        COALESCE(m.updated_at, NOW())
      FROM mcp_tool AS m
      ORDER BY m.id
      ON CONFLICT (tool_id) DO NOTHING
      RETURNING 1
    )
    SELECT count(*) INTO merged FROM inserted;
    SELECT count(*) INTO total FROM mcp_tool;
    INSERT INTO pml_019_counts VALUES ('mcp_tool merged', merged), ('mcp_tool dropped', total - merged);
  END IF;
  IF to_regclass('mcp_server') IS NOT NULL THEN
    INSERT INTO pml_019_counts SELECT 'mcp_server dropped', count(*) FROM mcp_server;
  END IF;
END $$;
DROP TABLE IF EXISTS mcp_tool CASCADE;
DROP TABLE IF EXISTS mcp_server CASCADE;

-- tool_dependency.source values other than the default are kept, so that down restores them exactly.
CREATE TABLE IF NOT EXISTS tool_dependency_source_kept (
  from_tool_id TEXT NOT NULL,
  to_tool_id TEXT NOT NULL,
  source TEXT,
  PRIMARY KEY (from_tool_id, to_tool_id)
);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute
      WHERE attrelid = 'tool_dependency'::regclass AND attname = 'source' AND NOT attisdropped) THEN
    WITH kept AS (
      INSERT INTO tool_dependency_source_kept (from_tool_id, to_tool_id, source)
      SELECT from_tool_id, to_tool_id, source FROM tool_dependency
      WHERE source IS DISTINCT FROM 'learned'
      ON CONFLICT (from_tool_id, to_tool_id) DO UPDATE SET source = EXCLUDED.source
      RETURNING 1
    )
    INSERT INTO pml_019_counts SELECT 'source kept', count(*) FROM kept;
  END IF;
END $$;
DROP INDEX IF EXISTS idx_tool_dependency_source;
ALTER TABLE tool_dependency DROP COLUMN IF EXISTS source;

CREATE TABLE IF NOT EXISTS permission_audit_log_quarantine (
  id TEXT PRIMARY KEY,
  timestamp BIGINT NOT NULL,
  capability_id TEXT NOT NULL,
  from_set TEXT NOT NULL,
  to_set TEXT NOT NULL,
  approved INTEGER NOT NULL,
  approved_by TEXT,
  reason TEXT,
  detected_operation TEXT,
  quarantined_at TIMESTAMPTZ DEFAULT NOW(),
  quarantine_reason TEXT
);

${AUDIT_UUID_CONVERSION}
-- When the key is missing (also on a database whose column was already UUID): quarantine orphans, then add it.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conname = 'fk_permission_audit_capability'
      AND conrelid = 'permission_audit_log'::regclass) THEN
    WITH moved AS (
      DELETE FROM permission_audit_log AS audit
      WHERE NOT EXISTS (
        SELECT 1 FROM workflow_pattern AS pattern WHERE pattern.pattern_id = audit.capability_id)
      RETURNING audit.*
    )
    INSERT INTO permission_audit_log_quarantine (${AUDIT_COLUMNS}, quarantine_reason)
    SELECT ${AUDIT_COLUMNS}, 'capability_id names no workflow_pattern'
    FROM moved;

    ALTER TABLE permission_audit_log
      ADD CONSTRAINT fk_permission_audit_capability
      FOREIGN KEY (capability_id) REFERENCES workflow_pattern (pattern_id) ON DELETE RESTRICT;
  END IF;
END $$;
`;

const REPORT_SQL = `
SELECT format(
  'moved %s audit row(s) to permission_audit_log_quarantine; merged %s mcp_tool row(s) into tool_schema; '
    || 'kept %s tool_dependency.source value(s) in tool_dependency_source_kept; dropped %s workflow_dags, '
    || '%s mcp_tool (already in tool_schema) and %s mcp_server row(s)',
  (SELECT count(*) FROM permission_audit_log_quarantine WHERE quarantined_at = NOW()),
  COALESCE((SELECT n FROM pml_019_counts WHERE kind = 'mcp_tool merged'), 0),
  COALESCE((SELECT n FROM pml_019_counts WHERE kind = 'source kept'), 0),
  COALESCE((SELECT n FROM pml_019_counts WHERE kind = 'workflow_dags dropped'), 0),
  COALESCE((SELECT n FROM pml_019_counts WHERE kind = 'mcp_tool dropped'), 0),
  COALESCE((SELECT n FROM pml_019_counts WHERE kind = 'mcp_server dropped'), 0)
) AS report;
`;

// The dropped tables come back empty (their rows were merged, moved or counted as dropped); kept source
// values and quarantined rows move back.
const DOWN_SQL = `
CREATE TABLE IF NOT EXISTS workflow_dags (
  workflow_id TEXT PRIMARY KEY,
  dag JSONB NOT NULL,
  intent TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  expires_at TIMESTAMPTZ DEFAULT NOW() + INTERVAL '1 hour'
);
CREATE INDEX IF NOT EXISTS idx_workflow_dags_expires ON workflow_dags (expires_at);

CREATE TABLE IF NOT EXISTS mcp_server (
  id SERIAL PRIMARY KEY,
  server_id TEXT UNIQUE NOT NULL,
  server_name TEXT,
  connection_info JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS mcp_tool (
  id SERIAL PRIMARY KEY,
  server_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  tool_schema JSONB NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  UNIQUE (server_id, tool_name)
);
CREATE INDEX IF NOT EXISTS idx_mcp_tool_server_id ON mcp_tool (server_id);
CREATE INDEX IF NOT EXISTS idx_mcp_tool_tool_name ON mcp_tool (tool_name);

ALTER TABLE tool_dependency ADD COLUMN IF NOT EXISTS source TEXT DEFAULT 'learned';
CREATE INDEX IF NOT EXISTS idx_tool_dependency_source ON tool_dependency (source);
DO $$
BEGIN
  IF to_regclass('tool_dependency_source_kept') IS NOT NULL THEN
    UPDATE tool_dependency AS d SET source = k.source
    FROM tool_dependency_source_kept AS k
    WHERE d.from_tool_id = k.from_tool_id AND d.to_tool_id = k.to_tool_id;
    DROP TABLE tool_dependency_source_kept;
  END IF;
END $$;

ALTER TABLE permission_audit_log DROP CONSTRAINT IF EXISTS fk_permission_audit_capability;

DO $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute
      WHERE attrelid = 'permission_audit_log'::regclass AND attname = 'capability_id'
        AND NOT attisdropped) = 'uuid'::regtype THEN
    ALTER TABLE permission_audit_log ALTER COLUMN capability_id TYPE TEXT USING capability_id::text;
  END IF;
END $$;

DO $$
BEGIN
  IF to_regclass('permission_audit_log_quarantine') IS NOT NULL THEN
    INSERT INTO permission_audit_log (${AUDIT_COLUMNS})
    SELECT ${AUDIT_COLUMNS} FROM permission_audit_log_quarantine;
    DROP TABLE permission_audit_log_quarantine;
  END IF;
END $$;
`;

/** Drops `workflow_dags`, `mcp_tool`, `mcp_server` and `tool_dependency.source`; adds the audit FK. */
export const migration: Migration = Object.freeze({
  version: 19,
  name: "db_schema_cleanup",
  // Live workflow state is moved into Deno KV first, in this migration's transaction, by the service the
  // caller gives (src/upgrade: workflowDagsMoveContext): a crash before the commit leaves a row in both
  // places, never in neither. Without it, live rows stop the migration here, naming what to pass.
  up: async (db: DbClient, context: MigrationContext) => {
    const move = context.moveWorkflowDags;
    if (typeof move === "function") {
      await (move as (db: DbClient) => Promise<unknown>)(db);
    } else {
      await refuseLiveWorkflowDags(db);
    }
    await runMigrationSql(db, { version: 19, name: "db_schema_cleanup" }, "up", UP_SQL);
  },
  report: REPORT_SQL,
  down: DOWN_SQL,
  // The SHA-256 of its SQL, as when 019 was SQL alone: databases migrated then do not drift, and an edit
  // to the SQL still changes it.
  checksum: await sqlChecksum(UP_SQL, DOWN_SQL, REPORT_SQL),
});

/** Without the move service, live rows are refused before anything runs, with what to pass. */
async function refuseLiveWorkflowDags(db: DbClient): Promise<void> {
  const table = await db.queryOne<{ t: string | null }>(
    "SELECT to_regclass('workflow_dags')::text AS t",
  );
  if (table?.t == null) return;
  const live = await db.queryOne<{ n: number; first: string | null }>(
    "SELECT count(*)::int AS n, min(workflow_id) AS first FROM workflow_dags WHERE expires_at > NOW()",
  );
  if (live === null || live.n === 0) return;
  throw new MigrationError(
    "MIGRATION_REQUIREMENT_MISSING",
    `Cannot apply migration 19 (db_schema_cleanup): workflow_dags holds ${live.n} live row(s) (first: ` +
      `'${live.first}') that dropping the table would lose; pass context: workflowDagsMoveContext({ kv }) ` +
      "to migrate() so 019 moves them into Deno KV first",
    { version: 19, migrationName: "db_schema_cleanup" },
  );
}
