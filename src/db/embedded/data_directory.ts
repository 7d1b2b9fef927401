/**
 * Opening a data directory safely: the path is checked before PGlite touches it, the directory is locked
 * (one writer, see `data_directory_lock.ts`), and a new cluster is initialised in a sibling directory and
 * renamed into place in one step, so a crash at any moment leaves either no database or a whole one. The
 * new cluster is unpacked from the template cache (`_template_cache.ts`) when it is on.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import type { Stats } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { DbError, describeCause } from "../client/db_error.ts";
import { type DataDirectoryLock, lockDataDirectory } from "./data_directory_lock.ts";
import { clusterArchive, unpackCluster } from "./template_cache.ts";
import { isNotFound, isPermissionDenied } from "./_fs_errors.ts";
import { pgliteOptions } from "./pglite_options.ts";

/** The PostgreSQL major version of the bundled PGlite, as it writes it in `PG_VERSION`. */
export const PG_MAJOR_VERSION = "18";

/** What initdb writes into a data directory, in the order it may be interrupted. */
const CLUSTER_ENTRIES = new Set([
  "PG_VERSION",
  "base",
  "global",
  "pg_commit_ts",
  "pg_dynshmem",
  "pg_hba.conf",
  "pg_ident.conf",
  "pg_logical",
  "pg_multixact",
  "pg_notify",
  "pg_replslot",
  "pg_serial",
  "pg_snapshots",
  "pg_stat",
  "pg_stat_tmp",
  "pg_subtrans",
  "pg_tblspc",
  "pg_twophase",
  "pg_wal",
  "pg_xact",
  "postgresql.auto.conf",
  "postgresql.conf",
  "postmaster.opts",
  "postmaster.pid",
]);

/** How a data directory is opened. */
export interface DataDirectoryOptions {
  /**
   * Whether a missing path or an empty directory becomes a new database. With `false` such a path is
   * refused with `DB_NOT_FOUND` and nothing is created, not even a lock file.
   *
   * @default {true}
   */
  create?: boolean;
  /**
   * How long to wait, in milliseconds, when another opener holds the data directory's lock. `0` fails at
   * once with `DB_LOCKED`.
   *
   * @default {0}
   */
  directoryLockTimeoutMs?: number;
}

/**
 * Checks a data directory's `path`: the empty string and URLs are refused (they would otherwise become
 * directories named like the URL).
 *
 * @throws {DbError} `DB_PATH_INVALID`.
 */
export function assertDatabasePath(path: string): void {
  if (typeof path !== "string" || path.trim() === "") {
    throw new DbError(
      "DB_PATH_INVALID",
      "Cannot open database: the path is empty; give a data directory, or memory:// for memory",
      { path },
    );
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) {
    throw new DbError(
      "DB_PATH_INVALID",
      `Cannot open database at '${path}': only memory:// or :memory: (in memory), postgres:// ` +
        "(a server) and directory paths are supported, not other URLs; give a data directory path instead",
      { path },
    );
  }
}

/**
 * Locks the data directory at `path`, checks it, creates the cluster when it is new (and `create` allows),
 * and starts PGlite on it. The lock is released when the returned instance is closed (or the process ends).
 *
 * @throws {DbError} `DB_LOCKED`, `DB_NOT_FOUND`, `DB_HALF_INITIALIZED`, `DB_VERSION_MISMATCH`, `DB_DAMAGED`,
 * `DB_PERMISSION_DENIED`, `DB_OPEN_FAILED`; each names the path and what to do.
 */
export async function openDataDirectory(
  path: string,
  options: DataDirectoryOptions = {},
): Promise<PGlite> {
  const directory = resolve(path);
  const create = options.create ?? true;
  // Checked before the lock too, so a path that cannot be opened is reported as it is, and a refused
  // open creates nothing (not even a lock file); checked again under the lock, where it counts.
  if (await isMissing(directory)) {
    if (!create) throw notFound(directory, "nothing is there");
    await makeDirectory(dirname(directory), directory);
  } else if (await inspect(directory) !== "cluster" && !create) {
    // A directory that cannot be opened (a file, a foreign or damaged one), or one an open that may not
    // create finds empty, is refused before the lock: a refusal leaves nothing behind, not even a lock file.
    throw notFound(directory, "the directory is empty");
  }
  const lock = await lockDataDirectory(directory, {
    timeoutMs: options.directoryLockTimeoutMs ?? 0,
  });
  try {
    const state = await inspect(directory);
    if (state !== "cluster") {
      if (!create) throw notFound(directory, "the directory is empty");
      // An interrupted initialisation leaves no cluster behind, so its staging directory can only be
      // beside a path that is initialised now: cleaning up here keeps the parent listing off normal opens.
      await removeAbandonedInitialisations(directory);
      await initialise(directory);
    }
    return await start(directory, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

type DirectoryState = "missing" | "empty" | "cluster";

async function isMissing(directory: string): Promise<boolean> {
  try {
    await stat(directory);
    return false;
  } catch (cause) {
    if (isNotFound(cause)) return true;
    throw fsError(directory, "cannot read it", cause);
  }
}

async function inspect(directory: string): Promise<DirectoryState> {
  let info: Stats;
  try {
    info = await stat(directory);
  } catch (cause) {
    if (isNotFound(cause)) return "missing";
    throw fsError(directory, "cannot read it", cause);
  }
  if (!info.isDirectory()) {
    throw openFailed(
      directory,
      "it is a file, expected a data directory (or a path that does not exist yet); choose another path",
    );
  }
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (cause) {
    throw fsError(directory, "cannot read the directory", cause);
  }
  if (entries.length === 0) return "empty";
  if (entries.includes("PG_VERSION")) {
    await assertWholeCluster(directory);
    return "cluster";
  }
  if (entries.every((name) => CLUSTER_ENTRIES.has(name))) {
    throw new DbError(
      "DB_HALF_INITIALIZED",
      `Cannot open database at '${directory}': it was left half-initialised (it has ${
        entries.sort().join(", ")
      } but no PG_VERSION: an earlier initialisation was interrupted) and holds no data; remove the directory and open the path again to create a new database`,
      { path: directory },
    );
  }
  throw openFailed(
    directory,
    "it is not a PostgreSQL data directory (no PG_VERSION file) and not empty; choose an empty or new directory",
  );
}

async function assertWholeCluster(directory: string): Promise<void> {
  const version = (await readText(directory, "PG_VERSION")).trim();
  if (version !== PG_MAJOR_VERSION) {
    throw new DbError(
      "DB_VERSION_MISMATCH",
      `Cannot open database at '${directory}': it was written by PostgreSQL ${
        JSON.stringify(version).slice(1, -1) || "(empty PG_VERSION)"
      }, and this PGlite runs PostgreSQL ${PG_MAJOR_VERSION}; open it with the version that wrote it, ` +
        "or dump it there and restore the dump into a new directory",
      { path: directory },
    );
  }
  let size: number;
  try {
    size = (await stat(join(directory, "global", "pg_control"))).size;
  } catch (cause) {
    if (!isNotFound(cause)) throw fsError(directory, "cannot read it", cause);
    throw damaged(directory, "global/pg_control is missing");
  }
  // PostgreSQL always writes the control file as one 8 kB block.
  if (size !== 8192) throw damaged(directory, `global/pg_control has ${size} bytes, expected 8192`);
}

async function readText(directory: string, name: string): Promise<string> {
  try {
    return await readFile(join(directory, name), "utf8");
  } catch (cause) {
    throw fsError(directory, `cannot read ${name}`, cause);
  }
}

async function makeDirectory(parent: string, directory: string): Promise<void> {
  try {
    await mkdir(parent, { recursive: true });
  } catch (cause) {
    throw fsError(directory, "cannot create its parent directory", cause);
  }
}

function initPrefix(directory: string): string {
  return `.${basename(directory)}.init-`;
}

/** Initialisations interrupted by a crash leave a sibling directory; only the lock holder makes them. */
async function removeAbandonedInitialisations(directory: string): Promise<void> {
  const parent = dirname(directory);
  const prefix = initPrefix(directory);
  for (const entry of await readdir(parent, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith(prefix)) {
      await rm(join(parent, entry.name), { recursive: true });
    }
  }
}

async function initialise(directory: string): Promise<void> {
  const staging = join(
    dirname(directory),
    `${initPrefix(directory)}${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  try {
    const template = await clusterArchive();
    if (template === null) {
      const pg = await PGlite.create(staging, pgliteOptions("database"));
      await pg.close();
    } else {
      await unpackCluster(template, staging);
    }
    // rename(2) replaces an empty directory in one step: before it there is no database, after it a whole one.
    await rename(staging, directory);
  } catch (cause) {
    await rm(staging, { recursive: true }).catch(() => {});
    if (cause instanceof DbError) throw cause;
    throw openFailed(
      directory,
      `cannot initialise a new database (${describeCause(cause)})`,
      cause,
    );
  }
}

async function start(directory: string, lock: DataDirectoryLock): Promise<PGlite> {
  let pg: PGlite;
  try {
    pg = await PGlite.create(directory, pgliteOptions("database"));
  } catch (cause) {
    throw startFailed(directory, cause);
  }
  const close = pg.close.bind(pg);
  // The lock lives exactly as long as the instance: released once PGlite has written its last page.
  pg.close = async () => {
    try {
      await close();
    } finally {
      lock.release();
    }
  };
  return pg;
}

function startFailed(directory: string, cause: unknown): DbError {
  const reason = describeCause(cause);
  if (/errno 2\b|EACCES|permission denied/i.test(reason)) {
    return new DbError(
      "DB_PERMISSION_DENIED",
      `Cannot open database at '${directory}': permission denied (${reason}); give this user read and ` +
        "write access to the directory and every file in it",
      { cause, path: directory },
    );
  }
  if (/Aborted|initialize properly|could not|invalid|incorrect|FATAL|PANIC/i.test(reason)) {
    return damaged(
      directory,
      "PostgreSQL could not start on it (it aborted: a damaged or garbled file, or a bad postgresql.conf)",
      cause,
    );
  }
  return openFailed(directory, `PGlite failed to start (${reason})`, cause);
}

function damaged(directory: string, reason: string, cause?: unknown): DbError {
  return new DbError(
    "DB_DAMAGED",
    `Cannot open database at '${directory}': it is damaged: ${reason}; nothing was changed in it: ` +
      "restore it from a backup, or move it aside and open the path again to start a new database",
    { cause, path: directory },
  );
}

function notFound(directory: string, reason: string): DbError {
  return new DbError(
    "DB_NOT_FOUND",
    `Cannot open database at '${directory}': there is no database there (${reason}); open it ` +
      "with create: true to make a new database there, or choose another path",
    { path: directory },
  );
}

function fsError(directory: string, action: string, cause: unknown): DbError {
  const denied = isPermissionDenied(cause);
  return new DbError(
    denied ? "DB_PERMISSION_DENIED" : "DB_OPEN_FAILED",
    `Cannot open database at '${directory}': ${action} (${describeCause(cause)})${
      denied ? "; give this user read and write access to it" : ""
    }`,
    { cause, path: directory },
  );
}

function openFailed(directory: string, reason: string, cause?: unknown): DbError {
  return new DbError("DB_OPEN_FAILED", `Cannot open database at '${directory}': ${reason}`, {
    cause,
    path: directory,
  });
}
