/**
 * Migration 002 — telemetry: `metrics` records named numeric measurements over time, indexed for "latest
 * values of one metric" queries.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `metrics` table. */
export const migration: Migration = Object.freeze({
  version: 2,
  name: "telemetry_logging",
  up: `
CREATE TABLE IF NOT EXISTS metrics (
  id SERIAL PRIMARY KEY,
  metric_name TEXT NOT NULL,
  value REAL NOT NULL,
  metadata JSONB,
  timestamp TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_metrics_name_timestamp ON metrics (metric_name, timestamp DESC);
`,
  down: `
DROP TABLE IF EXISTS metrics;
`,
});
