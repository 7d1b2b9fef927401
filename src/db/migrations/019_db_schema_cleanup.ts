/**
 * Migration 019 — schema cleanup (story 11.0): workflow state moves to Deno KV, `tool_schema` becomes the one
 * tool table, `edge_source` the one provenance column of `tool_dependency`, and audit rows get a real
 * foreign key to the capability they audit.
 *
 * Where this differs from the historical 019 (see the schema reference, "[ours]"):
 * - Nothing is lost: audit rows whose `capability_id` is not a UUID, or names no capability, are moved to
 *   `permission_audit_log_quarantine` with a reason instead of being deleted; every id the uuid type
 *   accepts (any letter case, braces, no hyphens) is converted. `report` tells how many rows this run moved.
 * - The foreign key is `ON DELETE RESTRICT`: an audited capability cannot be deleted.
 * - Every step is guarded by the catalog, and no error is swallowed.
 *
 * @module
 */

import type { Migration } from "../migration.ts";

// Columns of permission_audit_log as 018 created them, in order.
const AUDIT_COLUMNS =
  "id, timestamp, capability_id, from_set, to_set, approved, approved_by, reason, detected_operation";

/** Drops `workflow_dags`, `mcp_tool`, `mcp_server` and `tool_dependency.source`; adds the audit FK. */
export const migration: Migration = Object.freeze({
  version: 19,
  name: "db_schema_cleanup",
  up: `
DROP TABLE IF EXISTS workflow_dags CASCADE;

DROP TABLE IF EXISTS mcp_tool CASCADE;
DROP TABLE IF EXISTS mcp_server CASCADE;

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

-- While capability_id is still TEXT: quarantine what cannot become a valid reference, keeping the original
-- text, then convert. Whatever the uuid type accepts converts (any letter case, braces, no hyphens):
-- pg_input_is_valid (PostgreSQL 16+) asks the type itself rather than a regular expression. The catalog
-- guards read pg_attribute rather than information_schema: same answer, a fraction of the cost per replay.
DO $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute
      WHERE attrelid = 'permission_audit_log'::regclass AND attname = 'capability_id'
        AND NOT attisdropped) = 'text'::regtype THEN
    WITH moved AS (
      DELETE FROM permission_audit_log AS audit
      WHERE CASE
        WHEN pg_input_is_valid(audit.capability_id, 'uuid') THEN NOT EXISTS (
          SELECT 1 FROM workflow_pattern AS pattern
          WHERE pattern.pattern_id = audit.capability_id::uuid)
        ELSE true
      END
      RETURNING audit.*
    )
    INSERT INTO permission_audit_log_quarantine (${AUDIT_COLUMNS}, quarantine_reason)
    SELECT ${AUDIT_COLUMNS},
      CASE WHEN pg_input_is_valid(capability_id, 'uuid')
        THEN 'capability_id names no workflow_pattern'
        ELSE 'capability_id is not a UUID'
      END
    FROM moved;

    ALTER TABLE permission_audit_log ALTER COLUMN capability_id TYPE UUID USING capability_id::uuid;
  END IF;
END $$;

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
`,
  report: `
SELECT format('moved %s audit row(s) to permission_audit_log_quarantine', count(*)) AS report
FROM permission_audit_log_quarantine
WHERE quarantined_at = NOW();
`,
  // Structure only: the rows of the dropped tables are not restored. Quarantined rows move back.
  down: `
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
`,
});
