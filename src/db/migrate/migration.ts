/**
 * The shape of one schema migration and of what the runner reports about it. A migration is data: SQL text
 * (checksummed, replayed and run unchanged on a PostgreSQL server), or, for a data move SQL cannot do, code
 * whose author declares its checksum.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";

/**
 * Services a code migration may use, given by whoever runs the migrations (`migrate(db, { context })`).
 * Each migration documents the services it needs and fails with what to pass when one is missing.
 */
export interface MigrationContext {
  /** The clock a migration reads the time from (for expiries it computes), in epoch milliseconds. */
  readonly clock?: { now(): number };
  /** Any other service, by name (pml-store's 019 uses `moveWorkflowDags`, see `src/upgrade`). */
  readonly [service: string]: unknown;
}

/**
 * One direction of a migration: SQL text, or an async function of the migration's transaction and the
 * {@linkcode MigrationContext}. A function runs in the migration's transaction and under the migration
 * lock, like SQL; it must not commit or roll back (such statements are refused), and it must not keep the
 * client after it returns.
 */
export type MigrationStep =
  | string
  | ((db: DbClient, context: MigrationContext) => Promise<void>);

/**
 * One schema migration. `up` and `down` are SQL text (or code, see {@linkcode MigrationStep}) and must be
 * re-runnable: running either twice leaves the database as running it once.
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
  /** SQL (or code) that applies the migration. */
  readonly up: MigrationStep;
  /** SQL (or code) that reverts it. */
  readonly down: MigrationStep;
  /**
   * The checksum recorded in the history and compared by `status` and `verify`. For SQL it is computed
   * (SHA-256 of the text) and must be left out. A migration with code in `up` or `down` declares it, a
   * non-empty string its author changes whenever the code changes (as Flyway does for Java migrations):
   * the function's source text cannot serve, as it differs between the Deno source and the built Node
   * package. Without one, the migration is recorded as `unchecked` and `status`/`verify` say so.
   */
  readonly checksum?: string;
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
