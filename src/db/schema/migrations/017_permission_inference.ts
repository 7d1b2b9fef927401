/**
 * Migration 017 — permission inference: each capability gets the permission set inferred from its code
 * (`minimal`, `readonly`, `filesystem`, `network-api`, `mcp-standard`, `trusted`) and the confidence of
 * that inference. New capabilities start with the least privilege.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds `permission_set` and `permission_confidence` to `workflow_pattern`. */
export const migration: Migration = Object.freeze({
  version: 17,
  name: "permission_inference",
  up: `
ALTER TABLE workflow_pattern
  ADD COLUMN IF NOT EXISTS permission_set VARCHAR(50) DEFAULT 'minimal',
  ADD COLUMN IF NOT EXISTS permission_confidence REAL DEFAULT 0.0;

CREATE INDEX IF NOT EXISTS idx_workflow_pattern_permission ON workflow_pattern (permission_set);
`,
  down: `
DROP INDEX IF EXISTS idx_workflow_pattern_permission;

ALTER TABLE IF EXISTS workflow_pattern
  DROP COLUMN IF EXISTS permission_confidence,
  DROP COLUMN IF EXISTS permission_set;
`,
});
