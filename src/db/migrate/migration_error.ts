/**
 * The error of the migration runner: a migration could not be planned, applied or rolled back.
 *
 * @module
 */

/** Stable codes of {@linkcode MigrationError}. */
export type MigrationErrorCode =
  | "MIGRATION_REGISTRY_INVALID"
  | "MIGRATION_FILE_INVALID"
  | "MIGRATION_FAILED"
  | "MIGRATION_DRIFT"
  | "MIGRATION_LOCK_TIMEOUT"
  | "MIGRATION_REQUIREMENT_MISSING"
  | "MIGRATION_TARGET_INVALID"
  | "ROLLBACK_TARGET_INVALID"
  | "MIGRATION_NOT_IDEMPOTENT"
  | "MIGRATION_DATA_INVALID";

/**
 * A migration could not be planned, applied or rolled back. `version` and `migrationName` name the migration
 * concerned and `sql` the failing statement, when there is one.
 *
 * @example A failed migration, as `migrate()` returns it
 * ```ts
 * import { migrate, MigrationError, openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: "memory://" });
 * const broken = [{ version: 1, name: "broken", up: "CREATE TABLE t (id INT); SELEC 1;", down: "" }];
 * const { error } = await migrate(db, { migrations: broken });
 * assert.ok(error instanceof MigrationError);
 * assert.equal(error.code, "MIGRATION_FAILED");
 * assert.equal(error.version, 1);
 * ```
 */
export class MigrationError extends Error {
  /** A stable identifier of the kind of fault. */
  readonly code: MigrationErrorCode;
  /** The version of the migration concerned, if any. */
  readonly version?: number;
  /** The name of the migration concerned, if any. */
  readonly migrationName?: string;
  /** The failing SQL statement, if any. */
  readonly sql?: string;
  /** For `MIGRATION_LOCK_TIMEOUT`: the process that held the migration lock (`pid` when the server told). */
  readonly holder?: { pid: number | null };
  /** Creates the error; `details` names the migration, the statement and the cause. */
  constructor(
    code: MigrationErrorCode,
    message: string,
    details: {
      version?: number;
      migrationName?: string;
      sql?: string;
      holder?: { pid: number | null };
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MigrationError";
    this.code = code;
    if (details.version !== undefined) this.version = details.version;
    if (details.migrationName !== undefined) this.migrationName = details.migrationName;
    if (details.sql !== undefined) this.sql = details.sql;
    if (details.holder !== undefined) this.holder = details.holder;
  }
}
