/**
 * Migration 009 — `tool_dependency.source` recorded where an edge came from (`user`, `learned`, `hint`).
 *
 * Historical: it overlaps `edge_source` (added by 012), so migration 019 drops the column and its index
 * again. It is kept unchanged so that databases which went through it replay the same history.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Adds the (later dropped) `tool_dependency.source` column and its index. */
export const migration: Migration = Object.freeze({
  version: 9,
  name: "tool_dependency_source",
  up: `
ALTER TABLE tool_dependency ADD COLUMN IF NOT EXISTS source TEXT DEFAULT 'learned';

CREATE INDEX IF NOT EXISTS idx_tool_dependency_source ON tool_dependency (source);
`,
  down: `
DROP INDEX IF EXISTS idx_tool_dependency_source;
ALTER TABLE IF EXISTS tool_dependency DROP COLUMN IF EXISTS source;
`,
});
