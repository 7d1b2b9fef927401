/**
 * The one way to open a database: embedded PGlite (in memory or in a data directory), or a PostgreSQL
 * server through its URL.
 *
 * @module
 */
import type { DbClient } from "./client/db_client.ts";
import { DbError } from "./client/db_error.ts";
import { pgliteClient } from "./client/pglite_client.ts";
import { isPostgresUrl, openPostgres } from "./client/postgres_client.ts";
import type { DataDirectoryOptions } from "./embedded/data_directory.ts";
import { openPglite } from "./embedded/open_embedded.ts";

/** Options of {@linkcode openDatabase}. */
export interface OpenDatabaseOptions extends DataDirectoryOptions {
  /**
   * `memory://` (or `:memory:`) for an in-memory database, the path of a data directory, or a server URL
   * `postgres://…`. Other URLs and the empty string are refused (`DB_PATH_INVALID`).
   *
   * @default {"memory://"}
   */
  path?: string;
  /**
   * A PostgreSQL server to connect to, `postgres://user:password@host:port/database`, instead of an
   * embedded database; a `path` of that form means the same. `create` and `directoryLockTimeoutMs`
   * concern data directories and are ignored for a server.
   */
  url?: string;
  /**
   * For a server: how long to wait for it to accept the first connection, in milliseconds.
   *
   * @default {10000}
   */
  connectTimeoutMs?: number;
}

/**
 * Opens a database: a PostgreSQL server when `url` (or a `path` of the form `postgres://…`) is given,
 * else embedded PGlite with pgvector — in memory (`memory://` or `:memory:`, the default) or in a data
 * directory.
 *
 * A data directory is opened by one opener at a time: it is locked (an exclusive `flock` on
 * `<path>.lock`, released by `close()` or when the process dies), and a second opener, in this process or
 * another, gets `DB_LOCKED` naming the holder unless `directoryLockTimeoutMs` lets it wait. A new data
 * directory is initialised in a sibling directory and renamed into place, so a crash never leaves half a
 * cluster. A new embedded database starts from the template cache (`$PML_TEMPLATE_CACHE_DIR`, see
 * docs/database.md) instead of running initdb.
 *
 * @throws {DbError} `DB_PATH_INVALID` for a bad path or URL, or both `url` and `path`; `DB_OPEN_FAILED`
 * naming host, port, database and user (never the password) when a server cannot be reached; the
 * data-directory codes (`DB_LOCKED`, `DB_NOT_FOUND`, `DB_DAMAGED`, …, each with the `path`) for an
 * embedded database.
 *
 * @example In memory
 * ```ts
 * import { openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: ":memory:" });
 * assert.deepEqual(await db.query("SELECT 1 + 1 AS two"), [{ two: 2 }]);
 * assert.equal(db.sharedSession, true);
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DbClient> {
  const { url, path, connectTimeoutMs, ...embedded } = options;
  if (url !== undefined && path !== undefined) {
    throw new DbError(
      "DB_PATH_INVALID",
      "Cannot open database: both url and path are given; give url for a server or path for an " +
        "embedded database",
    );
  }
  const server = url ?? (path !== undefined && isPostgresUrl(path) ? path : undefined);
  if (server !== undefined) {
    if (!isPostgresUrl(server)) {
      throw new DbError(
        "DB_PATH_INVALID",
        "Cannot open database: url must start with postgres:// or postgresql://; give " +
          "postgres://user:password@host:port/database",
      );
    }
    return await openPostgres(
      server,
      connectTimeoutMs === undefined ? {} : { connectTimeoutMs },
    );
  }
  return pgliteClient(await openPglite(path ?? "memory://", embedded), { owner: true });
}
