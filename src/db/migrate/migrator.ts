/**
 * Applies and reverts migrations, each in its own transaction together with its history row, and reports a
 * result per migration. It never prints: the CLI formats what it returns.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import type {
  Migration,
  MigrationContext,
  MigrationOutcome,
  MigrationResult,
} from "./migration.ts";
import { codeStepClient } from "./_code_step_client.ts";
import { runMigrationSql } from "./run_migration_sql.ts";
import { DbError } from "../client/db_error.ts";
import { MigrationError } from "./migration_error.ts";
import { migrationChecksum } from "./migration_checksum.ts";
import {
  deleteHistoryRow,
  ensureHistoryTable,
  insertHistoryRow,
  readHistory,
  readHistoryRow,
} from "./migration_history.ts";
import { defineMigrations } from "./migration_registry.ts";
import { checkStatus, status, type VerifyResult } from "./migration_status.ts";
import { type MigrationLockHolder, takeMigrationLock } from "./migration_lock.ts";
import { unmetRequirement } from "./_migration_requirements.ts";

export type { MigrationOutcome, MigrationResult } from "./migration.ts";
export type { MigrationLockHolder } from "./migration_lock.ts";

import { migrations as registry } from "../schema/migrations.ts";

/** The default of {@linkcode MigrateOptions.migrationLockTimeoutMs}. */
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** The result of {@linkcode migrate} and {@linkcode rollback}. */
export interface MigrateResult {
  /**
   * One entry per migration that was due, in the order they ran (or would have): empty when there was
   * nothing to do, or when the run stopped before any migration (drift).
   */
  results: MigrationResult[];
  /**
   * Why the run stopped, when it did: `MIGRATION_FAILED` (the failing migration's result is `failed`, those
   * after it `not_executed`; the migrations before it stay applied), `MIGRATION_DRIFT`,
   * `MIGRATION_REQUIREMENT_MISSING`, `MIGRATION_LOCK_TIMEOUT`, `MIGRATION_TARGET_INVALID` or
   * `ROLLBACK_TARGET_INVALID` (nothing ran), or the database's own fault. Absent when every due migration
   * ran.
   */
  error?: MigrationError | DbError;
}

/** Options of {@linkcode migrate}. */
export interface MigrateOptions {
  /** The ordered registry; defaults to pml-store's own migrations. */
  migrations?: readonly Migration[];
  /**
   * Apply up to and including this version of the registry, leaving later ones pending. It must be a
   * version of the registry; a `to` below the database's current version is `MIGRATION_TARGET_INVALID`
   * (use {@linkcode rollback} to go down).
   *
   * @default {the registry's last version}
   */
  to?: number;
  /**
   * Services for code migrations (see {@linkcode MigrationContext}); each migration says what it needs.
   *
   * @default {{}}
   */
  context?: MigrationContext;
  /** Called after each migration, as it finishes, so a CLI can show progress. */
  onResult?: (result: MigrationResult) => void;
  /**
   * How long to wait for another migrator that holds the migration lock, in milliseconds, before the run
   * stops with `MIGRATION_LOCK_TIMEOUT`.
   *
   * @default {60000}
   */
  migrationLockTimeoutMs?: number;
  /** Called when another migrator holds the migration lock, before waiting for it (`pid` when known). */
  onWait?: (holder: MigrationLockHolder) => void;
}

/** Options of {@linkcode rollback}. */
export interface RollbackOptions extends Omit<MigrateOptions, "to"> {
  /** Revert every applied migration above this version; 0 reverts everything. */
  to: number;
}

/**
 * Applies every pending migration in ascending order. Each runs in its own transaction (a savepoint when
 * `db` is already in one) together with its `migrations_history` row, so a failed migration leaves nothing
 * behind while earlier ones stay applied. Everything that goes wrong while running is returned as `error`,
 * never thrown: only a programming error throws (a malformed registry, a bad option).
 *
 * On a client whose {@linkcode DbClient.sharedSession} is false (a PostgreSQL server) each migration's
 * transaction first takes a transaction-level advisory lock, so concurrent migrators take turns; on PGlite
 * (one shared session, where an advisory lock excludes nobody) a transaction runs alone, and the history
 * re-read inside it keeps two migrators from applying one migration twice.
 *
 * @param db The database.
 * @param options The registry (default: pml-store's own), the target version and progress callbacks.
 * @returns What happened to each due migration and, when the run stopped early, why.
 * @throws {MigrationError} `MIGRATION_REGISTRY_INVALID` for a malformed registry (also one with a statement
 * that controls the transaction, such as `COMMIT`); nothing runs.
 * @throws {RangeError} for a `to` that is not a version of the registry, or a bad `migrationLockTimeoutMs`.
 *
 * @example Applying up to a version, then the rest
 * ```ts
 * import { migrate, migrations, openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: ":memory:" });
 * const first = await migrate(db, { to: migrations[1]!.version });
 * assert.deepEqual(first.results.map((r) => r.status), ["applied", "applied"]);
 * const rest = await migrate(db);
 * assert.equal(rest.error, undefined);
 * assert.equal(rest.results.length, migrations.length - 2);
 * assert.deepEqual(await migrate(db), { results: [] });
 * ```
 */
export async function migrate(db: DbClient, options: MigrateOptions = {}): Promise<MigrateResult> {
  const list = defineMigrations(options.migrations ?? registry);
  const to = targetVersion(list, options.to);
  const lock = lockOptions(db, options);
  let due: Migration[];
  try {
    const current = options.to === undefined ? 0 : await currentVersion(db);
    if (to < current) {
      const error = new MigrationError(
        "MIGRATION_TARGET_INVALID",
        `Cannot migrate to version ${to}: the database is at version ${current} already; use ` +
          `rollback({ to: ${to} }) to go down`,
        { version: to },
      );
      return { results: [], error };
    }
    // Before anything is written, the history table included: what the pending migrations need.
    const recorded = new Set((await readHistory(db)).map((row) => row.version));
    const unmet = await unmetRequirement(
      db,
      list.filter((m) => !recorded.has(m.version) && m.version <= to),
    );
    if (unmet !== undefined) return { results: [], error: unmet };
    await db.transaction(async (tx) => {
      await lockFor(tx, lock, "create migrations_history");
      await ensureHistoryTable(tx);
    });
    const state = await status(db, { migrations: list });
    const drift = driftError(checkStatus(state), "apply migrations");
    if (drift !== undefined) return { results: [], error: drift };
    // Consistent means every entry is applied or pending.
    const applied = new Set(
      state.entries.filter((e) => e.state === "applied").map((e) => e.version),
    );
    due = list.filter((m) => !applied.has(m.version) && m.version <= to);
  } catch (error) {
    return { results: [], error: asRunError(error) };
  }
  return await runEach(
    due,
    "applied",
    options,
    (migration) => applyOne(db, migration, lock, options.context ?? {}),
  );
}

/**
 * Reverts applied migrations above `options.to`, newest first, running each `down` in a transaction
 * together with the removal of its history row. `to: 0` reverts everything. A failure is returned as
 * `error`, not thrown.
 *
 * @param db The database.
 * @param options The target version, the registry (default: pml-store's own) and a progress callback.
 * @returns What happened to each migration to revert and, when the run stopped early, why: a `down` that
 * failed (`MIGRATION_FAILED`), a `to` that is not applied (`ROLLBACK_TARGET_INVALID`), or a migration to
 * revert that changed since it ran or is unknown (`MIGRATION_DRIFT`); in the last two nothing ran.
 * @throws {RangeError} when `to` is not a non-negative integer.
 * @throws {MigrationError} `MIGRATION_REGISTRY_INVALID` for a malformed registry; nothing runs.
 *
 * @example Rolling back the last migration
 * ```ts
 * import { migrations, rollback } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const [previous, last] = migrations.slice(-2).map((m) => m.version);
 * await withFastDb(async (db) => {   // a database at the latest migration
 *   const { results } = await rollback(db, { to: previous! });
 *   assert.deepEqual(results.map((r) => [r.version, r.status]), [[last, "rolled_back"]]);
 * });
 * ```
 */
export async function rollback(db: DbClient, options: RollbackOptions): Promise<MigrateResult> {
  const to = options?.to;
  if (!Number.isSafeInteger(to) || to < 0) {
    throw new RangeError(
      `Cannot roll back: the target version must be a non-negative integer, found ${to}; ` +
        "pass { to: N } with an applied version, or 0 to revert everything",
    );
  }
  const list = defineMigrations(options.migrations ?? registry);
  const lock = lockOptions(db, options);
  let history: Awaited<ReturnType<typeof readHistory>>;
  try {
    history = await readHistory(db);
  } catch (error) {
    return { results: [], error: asRunError(error) };
  }
  const appliedVersions = history.map((row) => row.version);
  if (to !== 0 && !appliedVersions.includes(to)) {
    const error = new MigrationError(
      "ROLLBACK_TARGET_INVALID",
      `Cannot roll back to version ${to}: it is not applied (applied: ${
        appliedVersions.join(", ") || "none"
      }); choose an applied version, or 0 to revert everything`,
      { version: to },
    );
    return { results: [], error };
  }
  const byVersion = new Map(list.map((m) => [m.version, m]));
  const due: Migration[] = [];
  for (const row of [...history].reverse().filter((r) => r.version > to)) {
    const migration = byVersion.get(row.version);
    if (migration === undefined || row.checksum !== await migrationChecksum(migration)) {
      const reason = migration === undefined
        ? "it is not in the migration list, so its down SQL is unknown; add it back to the list"
        : "its SQL changed since it was applied, so its down SQL may not match the schema; restore the " +
          "SQL it was applied with";
      const error = new MigrationError(
        "MIGRATION_DRIFT",
        `Cannot roll back migration ${row.version} (${row.name}): ${reason}`,
        { version: row.version, migrationName: row.name },
      );
      return { results: [], error };
    }
    due.push(migration);
  }
  return await runEach(
    due,
    "rolled_back",
    options,
    (migration) => revertOne(db, migration, lock, options.context ?? {}),
  );
}

function driftError({ ok, problems }: VerifyResult, action: string): MigrationError | undefined {
  if (ok) return undefined;
  const first = problems[0] as (typeof problems)[number];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
  return new MigrationError("MIGRATION_DRIFT", `Cannot ${action}: ${first.message}${more}`, {
    version: first.version,
    migrationName: first.name,
  });
}

/** A fault while planning a run: the database's own errors pass as they are, anything else is wrapped. */
function asRunError(error: unknown): MigrationError | DbError {
  if (error instanceof MigrationError || error instanceof DbError) return error;
  return new MigrationError(
    "MIGRATION_FAILED",
    `Cannot plan the migration run: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

async function runEach(
  due: readonly Migration[],
  success: MigrationOutcome,
  options: MigrateOptions,
  run: (migration: Migration) => Promise<string | undefined | typeof DONE_ELSEWHERE>,
): Promise<MigrateResult> {
  const verb = success === "applied" ? "apply" : "revert";
  const results: MigrationResult[] = [];
  for (const [index, migration] of due.entries()) {
    const started = performance.now();
    let report: string | undefined | typeof DONE_ELSEWHERE;
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
      return { results, error: failure };
    }
    // Another migrator applied (or reverted) it while this one waited for the lock: not this run's result.
    if (report === DONE_ELSEWHERE) continue;
    const done = result(migration, success, performance.now() - started);
    if (report !== undefined) done.report = report;
    results.push(done);
    options.onResult?.(done);
  }
  return { results };
}

/** What a migration step returns when, under the lock, it finds another migrator already did it. */
const DONE_ELSEWHERE = Symbol("done by another migrator");

type LockOptions = {
  timeoutMs: number;
  onWait?: (holder: MigrationLockHolder) => void;
  /** One backend session shared by every client (PGlite): an advisory lock would exclude nobody. */
  sharedSession: boolean;
};

async function lockFor(tx: DbClient, lock: LockOptions, action: string): Promise<void> {
  if (lock.sharedSession) return;
  const { timeoutMs, onWait } = lock;
  await takeMigrationLock(
    tx,
    onWait === undefined ? { timeoutMs, action } : { timeoutMs, onWait, action },
  );
}

function lockOptions(db: DbClient, options: MigrateOptions): LockOptions {
  const timeoutMs = options.migrationLockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(
      "Cannot run migrations: migrationLockTimeoutMs must be a finite number of milliseconds >= 0, " +
        `found ${timeoutMs}`,
    );
  }
  const sharedSession = db.sharedSession === true;
  let warned = false;
  // Say once per run that it waits, not once per migration.
  const onWait = options.onWait &&
    ((holder: MigrationLockHolder) => {
      if (!warned) options.onWait?.(holder);
      warned = true;
    });
  return onWait === undefined ? { timeoutMs, sharedSession } : { timeoutMs, onWait, sharedSession };
}

/** The version to migrate to: the registry's last, or `to`, which must be one of its versions. */
function targetVersion(list: readonly Migration[], to: number | undefined): number {
  const last = list.at(-1)?.version ?? 0;
  if (to === undefined) return last;
  if (!list.some((m) => m.version === to)) {
    throw new RangeError(
      `Cannot migrate to version ${to}: the migration list has no such version (it holds ${
        list.map((m) => m.version).join(", ") || "none"
      }); pass one of them, or leave out to for the last`,
    );
  }
  return to;
}

/** The highest applied version, 0 when nothing (or no history table) is there. */
async function currentVersion(db: DbClient): Promise<number> {
  return Math.max(0, ...(await readHistory(db)).map((row) => row.version));
}

async function applyOne(
  db: DbClient,
  migration: Migration,
  lock: LockOptions,
  context: MigrationContext,
): Promise<string | undefined | typeof DONE_ELSEWHERE> {
  const checksum = await migrationChecksum(migration);
  return await db.transaction(async (tx) => {
    await lockFor(tx, lock, describeStep("apply", migration));
    const recorded = await readHistoryRow(tx, migration.version);
    if (recorded !== null) {
      if (recorded.checksum === checksum && recorded.name === migration.name) return DONE_ELSEWHERE;
      throw new MigrationError(
        "MIGRATION_DRIFT",
        `Cannot apply migration ${migration.version} (${migration.name}): another migrator applied it ` +
          "with different SQL or under another name while this one waited; run the same code everywhere",
        { version: migration.version, migrationName: migration.name },
      );
    }
    const started = performance.now();
    await runStatements(tx, migration, "up", context);
    const executionMs = Math.round(performance.now() - started);
    await insertHistoryRow(tx, { ...migration, checksum, executionMs });
    return migration.report === undefined ? undefined : await readReport(tx, migration);
  });
}

async function revertOne(
  db: DbClient,
  migration: Migration,
  lock: LockOptions,
  context: MigrationContext,
): Promise<undefined | typeof DONE_ELSEWHERE> {
  return await db.transaction(async (tx) => {
    await lockFor(tx, lock, describeStep("revert", migration));
    if (await readHistoryRow(tx, migration.version) === null) return DONE_ELSEWHERE;
    await runStatements(tx, migration, "down", context);
    await deleteHistoryRow(tx, migration.version);
    return undefined;
  });
}

function describeStep(verb: string, migration: Migration): string {
  return `${verb} migration ${migration.version} (${migration.name})`;
}

async function readReport(db: DbClient, migration: Migration): Promise<string> {
  const row = await db.queryOne(migration.report as string);
  const value = row === null ? undefined : Object.values(row)[0];
  return value === undefined || value === null ? "" : String(value);
}

/**
 * Runs one direction of a migration. SQL runs as one text in one round trip, under a savepoint; only when
 * that fails, statement by statement, so the failure names its statement. Code runs under a savepoint
 * with `context`, on a client that refuses transaction control. It records nothing in the history (the
 * harness uses it to replay migrations).
 *
 * @throws {MigrationError} `MIGRATION_FAILED` naming the version, the migration and, for SQL, the statement.
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
  context: MigrationContext = {},
): Promise<void> {
  const sql = migration[direction];
  const verb = direction === "up" ? "apply" : "revert";
  if (typeof sql !== "string") {
    try {
      await db.transaction(async (tx) => {
        const { client, end } = codeStepClient(tx, migration);
        try {
          await sql(client, context);
        } finally {
          end();
        }
      });
    } catch (cause) {
      if (cause instanceof MigrationError && cause.version === migration.version) throw cause;
      throw new MigrationError(
        "MIGRATION_FAILED",
        `Cannot ${verb} migration ${migration.version} (${migration.name}): its code failed: ${
          cause instanceof Error ? cause.message : String(cause)
        }; nothing of it was kept`,
        { version: migration.version, migrationName: migration.name, cause },
      );
    }
    return;
  }
  await runMigrationSql(db, migration, direction, sql);
}

function result(migration: Migration, status: MigrationOutcome, ms: number): MigrationResult {
  return { version: migration.version, name: migration.name, status, ms: Math.round(ms * 10) / 10 };
}
