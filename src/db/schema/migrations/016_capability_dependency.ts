/**
 * Migration 016 — capability graph: `capability_dependency` links capabilities to each other with the same
 * edge vocabulary as `tool_dependency` (plus `alternative`). Unlike tool edges, both ends are foreign keys
 * to `workflow_pattern`, so deleting a capability deletes its edges; self-loops are rejected.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `capability_dependency` table. */
export const migration: Migration = Object.freeze({
  version: 16,
  name: "capability_dependency",
  up: `
CREATE TABLE IF NOT EXISTS capability_dependency (
  from_capability_id UUID NOT NULL REFERENCES workflow_pattern (pattern_id) ON DELETE CASCADE,
  to_capability_id UUID NOT NULL REFERENCES workflow_pattern (pattern_id) ON DELETE CASCADE,
  observed_count INTEGER DEFAULT 1,
  confidence_score REAL DEFAULT 0.5,
  edge_type TEXT DEFAULT 'sequence',
  edge_source TEXT DEFAULT 'inferred',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  last_observed TIMESTAMPTZ DEFAULT NOW(),
  PRIMARY KEY (from_capability_id, to_capability_id),
  CHECK (from_capability_id <> to_capability_id)
);

CREATE INDEX IF NOT EXISTS idx_capability_dep_from ON capability_dependency (from_capability_id);
CREATE INDEX IF NOT EXISTS idx_capability_dep_to ON capability_dependency (to_capability_id);
CREATE INDEX IF NOT EXISTS idx_capability_dep_type ON capability_dependency (edge_type);
CREATE INDEX IF NOT EXISTS idx_capability_dep_type_source
  ON capability_dependency (edge_type, edge_source);
`,
  down: `
DROP TABLE IF EXISTS capability_dependency;
`,
});
