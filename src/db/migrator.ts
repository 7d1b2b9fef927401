/**
 * Applies and reverts migrations, each in its own transaction together with its history row, and reports a
 * result per migration. It never prints: the CLI formats what it returns.
 *
 * @module
 */
import type { DbClient } from "./db_client.ts";
import type { Migration } from "./migration.ts";
import { DbError, MigrationError } from "./errors.ts";
import { migrationChecksum } from "./migration_checksum.ts";
import {
  deleteHistoryRow,
  ensureHistoryTable,
  insertHistoryRow,
  readHistory,
} from "./_migration_history.ts";
import { defineMigrations } from "./migration_registry.ts";
import { checkStatus, status, type VerifyResult } from "./migration_status.ts";
import { splitSqlStatements } from "./sql_statements.ts";
import { migrations as registry } from "./migrations.ts";

/** What happened to one migration during {@linkcode migrate} or {@linkcode rollback}. */
export type MigrationOutcome = "applied" | "rolled_back" | "failed" | "not_executed";

/** The result for one migration. */
export interface MigrationResult {
  /** The migration's version. */
  version: number;
  /** The migration's name. */
  name: string;
  /** What happened to it. */
  status: MigrationOutcome;
  /** How long it took, in milliseconds (0 when not executed). */
  ms: number;
  /** What the migration's `report` query said, for an applied migration that has one. */
  report?: string;
}

/** The result of {@linkcode migrate} and {@linkcode rollback}. */
export interface MigrateResult {
  /** One entry per migration that was due, in the order they ran; empty when there was nothing to do. */
  results: MigrationResult[];
}

/** Options of {@linkcode migrate} and {@linkcode rollback}. */
export interface MigrateOptions {
  /** Called after each migration, as it finishes, so a CLI can show progress. */
  onResult?: (result: MigrationResult) => void;
}

/**
 * Applies every pending migration in ascending order. Each runs in its own transaction (a savepoint when
 * `db` is already in one) together with its `migrations_history` row, so a failed migration leaves nothing
 * behind while earlier ones stay applied.
 *
 * @param db The database.
 * @param migrations The ordered registry; defaults to pml-store's migrations 001–019.
 * @throws {MigrationError} `MIGRATION_REGISTRY_INVALID` for a malformed list (also one with a statement
 * that controls the transaction, such as `COMMIT`; nothing runs); `MIGRATION_DRIFT` when
 * `verify()` finds a problem (nothing runs); `MIGRATION_FAILED` naming the version, the migration
 * and the failing statement, with `results` attached.
 *
 * @example Applying and re-applying
 * ```ts
 * import { migrate, openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase();
 * const first = await migrate(db);
 * assert.equal(first.results.length, 18);
 * assert.ok(first.results.every((r) => r.status === "applied"));
 * const second = await migrate(db);
 * assert.deepEqual(second.results, []);
 * ```
 */
export async function migrate(
  db: DbClient,
  migrations: readonly Migration[] = registry,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const list = defineMigrations(migrations);
  await ensureHistoryTable(db);
  const current = await status(db, list);
  assertConsistent(checkStatus(current), "apply migrations");
  // Consistent means every entry is applied or pending.
  const applied = new Set(
    current.entries.filter((e) => e.state === "applied").map((e) => e.version),
  );
  const due = list.filter((m) => !applied.has(m.version));
  return await runEach(due, "applied", options, (migration) => applyOne(db, migration));
}

/**
 * Reverts applied migrations above `toVersion`, newest first, running each `down` in a transaction
 * together with the removal of its history row. `toVersion` 0 reverts everything.
 *
 * @throws {RangeError} when `toVersion` is not a non-negative integer.
 * @throws {MigrationError} `ROLLBACK_TARGET_INVALID` when `toVersion` is not applied (nothing runs);
 * `MIGRATION_DRIFT` when a migration to revert changed since it ran or is unknown; `MIGRATION_FAILED` when
 * a `down` fails.
 *
 * @example Rolling back the last migration
 * ```ts
 * import { rollback } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {   // a database at migration 19
 *   const result = await rollback(db, 18);
 *   assert.deepEqual(result.results.map((r) => [r.version, r.status]), [[19, "rolled_back"]]);
 * });
 * ```
 */
export async function rollback(
  db: DbClient,
  toVersion: number,
  migrations: readonly Migration[] = registry,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  if (!Number.isSafeInteger(toVersion) || toVersion < 0) {
    throw new RangeError(
      `Cannot roll back: the target version must be a non-negative integer, found ${toVersion}`,
    );
  }
  const list = defineMigrations(migrations);
  const history = await readHistory(db);
  const appliedVersions = history.map((row) => row.version);
  if (toVersion !== 0 && !appliedVersions.includes(toVersion)) {
    throw new MigrationError(
      "ROLLBACK_TARGET_INVALID",
      `Cannot roll back to version ${toVersion}: it is not applied (applied: ${
        appliedVersions.join(", ") || "none"
      }); choose an applied version, or 0 to revert everything`,
      { version: toVersion },
    );
  }
  const byVersion = new Map(list.map((m) => [m.version, m]));
  const due: Migration[] = [];
  for (const row of [...history].reverse().filter((r) => r.version > toVersion)) {
    const migration = byVersion.get(row.version);
    if (migration === undefined || row.checksum !== await migrationChecksum(migration)) {
      const reason = migration === undefined
        ? "it is not in the migration list, so its down SQL is unknown"
        : "its SQL changed since it was applied, so its down SQL may not match the schema";
      throw new MigrationError(
        "MIGRATION_DRIFT",
        `Cannot roll back migration ${row.version} (${row.name}): ${reason}`,
        { version: row.version, migrationName: row.name },
      );
    }
    due.push(migration);
  }
  return await runEach(due, "rolled_back", options, (migration) => revertOne(db, migration));
}

function assertConsistent({ ok, problems }: VerifyResult, action: string): void {
  if (ok) return;
  const first = problems[0] as (typeof problems)[number];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
  throw new MigrationError("MIGRATION_DRIFT", `Cannot ${action}: ${first.message}${more}`, {
    version: first.version,
    migrationName: first.name,
  });
}

async function runEach(
  due: readonly Migration[],
  success: MigrationOutcome,
  options: MigrateOptions,
  run: (migration: Migration) => Promise<string | undefined>,
): Promise<MigrateResult> {
  const verb = success === "applied" ? "apply" : "revert";
  const results: MigrationResult[] = [];
  for (const [index, migration] of due.entries()) {
    const started = performance.now();
    let report: string | undefined;
    try {
      report = await run(migration);
    } catch (error) {
      const failed = result(migration, "failed", performance.now() - started);
      results.push(failed, ...due.slice(index + 1).map((m) => result(m, "not_executed", 0)));
      options.onResult?.(failed);
      const failure = error instanceof MigrationError ? error : new MigrationError(
        "MIGRATION_FAILED",
        `Cannot ${verb} migration ${migration.version} (${migration.name}): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { version: migration.version, migrationName: migration.name, cause: error },
      );
      failure.results = results;
      throw failure;
    }
    const done = result(migration, success, performance.now() - started);
    if (report !== undefined) done.report = report;
    results.push(done);
    options.onResult?.(done);
  }
  return { results };
}

async function applyOne(db: DbClient, migration: Migration): Promise<string | undefined> {
  const checksum = await migrationChecksum(migration);
  return await db.transaction(async (tx) => {
    const started = performance.now();
    await runStatements(tx, migration, "up");
    const executionMs = Math.round(performance.now() - started);
    await insertHistoryRow(tx, { ...migration, checksum, executionMs });
    return migration.report === undefined ? undefined : await readReport(tx, migration);
  });
}

async function revertOne(db: DbClient, migration: Migration): Promise<undefined> {
  await db.transaction(async (tx) => {
    await runStatements(tx, migration, "down");
    await deleteHistoryRow(tx, migration.version);
  });
  return undefined;
}

async function readReport(db: DbClient, migration: Migration): Promise<string> {
  const row = await db.queryOne(migration.report as string);
  const value = row === null ? undefined : Object.values(row)[0];
  return value === undefined || value === null ? "" : String(value);
}

/**
 * Runs the statements of one direction of a migration one at a time, so a failure names its statement.
 * It records nothing in the history (the harness uses it to replay migrations).
 *
 * @throws {MigrationError} `MIGRATION_FAILED` naming the version, the migration and the statement.
 *
 * @example Replaying a migration's `up`
 * ```ts
 * import { runStatements } from "./migrator.ts";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const broken = { version: 99, name: "broken", up: "SELECT 1; SELEC 2;", down: "" };
 *   await assert.rejects(runStatements(db, broken, "up"), { code: "MIGRATION_FAILED", sql: "SELEC 2" });
 * });
 * ```
 */
export async function runStatements(
  db: DbClient,
  migration: Migration,
  direction: "up" | "down",
): Promise<void> {
  for (const statement of splitSqlStatements(migration[direction])) {
    try {
      await db.exec(statement);
    } catch (cause) {
      const reason = cause instanceof DbError && cause.cause instanceof Error
        ? cause.cause.message
        : (cause as Error).message;
      const verb = direction === "up" ? "apply" : "revert";
      throw new MigrationError(
        "MIGRATION_FAILED",
        `Cannot ${verb} migration ${migration.version} (${migration.name}): ${reason}; failing statement: ${
          excerpt(statement)
        }`,
        { version: migration.version, migrationName: migration.name, sql: statement, cause },
      );
    }
  }
}

function result(migration: Migration, status: MigrationOutcome, ms: number): MigrationResult {
  return { version: migration.version, name: migration.name, status, ms: Math.round(ms * 10) / 10 };
}

function excerpt(statement: string): string {
  const oneLine = statement.replace(/\s+/g, " ");
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
}
