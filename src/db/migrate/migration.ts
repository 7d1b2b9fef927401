/**
 * The shape of one schema migration (frozen SQL text, so it can be checksummed, replayed and run unchanged
 * on a PostgreSQL server) and of what the runner reports about it.
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
  /**
   * What the database must offer before the migration can run: a PostgreSQL major version and extensions
   * the server can install. The runner checks the requirements of every due migration before it runs any,
   * and stops with one line naming what is missing. Not part of the checksum.
   */
  readonly requires?: MigrationRequirements;
}

/** What a migration needs from the database (see {@linkcode Migration.requires}). */
export interface MigrationRequirements {
  /** The lowest PostgreSQL major version, e.g. `14`. */
  readonly postgres?: number;
  /** Extensions that must be available on the server (`pg_available_extensions`), e.g. `["vector"]`. */
  readonly extensions?: readonly string[];
}

/** What happened to one migration during `migrate()` or `rollback()`. */
export type MigrationOutcome = "applied" | "rolled_back" | "failed" | "not_executed";

/** The result for one migration. */
export interface MigrationResult {
  /** The migration's version. */
  version: number;
  /** The migration's name. */
  name: string;
  /** What happened to it: `failed` for the one that failed, `not_executed` for those due after it. */
  status: MigrationOutcome;
  /** How long it took, in milliseconds (0 when not executed). */
  ms: number;
  /** What the migration's `report` query said, for an applied migration that has one. */
  report?: string;
}
