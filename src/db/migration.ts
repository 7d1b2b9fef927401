/**
 * The shape of one schema migration: frozen SQL text, so it can be checksummed, replayed and run unchanged
 * on a PostgreSQL server.
 *
 * @module
 */

/**
 * One schema migration. `up` and `down` are SQL text and must be re-runnable: running either twice leaves
 * the database as running it once.
 *
 * @example Declaring a migration
 * ```ts
 * import type { Migration } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const migration: Migration = {
 *   version: 1,
 *   name: "create_notes",
 *   up: "CREATE TABLE IF NOT EXISTS notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL);",
 *   down: "DROP TABLE IF EXISTS notes;",
 * };
 * assert.equal(migration.version, 1);
 * ```
 */
export interface Migration {
  /** A positive integer, unique and ascending within a registry. */
  readonly version: number;
  /** A snake_case name, e.g. `initial_schema`. */
  readonly name: string;
  /** SQL that applies the migration. */
  readonly up: string;
  /** SQL that reverts it. */
  readonly down: string;
  /**
   * Optional SQL run right after `up`, in the same transaction; the first column of its first row is
   * returned as the migration's `report` (for example how many rows it moved). It must not change data.
   */
  readonly report?: string;
}
