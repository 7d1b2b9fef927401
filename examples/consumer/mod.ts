/**
 * A small package that keeps its own table next to pml-store's schema: it exists to prove that another
 * package can use pml-store's fixtures through the `@pml/store/fixtures` export.
 *
 * @module
 */
import type { Migration } from "@pml/store";

/** This package's own migrations: a notes table keyed by tool id. */
export const consumerMigrations: readonly Migration[] = Object.freeze([
  Object.freeze({
    version: 1,
    name: "create_tool_notes",
    up: `CREATE TABLE IF NOT EXISTS tool_notes (
  tool_id TEXT PRIMARY KEY,
  note TEXT NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW()
);`,
    down: "DROP TABLE IF EXISTS tool_notes;",
  }),
]);
