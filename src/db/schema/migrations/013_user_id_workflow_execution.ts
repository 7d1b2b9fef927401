/**
 * Migration 013 — ownership of executions: `workflow_execution` gains `user_id`, `created_by` and
 * `updated_by`. Rows that existed before are attributed to the single local user.
 *
 * The backfill runs only in the same step that adds `user_id` (guarded by the catalog), so a re-run never
 * rewrites rows written after the first run, including rows whose `user_id` is deliberately NULL.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds user attribution columns to `workflow_execution` and backfills `user_id` to `'local'`. */
export const migration: Migration = Object.freeze({
  version: 13,
  name: "user_id_workflow_execution",
  up: `
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1
    FROM pg_attribute
    WHERE attrelid = to_regclass('workflow_execution')
      AND attname = 'user_id'
      AND NOT attisdropped
  ) THEN
    ALTER TABLE workflow_execution ADD COLUMN user_id TEXT;
    UPDATE workflow_execution SET user_id = 'local';
  END IF;
END
$$;

ALTER TABLE workflow_execution
  ADD COLUMN IF NOT EXISTS created_by TEXT,
  ADD COLUMN IF NOT EXISTS updated_by TEXT;

CREATE INDEX IF NOT EXISTS idx_workflow_execution_user_id ON workflow_execution (user_id);
`,
  down: `
DROP INDEX IF EXISTS idx_workflow_execution_user_id;

ALTER TABLE IF EXISTS workflow_execution
  DROP COLUMN IF EXISTS updated_by,
  DROP COLUMN IF EXISTS created_by,
  DROP COLUMN IF EXISTS user_id;
`,
});
