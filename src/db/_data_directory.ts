/**
 * Checks a database path before PGlite touches it: PGlite would happily initialise a new cluster inside any
 * directory (even one full of unrelated files), and fails with a bare errno when the path is a file.
 *
 * @module
 */
import { DbError } from "./errors.ts";

/**
 * Resolves when `path` is an empty directory or a PostgreSQL data directory (it holds `PG_VERSION`),
 * creating it (with its parents) when missing; otherwise throws a `DB_OPEN_FAILED` {@linkcode DbError}
 * naming the path and the cause.
 */
export async function prepareDataDirectory(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return await createDirectory(path);
    throw openFailed(path, `cannot read it (${(cause as Error).message})`, cause);
  }
  if (!info.isDirectory) {
    throw openFailed(
      path,
      "it is a file, expected a data directory (or a path that does not exist yet)",
    );
  }
  const entries: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) entries.push(entry.name);
  } catch (cause) {
    throw openFailed(path, `cannot read the directory (${(cause as Error).message})`, cause);
  }
  if (entries.length === 0 || entries.includes("PG_VERSION")) return;
  throw openFailed(
    path,
    "it is not a PostgreSQL data directory (no PG_VERSION file) and not empty; choose an empty or new directory",
  );
}

async function createDirectory(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (cause) {
    throw openFailed(path, `cannot create the directory (${(cause as Error).message})`, cause);
  }
}

function openFailed(path: string, reason: string, cause?: unknown): DbError {
  return new DbError("DB_OPEN_FAILED", `Cannot open database at '${path}': ${reason}`, { cause });
}
