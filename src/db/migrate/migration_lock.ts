/**
 * The migration lock: a transaction-level PostgreSQL advisory lock that every migration (and the history
 * table's creation) takes inside its own transaction, so several migrators on one database — gateway
 * instances starting together — apply each migration once. Transaction-level rather than session-level:
 * through `pglite-socket` every client shares PGlite's one backend session, where a session lock would
 * exclude nobody, while a transaction there is exclusive; on a server both work, and the runner re-reads
 * the history under the lock either way.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import { DbError } from "../client/db_error.ts";
import { MigrationError } from "./migration_error.ts";

/** The advisory lock key: the bytes of "pml-mig" as a bigint (`classid` 7368044, `objid` 762145127). */
export const MIGRATION_LOCK_KEY = "31645508777634151";

const TRY_LOCK_SQL = `SELECT pg_try_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS got`;
const HOLDER_SQL = `SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND classid = 7368044::oid AND objid = 762145127::oid
  AND objsubid = 1 AND pid <> pg_backend_pid()
LIMIT 1`;
const LOCK_SQL = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
const CURRENT_TIMEOUT_SQL = "SELECT current_setting('lock_timeout') AS previous";
const SET_TIMEOUT_SQL = "SELECT set_config('lock_timeout', $1, true)";
const LOCK_NOT_AVAILABLE = "55P03";

/** Who holds the migration lock, as far as `pg_locks` says (`null` when it could not tell). */
export interface MigrationLockHolder {
  /** The backend process id of the other migrator's connection. */
  pid: number | null;
}

/** How {@linkcode takeMigrationLock} waits. */
export interface MigrationLockOptions {
  /** How long to wait for another migrator, in milliseconds. */
  timeoutMs: number;
  /** Called once before waiting, when another migrator holds the lock. */
  onWait?: (holder: MigrationLockHolder) => void;
  /** What the caller was doing, for the error: "apply migration 3 (x)". */
  action: string;
}

/**
 * Takes the migration lock in the transaction `tx` (released at its end). When another migrator holds it,
 * says so through `onWait` and waits up to `timeoutMs`.
 *
 * @throws {MigrationError} `MIGRATION_LOCK_TIMEOUT` naming the holder when the wait expires.
 */
export async function takeMigrationLock(
  tx: DbClient,
  options: MigrationLockOptions,
): Promise<void> {
  const attempt = await tx.queryOne<{ got: boolean }>(TRY_LOCK_SQL);
  if (attempt?.got === true) return;
  const holder = await tx.queryOne<{ pid: number }>(HOLDER_SQL);
  const pid = holder?.pid ?? null;
  options.onWait?.({ pid });
  const previous = await tx.queryOne<{ previous: string }>(CURRENT_TIMEOUT_SQL);
  await tx.query(SET_TIMEOUT_SQL, [`${Math.max(1, Math.ceil(options.timeoutMs))}ms`]);
  try {
    await tx.query(LOCK_SQL);
  } catch (error) {
    if (error instanceof DbError && error.sqlState === LOCK_NOT_AVAILABLE) {
      throw new MigrationError(
        "MIGRATION_LOCK_TIMEOUT",
        `Cannot ${options.action}: another migrator${
          pid === null ? "" : ` (pid ${pid})`
        } held the migration lock for more than ${options.timeoutMs} ms; wait for it to finish or ` +
          "stop it, then migrate again (or raise migrationLockTimeoutMs)",
        { cause: error, holder: { pid } },
      );
    }
    throw error;
  }
  // Back to the session's own lock_timeout for the migration's statements.
  await tx.query(SET_TIMEOUT_SQL, [previous?.previous ?? "0"]);
}
