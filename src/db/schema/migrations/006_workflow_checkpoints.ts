/**
 * Migration 006 — workflow checkpoints: `workflow_checkpoint` stores the state of a workflow after each
 * layer so an interrupted workflow can resume from its latest checkpoint.
 *
 * (There is no migration 005: the number was never used.)
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `workflow_checkpoint` table. */
export const migration: Migration = Object.freeze({
  version: 6,
  name: "workflow_checkpoints",
  up: `
CREATE TABLE IF NOT EXISTS workflow_checkpoint (
  id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  timestamp TIMESTAMPTZ DEFAULT NOW(),
  layer INTEGER NOT NULL,
  state JSONB NOT NULL,
  CONSTRAINT chk_layer_non_negative CHECK (layer >= 0)
);

CREATE INDEX IF NOT EXISTS idx_checkpoint_workflow_ts
  ON workflow_checkpoint (workflow_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_checkpoint_workflow_id ON workflow_checkpoint (workflow_id);
`,
  down: `
DROP TABLE IF EXISTS workflow_checkpoint;
`,
});
