/**
 * Migration 008 — `workflow_dags` held the DAG of each running workflow, expiring after one hour.
 *
 * Historical: short-lived runtime state does not belong in the durable store, so migration 019 drops this
 * table and the state lives in Deno KV with a TTL. It is kept unchanged so that databases which went
 * through it replay the same history.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the (later dropped) `workflow_dags` table. */
export const migration: Migration = Object.freeze({
  version: 8,
  name: "workflow_dags",
  up: `
CREATE TABLE IF NOT EXISTS workflow_dags (
  workflow_id TEXT PRIMARY KEY,
  dag JSONB NOT NULL,
  intent TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  expires_at TIMESTAMPTZ DEFAULT NOW() + INTERVAL '1 hour'
);

CREATE INDEX IF NOT EXISTS idx_workflow_dags_expires ON workflow_dags (expires_at);
`,
  down: `
DROP TABLE IF EXISTS workflow_dags;
`,
});
