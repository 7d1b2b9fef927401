/**
 * The runtime seam of the data-directory lock: an exclusive `flock(2)` on an open file, taken the way each
 * runtime can. Both runtimes use the same operating-system primitive, so a Deno process and a Node process
 * on one directory exclude each other.
 *
 * - Deno: `Deno.FsFile.tryLock()`, which is `flock(2)` on the file's descriptor.
 * - Node has no file-lock API and no native addon is installed here, so the file is opened in this process
 *   and util-linux `flock(1)` locks the same open file description, inherited as its descriptor 3, then
 *   exits: a `flock` belongs to the open file description, not to the process that took it, so the lock
 *   stays held by our descriptor, is released synchronously when we close it, and is released by the
 *   operating system when this process dies, exactly as under Deno.
 *
 * This is the only file that asks which runtime runs it.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { closeSync, constants, open } from "node:fs";

/** An open lock file that can take an exclusive `flock`; closing it releases the lock. */
export interface LockableFile {
  /** Takes the exclusive lock without waiting: `true` when taken, `false` when another open file holds it. */
  tryLock(): Promise<boolean>;
  /** Closes the file, which releases its lock; closing twice is harmless. */
  close(): void;
}

/** Thrown by {@linkcode LockableFile.tryLock} under Node when the `flock` command is not installed. */
export class FlockMissingError extends Error {
  constructor(cause: unknown) {
    super("the 'flock' command (util-linux) is not installed", { cause });
    this.name = "FlockMissingError";
  }
}

/** The part of Deno's namespace the lock uses, typed here so this file also compiles without Deno's types. */
interface DenoFiles {
  open(path: string, options: { read: boolean; write: boolean; create: boolean }): Promise<{
    tryLock(exclusive: boolean): Promise<boolean>;
    close(): void;
  }>;
}

/**
 * Opens (creating it when missing) the lock file at `path`.
 *
 * @throws The runtime's file-system error when it cannot be opened.
 */
export async function openLockableFile(path: string): Promise<LockableFile> {
  const deno = (globalThis as { Deno?: DenoFiles }).Deno;
  if (deno !== undefined) {
    const file = await deno.open(path, { read: true, write: true, create: true });
    let open = true;
    return {
      tryLock: () => file.tryLock(true),
      close: () => {
        if (open) file.close();
        open = false;
      },
    };
  }
  const fd = await new Promise<number>((resolve, reject) =>
    // A raw descriptor, not a FileHandle: a FileHandle closes itself when collected, releasing the lock.
    open(path, constants.O_RDWR | constants.O_CREAT, (error, fd) =>
      error === null ? resolve(fd) : reject(error))
  );
  return new FlockFile(fd);
}

class FlockFile implements LockableFile {
  #fd: number | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  async tryLock(): Promise<boolean> {
    if (this.#fd === undefined) throw new Error("the lock file is closed");
    const child = spawn("flock", ["-x", "-n", "3"], {
      stdio: ["ignore", "ignore", "pipe", this.#fd],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", (error: Error & { code?: string }) => {
        reject(error.code === "ENOENT" ? new FlockMissingError(error) : error);
      });
      child.once("close", resolve);
    });
    if (code === 0) return true;
    // flock(1) exits 1 without a word when the lock is held; anything else is a failure it describes.
    if (code === 1 && stderr.trim() === "") return false;
    throw new Error(`flock(1) failed with exit code ${code}: ${stderr.trim() || "no message"}`);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
