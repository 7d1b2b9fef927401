/**
 * Migration 018 — permission audit: `permission_audit_log` records every request to change a capability's
 * permission set (from, to, whether and by whom it was approved, why, and the operation that triggered it).
 *
 * `capability_id` is TEXT here, as it historically was; migration 019 turns it into a UUID foreign key.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `permission_audit_log` table. */
export const migration: Migration = Object.freeze({
  version: 18,
  name: "permission_audit_log",
  up: `
CREATE TABLE IF NOT EXISTS permission_audit_log (
  id TEXT PRIMARY KEY,
  timestamp BIGINT NOT NULL,
  capability_id TEXT NOT NULL,
  from_set TEXT NOT NULL,
  to_set TEXT NOT NULL,
  approved INTEGER NOT NULL,
  approved_by TEXT,
  reason TEXT,
  detected_operation TEXT
);

CREATE INDEX IF NOT EXISTS idx_permission_audit_capability ON permission_audit_log (capability_id);
CREATE INDEX IF NOT EXISTS idx_permission_audit_timestamp ON permission_audit_log (timestamp DESC);
`,
  down: `
DROP TABLE IF EXISTS permission_audit_log;
`,
});
