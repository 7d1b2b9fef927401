/**
 * Migration 012 — typed edges: each `tool_dependency` edge gets a kind (`contains`, `sequence`,
 * `dependency`) and a provenance (`template`, `inferred`, `observed`) so the graph can weight edges by
 * how they were learned.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds `edge_type` and `edge_source` to `tool_dependency`, with their indexes. */
export const migration: Migration = Object.freeze({
  version: 12,
  name: "edge_types",
  up: `
ALTER TABLE tool_dependency
  ADD COLUMN IF NOT EXISTS edge_type TEXT DEFAULT 'sequence',
  ADD COLUMN IF NOT EXISTS edge_source TEXT DEFAULT 'inferred';

CREATE INDEX IF NOT EXISTS idx_tool_dependency_edge_type ON tool_dependency (edge_type);
CREATE INDEX IF NOT EXISTS idx_tool_dependency_edge_source ON tool_dependency (edge_source);
CREATE INDEX IF NOT EXISTS idx_tool_dependency_type_source
  ON tool_dependency (edge_type, edge_source);
`,
  down: `
DROP INDEX IF EXISTS idx_tool_dependency_type_source;
DROP INDEX IF EXISTS idx_tool_dependency_edge_source;
DROP INDEX IF EXISTS idx_tool_dependency_edge_type;

ALTER TABLE IF EXISTS tool_dependency
  DROP COLUMN IF EXISTS edge_source,
  DROP COLUMN IF EXISTS edge_type;
`,
});
