/**
 * Starting embedded PGlite with pgvector: in memory, or on a data directory through its checks and its
 * lock. `openDatabase()` wraps the instance as a client; `serve` and the test harness use it raw.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { DbError, describeCause } from "../client/db_error.ts";
import {
  assertDatabasePath,
  type DataDirectoryOptions,
  openDataDirectory,
} from "./data_directory.ts";
import { CLUSTER_TEMPLATE, startFromTemplate } from "./template_cache.ts";
import { pgliteOptions } from "./pglite_options.ts";

/**
 * The paths that select an in-memory database: `memory://` (PGlite's spelling) and `:memory:` (SQLite's).
 *
 * @example Usage
 * ```ts
 * import { isMemoryPath } from "./open_embedded.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isMemoryPath("memory://") && isMemoryPath(":memory:"));
 * assert.ok(!isMemoryPath("./memory"));
 * ```
 */
export function isMemoryPath(path: string): boolean {
  return path === "memory://" || path === ":memory:";
}

/**
 * Starts a raw PGlite instance with pgvector, in memory or on the data directory at `path` (locked until
 * the instance is closed). A new database starts from the template cache (see `template_cache.ts`).
 *
 * @throws {DbError} `DB_PATH_INVALID`, `DB_LOCKED`, `DB_NOT_FOUND` (with `create: false`),
 * `DB_HALF_INITIALIZED`, `DB_VERSION_MISMATCH`, `DB_DAMAGED`, `DB_PERMISSION_DENIED`, `DB_OPEN_FAILED`;
 * each carries the `path` and says what is wrong and what to do.
 *
 * @example A path that is a file is refused before PGlite starts
 * ```ts
 * import { openPglite } from "./open_embedded.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await assert.rejects(openPglite(file), { code: "DB_OPEN_FAILED", path: file });
 * await Deno.remove(file);
 * ```
 */
export async function openPglite(
  path: string,
  options: DataDirectoryOptions = {},
): Promise<PGlite> {
  if (typeof path === "string" && isMemoryPath(path)) {
    try {
      return await startFromTemplate(
        CLUSTER_TEMPLATE,
        [],
        () => PGlite.create(pgliteOptions("database")),
      );
    } catch (cause) {
      throw inMemoryStartError("database", cause);
    }
  }
  assertDatabasePath(path);
  return await openDataDirectory(path, options);
}

/**
 * The `DB_OPEN_FAILED` error of an in-memory PGlite that failed to start, for `what` ("database", or the
 * test harness's), naming the likely causes. Private to pml-store: the harness throws it too.
 */
export function inMemoryStartError(what: string, cause: unknown): DbError {
  const reason = `PGlite failed to start (${describeCause(cause)})`;
  const advice =
    "check that the process has about 200 MB of memory to spare and that @electric-sql/pglite is fully installed";
  return new DbError("DB_OPEN_FAILED", `Cannot open ${what} in memory: ${reason}; ${advice}`, {
    cause,
  });
}

/** The canonical in-memory path, as the CLI and messages spell it. */
export const MEMORY_PATH = "memory://";
