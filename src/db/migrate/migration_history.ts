/**
 * The runner's history table, `migrations_history`: which migrations are applied, with the checksum of
 * the SQL they ran. Historical columns (version, name, applied_at) are kept; checksum and execution_ms are
 * ours.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import { MigrationError } from "./migration_error.ts";

/** One row of `migrations_history`. */
export interface AppliedMigration {
  /** The migration's version. */
  version: number;
  /** The migration's name when it was applied. */
  name: string;
  /** SHA-256 of the SQL that ran. */
  checksum: string;
  /** When it was applied (database time). */
  appliedAt: Date;
  /** How long `up` took, in milliseconds. */
  executionMs: number | null;
}

/** SQL that creates the history table; re-runnable. */
export const CREATE_HISTORY_TABLE_SQL = `CREATE TABLE IF NOT EXISTS migrations_history (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TIMESTAMP DEFAULT NOW(),
  checksum TEXT NOT NULL,
  execution_ms INTEGER
)`;

/** Creates the history table when missing. */
export async function ensureHistoryTable(db: DbClient): Promise<void> {
  await db.exec(CREATE_HISTORY_TABLE_SQL);
  const checksum = await db.queryOne(
    `SELECT 1 FROM pg_attribute
     WHERE attrelid = 'migrations_history'::regclass AND attname = 'checksum' AND NOT attisdropped`,
  );
  if (checksum === null) {
    throw new MigrationError(
      "MIGRATION_DRIFT",
      "Cannot read migration history: table migrations_history has no checksum column (it was written by an " +
        "older runner); add the column with the SHA-256 of each applied migration before using this runner",
    );
  }
}

/**
 * Reads the applied migrations in ascending version order; an empty list when the table does not exist.
 */
export async function readHistory(db: DbClient): Promise<AppliedMigration[]> {
  const exists = await db.queryOne<{ name: string | null }>(
    "SELECT to_regclass('migrations_history')::text AS name",
  );
  if (exists?.name == null) return [];
  const rows = await db.query<{
    version: number;
    name: string;
    checksum: string;
    applied_at: Date;
    execution_ms: number | null;
  }>(
    "SELECT version, name, checksum, applied_at, execution_ms FROM migrations_history ORDER BY version",
  );
  return rows.map((row) => ({
    version: row.version,
    name: row.name,
    checksum: row.checksum,
    appliedAt: row.applied_at,
    executionMs: row.execution_ms,
  }));
}

/** The history row of `version` (its checksum and name), or `null` when it is not applied. */
export function readHistoryRow(
  db: DbClient,
  version: number,
): Promise<{ checksum: string; name: string } | null> {
  return db.queryOne("SELECT checksum, name FROM migrations_history WHERE version = $1", [version]);
}

/** Records an applied migration. */
export async function insertHistoryRow(
  db: DbClient,
  row: { version: number; name: string; checksum: string; executionMs: number },
): Promise<void> {
  await db.query(
    "INSERT INTO migrations_history (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)",
    [row.version, row.name, row.checksum, row.executionMs],
  );
}

/** Forgets an applied migration (after its `down` ran). */
export async function deleteHistoryRow(db: DbClient, version: number): Promise<void> {
  await db.query("DELETE FROM migrations_history WHERE version = $1", [version]);
}
