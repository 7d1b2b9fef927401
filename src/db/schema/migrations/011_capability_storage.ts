/**
 * Migration 011 — capability storage: a `workflow_pattern` becomes a reusable capability with its code,
 * parameter schema, cache policy, name, statistics and origin (`emergent` when learned, `manual` when
 * written by hand); executions record the code they ran. The code-hash indexes are partial because most
 * historical rows have no code.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds capability columns to `workflow_pattern` and code columns to `workflow_execution`. */
export const migration: Migration = Object.freeze({
  version: 11,
  name: "capability_storage",
  up: `
ALTER TABLE workflow_pattern
  ADD COLUMN IF NOT EXISTS code_snippet TEXT,
  ADD COLUMN IF NOT EXISTS code_hash TEXT,
  ADD COLUMN IF NOT EXISTS parameters_schema JSONB,
  ADD COLUMN IF NOT EXISTS cache_config JSONB DEFAULT '{"ttl_ms": 3600000, "cacheable": true}',
  ADD COLUMN IF NOT EXISTS name TEXT,
  ADD COLUMN IF NOT EXISTS description TEXT,
  ADD COLUMN IF NOT EXISTS success_rate REAL DEFAULT 1.0,
  ADD COLUMN IF NOT EXISTS avg_duration_ms INTEGER DEFAULT 0,
  ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ DEFAULT NOW(),
  ADD COLUMN IF NOT EXISTS source TEXT DEFAULT 'emergent';

ALTER TABLE workflow_execution
  ADD COLUMN IF NOT EXISTS code_snippet TEXT,
  ADD COLUMN IF NOT EXISTS code_hash TEXT;

CREATE UNIQUE INDEX IF NOT EXISTS idx_workflow_pattern_code_hash
  ON workflow_pattern (code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_workflow_execution_code_hash
  ON workflow_execution (code_hash) WHERE code_hash IS NOT NULL;
`,
  down: `
DROP INDEX IF EXISTS idx_workflow_execution_code_hash;
DROP INDEX IF EXISTS idx_workflow_pattern_code_hash;

ALTER TABLE IF EXISTS workflow_execution
  DROP COLUMN IF EXISTS code_hash,
  DROP COLUMN IF EXISTS code_snippet;

ALTER TABLE IF EXISTS workflow_pattern
  DROP COLUMN IF EXISTS source,
  DROP COLUMN IF EXISTS created_at,
  DROP COLUMN IF EXISTS avg_duration_ms,
  DROP COLUMN IF EXISTS success_rate,
  DROP COLUMN IF EXISTS description,
  DROP COLUMN IF EXISTS name,
  DROP COLUMN IF EXISTS cache_config,
  DROP COLUMN IF EXISTS parameters_schema,
  DROP COLUMN IF EXISTS code_hash,
  DROP COLUMN IF EXISTS code_snippet;
`,
});
