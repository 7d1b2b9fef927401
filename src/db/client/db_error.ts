/**
 * Error classes of the database layer. Each carries a stable `code` so callers can branch on it without
 * parsing messages; the underlying fault is chained as `cause`.
 *
 * @module
 */

/** Stable codes of {@linkcode DbError}. */
export type DbErrorCode =
  | "DB_OPEN_FAILED"
  | "DB_LOCKED"
  | "DB_NOT_FOUND"
  | "DB_PATH_INVALID"
  | "DB_HALF_INITIALIZED"
  | "DB_VERSION_MISMATCH"
  | "DB_DAMAGED"
  | "DB_PERMISSION_DENIED"
  | "DB_CLOSED"
  | "DB_QUERY_FAILED"
  | "DB_TRANSACTION_ENDED";

/**
 * A fault of the database layer: it could not open, it was used after `close()`, or a statement failed.
 *
 * @example Branching on the code
 * ```ts
 * import { DbError } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const error = await db.query("SELECT * FROM no_such_table").catch((e) => e);
 *   assert.ok(error instanceof DbError);
 *   assert.equal(error.code, "DB_QUERY_FAILED");
 *   assert.equal(error.sqlState, "42P01");
 * });
 * ```
 */
export class DbError extends Error {
  /** A stable identifier of the kind of fault. */
  readonly code: DbErrorCode;
  /** The SQL that failed, when a statement failed (parameters are never attached). */
  readonly sql?: string;
  /** The five-character PostgreSQL SQLSTATE, e.g. `23503` for a foreign key violation. */
  readonly sqlState?: string;
  /** The constraint named by PostgreSQL, when the fault is a constraint violation. */
  readonly constraint?: string;
  /** The data directory concerned, for the errors of an embedded database's path. */
  readonly path?: string;
  /** For `DB_LOCKED`: who holds the lock, when its lock file names it. */
  readonly holder?: { pid: number; command: string; since: string } | null;

  /** Creates the error; `details` attaches the SQL, SQLSTATE, constraint, path, lock holder and cause. */
  constructor(
    code: DbErrorCode,
    message: string,
    details: {
      sql?: string;
      sqlState?: string;
      constraint?: string;
      path?: string;
      holder?: { pid: number; command: string; since: string } | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "DbError";
    this.code = code;
    if (details.sql !== undefined) this.sql = details.sql;
    if (details.sqlState !== undefined) this.sqlState = details.sqlState;
    if (details.constraint !== undefined) this.constraint = details.constraint;
    if (details.path !== undefined) this.path = details.path;
    if (details.holder !== undefined) this.holder = details.holder;
  }
}

const ERRNO_NAMES: Record<number, string> = {
  2: "EACCES",
  10: "EBUSY",
  20: "EEXIST",
  28: "EINVAL",
  31: "EISDIR",
  44: "ENOENT",
  51: "ENOSPC",
  54: "ENOTDIR",
  55: "ENOTEMPTY",
  63: "EPERM",
};

/** A readable reason for any thrown value, including emscripten's `ErrnoError` objects. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error && cause.message !== "") {
    return cause.message.replace(/\s*Build with -sASSERTIONS.*$/s, "");
  }
  const errno = (cause as { errno?: unknown } | null)?.errno;
  if (typeof errno === "number") {
    return `file system error errno ${errno}${
      ERRNO_NAMES[errno] ? ` (${ERRNO_NAMES[errno]})` : ""
    }`;
  }
  if (typeof cause === "object" && cause !== null) {
    try {
      return JSON.stringify(cause);
    } catch {
      return Object.prototype.toString.call(cause);
    }
  }
  return String(cause);
}
