/**
 * Migration 015 — capability communities: `workflow_pattern.community_id` stores the graph community a
 * capability was clustered into. Most capabilities have none, so its index is partial.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds `workflow_pattern.community_id` and its partial index. */
export const migration: Migration = Object.freeze({
  version: 15,
  name: "capability_community_id",
  up: `
ALTER TABLE workflow_pattern ADD COLUMN IF NOT EXISTS community_id INTEGER;

CREATE INDEX IF NOT EXISTS idx_workflow_pattern_community_id
  ON workflow_pattern (community_id) WHERE community_id IS NOT NULL;
`,
  down: `
DROP INDEX IF EXISTS idx_workflow_pattern_community_id;
ALTER TABLE IF EXISTS workflow_pattern DROP COLUMN IF EXISTS community_id;
`,
});
