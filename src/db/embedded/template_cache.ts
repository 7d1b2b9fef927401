/**
 * A cache of initialised PostgreSQL clusters ("templates"), so a database starts from a dump instead of
 * running initdb: a fresh `PGlite.create()` runs initdb in a second PGlite instance (about 1.9 s on two
 * cores), loading a dump takes about a third of that. `openDatabase()` uses it for memory and for a new
 * data directory (unpacked onto disk without starting PGlite), the test harness for its migrated base.
 *
 * Entries are keyed by the PGlite and pgvector versions (and, for a migrated state, the migrations'
 * checksums), written to a temporary file and renamed, and end with a SHA-256 digest of their archive, so a
 * truncated or garbled entry is recognised, rebuilt and reported with a warning. An entry is the tar archive
 * of `dumpDataDir("none")` without the zero tail of the WAL segment (16 MiB, of which a new cluster uses
 * about 7): the fastest format measured to load (`bench/startup_bench.ts`).
 *
 * The directory is `$PML_TEMPLATE_CACHE_DIR`, else `$PML_TEST_CACHE_DIR` (its older name), else
 * `pml-store-cache` in the system temp directory (`$TMPDIR`, else `/tmp`); it is safe to delete at any time.
 * `PML_TEMPLATE_CACHE=off` turns the cache off, and so does a process without permission to read the
 * environment: every start then runs initdb.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { readTar, type TarEntry, withoutZeroTail, writeTar } from "./tar.ts";
import { isNotFound, isPermissionDenied } from "./_fs_errors.ts";
import { pgliteOptions, type PgliteUse } from "./pglite_options.ts";

/** Bump when the way an entry is built or stored changes, so older entries are not loaded. */
const CACHE_FORMAT = 3;
/** The size of a WAL segment as PGlite's initdb makes it; only a segment of this size is trimmed. */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;
const WAL_PAGE_BYTES = 8192;
/** The SHA-256 digest appended to each entry. */
export const DIGEST_BYTES = 32;
/** The path of a WAL segment inside a data directory archive. */
export const WAL_SEGMENT = /^pg_wal\/[0-9A-F]{24}$/;

/** The cache directory in use, or `null` when the cache is off. */
export function templateCacheDir(): string | null {
  try {
    const env = process.env;
    if (env.PML_TEMPLATE_CACHE?.toLowerCase() === "off") return null;
    const explicit = env.PML_TEMPLATE_CACHE_DIR || env.PML_TEST_CACHE_DIR;
    if (explicit) return explicit;
    const temp = env.TMPDIR || env.TEMP || env.TMP || "/tmp";
    return join(temp, "pml-store-cache");
  } catch {
    // Without --allow-env the cache cannot be located (or turned off), so it stays off.
    return null;
  }
}

/**
 * The cache key for a state: its name and a hash of the engine versions and `extra`; `null` when the
 * versions cannot be read (PGlite not installed from a node_modules folder), which turns the cache off.
 */
export async function templateKey(
  name: string,
  extra: readonly string[] = [],
): Promise<string | null> {
  let versions: string[];
  try {
    versions = await Promise.all(
      ["@electric-sql/pglite", "@electric-sql/pglite-pgvector"].map(packageVersion),
    );
  } catch {
    return null;
  }
  const text = JSON.stringify({ format: CACHE_FORMAT, name, versions, extra });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `${name}-${hex(new Uint8Array(digest).slice(0, 12))}`;
}

/**
 * Starts PGlite from the cached template `name` (for the inputs `extra`), with the options of `use`, or,
 * when there is none, with `build`, and caches what `build` made. A damaged entry is removed and rebuilt
 * with a warning; with the cache off this is `build()`.
 */
export async function startFromTemplate(
  name: string,
  extra: readonly string[],
  build: () => Promise<PGlite>,
  use: PgliteUse = "database",
): Promise<PGlite> {
  const key = templateCacheDir() === null ? null : await templateKey(name, extra);
  if (key === null) return await build();
  const archive = await loadTemplate(key, name);
  if (archive !== null) {
    try {
      return await PGlite.create(pgliteOptions(use, { loadDataDir: new Blob([archive]) }));
    } catch (error) {
      await discard(key, name, `PGlite cannot start from it (${(error as Error).message})`);
    }
  }
  const pg = await build();
  await saveTemplate(key, pg);
  return pg;
}

/** The name of the template of a new, empty cluster. */
export const CLUSTER_TEMPLATE = "cluster";

/**
 * The archive of a new, empty cluster, from the cache or built (and cached) with a fresh in-memory one when
 * it is missing or damaged; `null` when the cache is off.
 */
export async function clusterArchive(): Promise<Uint8Array<ArrayBuffer> | null> {
  const key = templateCacheDir() === null ? null : await templateKey(CLUSTER_TEMPLATE);
  if (key === null) return null;
  const cached = await loadTemplate(key, CLUSTER_TEMPLATE);
  if (cached !== null) return cached;
  const pg = await PGlite.create(pgliteOptions("database"));
  try {
    return await saveTemplate(key, pg);
  } finally {
    await pg.close();
  }
}

/**
 * Writes the cluster in `archive` into the empty or missing `directory`, as `dumpDataDir` left it but for
 * `postmaster.pid` (no server runs there) and with its WAL segment at its full size again.
 */
export async function unpackCluster(
  archive: Uint8Array<ArrayBuffer>,
  directory: string,
): Promise<void> {
  const entries = readTar(archive).filter((entry) => entry.name !== "postmaster.pid");
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // Parents first: the archive lists every directory before what is in it, and files only in those.
  for (const entry of entries) {
    if (entry.type === "directory") {
      await mkdir(join(directory, entry.name), {
        recursive: true,
        mode: entry.mode & 0o777 || 0o700,
      });
    }
  }
  const files = entries.filter((entry) => entry.type === "file");
  // About a thousand small files: written a batch at a time instead of one after another.
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(files.slice(i, i + 64).map((entry) => writeEntry(directory, entry)));
  }
}

async function writeEntry(directory: string, entry: TarEntry): Promise<void> {
  const path = join(directory, entry.name);
  await writeFile(path, entry.data, { mode: entry.mode & 0o777 || 0o600 });
  // Extending a file writes zeros without storing them: the segment is again byte for byte what initdb made.
  if (WAL_SEGMENT.test(entry.name)) await truncate(path, WAL_SEGMENT_BYTES);
}

/**
 * The verified archive of `key`, or `null` when it is not cached (or the cache is off); a damaged
 * entry is removed with a warning naming `label`.
 */
export async function loadTemplate(
  key: string,
  label: string,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const dir = templateCacheDir();
  if (dir === null) return null;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const buffer = await readFile(join(dir, `${key}.tar`));
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if (isPermissionDenied(error)) {
      // Not ours to read (scoped --allow-read, or another user's directory): start without the cache.
      return null;
    }
    if (!isNotFound(error)) {
      await discard(key, label, `cannot read it (${(error as Error).message})`);
    }
    return null;
  }
  const archive = bytes.subarray(0, Math.max(0, bytes.length - DIGEST_BYTES));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", archive));
  if (bytes.length <= DIGEST_BYTES || hex(digest) !== hex(bytes.subarray(archive.length))) {
    await discard(
      key,
      label,
      `its digest does not match its ${bytes.length} bytes (truncated or garbled)`,
    );
    return null;
  }
  return archive;
}

/**
 * Stores the data directory of `pg` under `key` and returns the archive, or `null` when it cannot be made
 * (a dump this reader does not understand). Written to a temporary file and renamed, so a concurrent
 * reader never sees half an entry; a cache that cannot be written is skipped with one warning. The cache
 * never makes a start fail: whatever goes wrong here, the caller carries on without it.
 */
async function saveTemplate(key: string, pg: PGlite): Promise<Uint8Array<ArrayBuffer> | null> {
  let archive: Uint8Array<ArrayBuffer>;
  try {
    archive = await dumpArchive(pg);
  } catch (error) {
    warnOnce(
      `pml-store: cannot make a template of the database (${(error as Error).message}); ` +
        "starts run initdb",
    );
    return null;
  }
  const dir = templateCacheDir();
  if (dir === null) return archive;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", archive));
  const partial = join(dir, `${key}.${crypto.randomUUID()}.partial`);
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(partial, "wx");
    try {
      await writeAll(file, archive);
      await writeAll(file, digest);
    } finally {
      await file.close();
    }
    await rename(partial, join(dir, `${key}.tar`));
  } catch (error) {
    await rm(partial).catch(() => {});
    warnOnce(
      `pml-store: cannot write the template cache in '${dir}' (${(error as Error).message}); ` +
        "starts run initdb; set PML_TEMPLATE_CACHE_DIR to a writable directory or PML_TEMPLATE_CACHE=off",
    );
  }
  return archive;
}

/** The data directory of `pg` as stored in the cache: the WAL segment without its zero tail. */
async function dumpArchive(pg: PGlite): Promise<Uint8Array<ArrayBuffer>> {
  // A dump is taken from a running cluster, so a start from it runs crash recovery from the last
  // checkpoint: one made here leaves that recovery nothing to replay. Made in a new WAL segment, with
  // recycling off, it also removes the old segment (7 MB of initdb's records no recovery reads), so
  // the archive holds one almost empty segment.
  await pg.exec("SET wal_recycle = off");
  try {
    await pg.query("SELECT pg_switch_wal()");
    await pg.exec("CHECKPOINT");
  } finally {
    await pg.exec("RESET wal_recycle");
  }
  const dump = new Uint8Array(await (await pg.dumpDataDir("none")).arrayBuffer());
  return writeTar(
    readTar(dump).map((entry) =>
      WAL_SEGMENT.test(entry.name) && entry.data.length === WAL_SEGMENT_BYTES
        ? { ...entry, data: withoutZeroTail(entry.data, WAL_PAGE_BYTES) }
        : entry
    ),
  );
}

async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += (await file.write(bytes.subarray(written))).bytesWritten;
  }
}

async function discard(key: string, label: string, reason: string): Promise<void> {
  const dir = templateCacheDir();
  console.warn(
    `pml-store: rebuilding the cached ${label} template '${key}' in '${dir}': ${reason}`,
  );
  if (dir === null) return;
  await rm(join(dir, `${key}.tar`)).catch(() => {});
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  console.warn(message);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function packageVersion(specifier: string): Promise<string> {
  // The entry point is <package>/dist/index.js; its package.json is one folder up from dist/.
  const url = new URL("../package.json", import.meta.resolve(specifier));
  const { version } = JSON.parse(await readFile(url, "utf8")) as { version: string };
  return `${specifier}@${version}`;
}
