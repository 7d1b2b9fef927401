/**
 * The two flags every database command accepts: `--db` (which database) and `--wait` (for its lock).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { isMemoryPath } from "../db/embedded/open_embedded.ts";
import { type CliFlag, switchFlag, UsageError, valueFlag } from "./cli_command.ts";

/**
 * The database used when neither `--db` nor `PML_DB_PATH` is given, relative to the working directory.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_DB_DIR } from "./database_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(DEFAULT_DB_DIR, /^\.pml[\\/]db$/);
 * ```
 */
export const DEFAULT_DB_DIR: string = join(".pml", "db");

/** How long `--wait` waits for the data directory's lock, in milliseconds. */
export const WAIT_MS = 60_000;

const URL_PATTERN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * `--db PATH`: the database, else `$PML_DB_PATH`, else {@linkcode DEFAULT_DB_DIR}; a directory is resolved
 * against the working directory, a URL passes as it is.
 *
 * @example Usage
 * ```ts
 * import { DB_FLAG } from "./database_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const io = { out() {}, err() {}, env: () => "memory://", cwd: "/srv" };
 * assert.equal(DB_FLAG.read(undefined, io), "memory://");
 * assert.equal(DB_FLAG.read("data", io), "/srv/data");
 * ```
 */
export const DB_FLAG: CliFlag<string> = valueFlag({
  name: "db",
  value: "PATH",
  description: `data directory, memory://, or a server postgres://user:pass@host:port/db ` +
    `(default: $PML_DB_PATH, else ${DEFAULT_DB_DIR})`,
  read(given, io) {
    const path = given ?? io.env("PML_DB_PATH") ?? DEFAULT_DB_DIR;
    if (path.trim() === "") {
      const source = given === undefined ? "PML_DB_PATH" : "--db";
      throw new UsageError(`${source} is empty; give a data directory or memory://`);
    }
    // URLs pass unresolved: a server's is connected to, any other is refused by name (DB_PATH_INVALID).
    return isMemoryPath(path) || URL_PATTERN.test(path) ? path : resolve(io.cwd, path);
  },
});

/** `--wait`: wait up to {@linkcode WAIT_MS} for the data directory's lock instead of failing at once. */
export const WAIT_FLAG: CliFlag<boolean> = switchFlag(
  "wait",
  `wait up to ${WAIT_MS / 1000} s for another process that has the database open, ` +
    "instead of failing at once with DB_LOCKED",
);
