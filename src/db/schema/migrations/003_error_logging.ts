/**
 * Migration 003 — error logging: `error_log` keeps errors with their stack and context so they can be
 * inspected after the fact, newest first or by type.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `error_log` table. */
export const migration: Migration = Object.freeze({
  version: 3,
  name: "error_logging",
  up: `
CREATE TABLE IF NOT EXISTS error_log (
  id SERIAL PRIMARY KEY,
  error_type TEXT NOT NULL,
  message TEXT NOT NULL,
  stack TEXT,
  context JSONB,
  timestamp TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_error_log_timestamp ON error_log (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_error_log_type ON error_log (error_type);
`,
  down: `
DROP TABLE IF EXISTS error_log;
`,
});
