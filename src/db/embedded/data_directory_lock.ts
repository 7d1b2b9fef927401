/**
 * One writer per data directory. PGlite takes no lock of its own, and two openers of one directory (two
 * processes, or two instances in one process) corrupt it silently. The lock is an exclusive `flock` on a
 * sibling file `<directory>.lock`: the operating system releases it when its holder closes it or dies, so
 * a `kill -9` never leaves a stale lock behind. A `flock` is held per open file, so a second opener in the
 * same process is refused too. Deno takes it itself, Node through util-linux `flock(1)` (`_file_lock.ts`);
 * both take the same `flock(2)`, so Deno and Node processes exclude each other.
 *
 * The lock file is never deleted: deleting it would let a late opener lock a file that no longer has a
 * name while a third locks a new one. It holds who took the lock last (pid, command, since when), only to
 * name the holder in an error; whether the lock is held is decided by the operating system alone.
 *
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { DbError } from "../client/db_error.ts";
import { isPermissionDenied } from "./_fs_errors.ts";
import { FlockMissingError, type LockableFile, openLockableFile } from "./_file_lock.ts";

/** Who holds (or last held) a data directory's lock, as written in its lock file. */
export interface LockHolder {
  /** The holder's process id. */
  pid: number;
  /** The holder's command line. */
  command: string;
  /** When it took the lock (ISO 8601). */
  since: string;
}

/** Options of {@linkcode lockDataDirectory}. */
export interface LockOptions {
  /**
   * How long to wait for a held lock, in milliseconds; `0` fails at once with `DB_LOCKED`.
   *
   * @default {0}
   */
  timeoutMs?: number;
}

/** A held data-directory lock. */
export interface DataDirectoryLock {
  /** The lock file's path. */
  readonly path: string;
  /** Releases the lock; releasing twice is harmless. */
  release(): void;
}

/** The path of the lock file of the data directory at `directory`. */
export function lockFilePath(directory: string): string {
  return `${directory.replace(/[\\/]+$/, "")}.lock`;
}

/**
 * Takes the exclusive lock of the data directory at `directory` (which need not exist yet; its parent
 * must), waiting up to `timeoutMs`.
 *
 * @throws {DbError} `DB_LOCKED` when another opener holds it (the message names the holder);
 * `DB_PERMISSION_DENIED` or `DB_OPEN_FAILED` when the lock file cannot be opened or locked (under Node,
 * `DB_OPEN_FAILED` when util-linux `flock(1)` is not installed).
 *
 * @example A second opener is refused
 * ```ts
 * import { lockDataDirectory } from "./data_directory_lock.ts";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * const lock = await lockDataDirectory(`${parent}/db`);
 * await assert.rejects(lockDataDirectory(`${parent}/db`), { code: "DB_LOCKED" });
 * lock.release();
 * (await lockDataDirectory(`${parent}/db`)).release();
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function lockDataDirectory(
  directory: string,
  options: LockOptions = {},
): Promise<DataDirectoryLock> {
  const timeoutMs = options.timeoutMs ?? 0;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(
      `Cannot lock the data directory: 'directoryLockTimeoutMs' must be a non-negative number, found ${timeoutMs}`,
    );
  }
  const path = lockFilePath(directory);
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  for (;;) {
    const file = await openLockFile(path, directory);
    let locked = false;
    try {
      locked = await file.tryLock();
    } catch (cause) {
      file.close();
      throw lockFailed(directory, cause);
    }
    if (locked) {
      try {
        await recordHolder(path);
      } catch (error) {
        file.close();
        throw error;
      }
      return new HeldLock(path, file);
    }
    file.close();
    if (Date.now() >= deadline) throw await lockedError(directory, path, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, deadline - Date.now())));
    pause = Math.min(pause * 2, 200);
  }
}

class HeldLock implements DataDirectoryLock {
  readonly path: string;
  #file: LockableFile | undefined;

  constructor(path: string, file: LockableFile) {
    this.path = path;
    this.#file = file;
  }

  release(): void {
    // Closing the file releases the flock.
    this.#file?.close();
    this.#file = undefined;
  }
}

async function openLockFile(path: string, directory: string): Promise<LockableFile> {
  try {
    return await openLockableFile(path);
  } catch (cause) {
    const denied = isPermissionDenied(cause);
    throw new DbError(
      denied ? "DB_PERMISSION_DENIED" : "DB_OPEN_FAILED",
      `Cannot lock the data directory '${directory}': cannot open its lock file '${path}' (${
        (cause as Error).message
      }); ${
        denied
          ? "give this user read and write access to the directory that holds it"
          : "check that the parent directory exists and is writable"
      }`,
      { cause },
    );
  }
}

function lockFailed(directory: string, cause: unknown): DbError {
  if (cause instanceof FlockMissingError) {
    return new DbError(
      "DB_OPEN_FAILED",
      `Cannot lock the data directory '${directory}': under Node the lock is taken with the 'flock' ` +
        "command of util-linux, and it is not installed; install util-linux (apt-get install util-linux, " +
        "apk add util-linux-misc, dnf install util-linux; on macOS brew install flock)",
      { cause },
    );
  }
  return new DbError(
    "DB_OPEN_FAILED",
    `Cannot lock the data directory '${directory}': ${
      (cause as Error).message
    }; check the file system supports file locks`,
    { cause },
  );
}

async function recordHolder(path: string): Promise<void> {
  const holder: LockHolder = {
    pid: process.pid,
    command: process.argv.join(" ").slice(0, 300),
    since: new Date().toISOString(),
  };
  await writeFile(path, `${JSON.stringify(holder)}\n`);
}

/** The holder named in the lock file, or `null` when it cannot be read (it is being written). */
export async function readLockHolder(path: string): Promise<LockHolder | null> {
  try {
    const value = JSON.parse(await readFile(path, "utf8"));
    if (typeof value?.pid === "number" && typeof value.since === "string") return value;
  } catch {
    // An empty or partly written file names nobody yet; the caller says so.
  }
  return null;
}

async function lockedError(directory: string, path: string, timeoutMs: number): Promise<DbError> {
  // A holder that has just taken the lock writes its name a moment later: give it that moment.
  let holder = await readLockHolder(path);
  for (let tries = 0; holder === null && tries < 25; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    holder = await readLockHolder(path);
  }
  const who = holder === null
    ? "another opener (it has not recorded itself yet)"
    : holder.pid === process.pid
    ? `this process (pid ${holder.pid}, since ${holder.since}): it is already open here`
    : `process ${holder.pid} (${holder.command}) since ${holder.since}`;
  const waited = timeoutMs > 0 ? ` after waiting ${timeoutMs} ms` : "";
  return new DbError(
    "DB_LOCKED",
    `Cannot open database at '${directory}': it is locked by ${who}${waited}; ` +
      "close that database or stop that process, or wait for it (directoryLockTimeoutMs)",
    { holder, path: directory },
  );
}
