/**
 * The shared KV handle: one lazily opened connection per process at `PML_KV_PATH` (default
 * `.pml/kv.db`; `:memory:` for an ephemeral store), replaceable by tests (`installKv`, shipped through
 * `@pml/store/fixtures`). Deno uses `Deno.openKv`; Node the `@deno/kv` package, with the same API.
 *
 * @module
 */

import { mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { type Override, pushOverride } from "./clock.ts";
import type { KvClient } from "./kv_client.ts";
import { CacheError } from "./cache_error.ts";
import { findKvFileDamage } from "./kv_file_check.ts";

/** The KV path used when `PML_KV_PATH` is unset or empty, relative to the working directory. */
export const DEFAULT_KV_PATH = ".pml/kv.db";
/** The path that opens an ephemeral in-memory store. */
export const MEMORY_KV_PATH = ":memory:";
/** What every SQLite database file, hence every KV file, starts with. */
const SQLITE_HEADER = "SQLite format 3\0";
/** The absolute paths of the files whose damage check passed in this process: each is checked once. */
const checkedFiles = new Set<string>();

/** The KV path to open: `PML_KV_PATH` when set and non-empty, else {@linkcode DEFAULT_KV_PATH}. */
export function resolveKvPath(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env.PML_KV_PATH || DEFAULT_KV_PATH;
}

/**
 * Opens a new KV connection, owned by the caller, at `path` (a file path, creating its directory;
 * {@linkcode MEMORY_KV_PATH}; or a KV Connect URL). Private: applications use {@linkcode getKv}.
 *
 * The first open of a file in a process checks it for damage first (SQLite's `quick_check`, or a
 * weaker walk of its pages where `node:sqlite` is missing: see `kv_file_check.ts`), read-only, so a
 * file another process has open is neither written nor checkpointed.
 *
 * @throws {CacheError} `KV_OPEN_FAILED` (`path`, `cause`) when the directory or store cannot be
 * opened, the file is not a SQLite database, or it is damaged (refused before the opener sees it:
 * its reaction to a garbled file ranges from an error to a process abort).
 */
export async function openKvClient(path: string): Promise<KvClient> {
  let refusal: string | null = null;
  try {
    if (path !== MEMORY_KV_PATH && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      await mkdir(dirname(path), { recursive: true });
      refusal = await refusalOf(path);
    }
    if (refusal === null) {
      const deno = (globalThis as { Deno?: { openKv?: (path: string) => Promise<KvClient> } }).Deno;
      if (typeof deno?.openKv === "function") return await deno.openKv(path);
      const { openKv } = await import("@deno/kv");
      return await openKv(path) as unknown as KvClient;
    }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CacheError("KV_OPEN_FAILED", `${cannotOpen(path)}: ${reason}`, { path, cause });
  }
  throw new CacheError("KV_OPEN_FAILED", `${cannotOpen(path)}: ${refusal}`, { path });
}

/** The start of every `KV_OPEN_FAILED` message. */
function cannotOpen(path: string): string {
  return `Cannot open Deno KV at ${JSON.stringify(path)}`;
}

/**
 * Why the file at `path` must not be opened ("<what is wrong>; <what to do>"), or `null` for a
 * missing or empty file, or a SQLite file whose damage check passes (now or earlier in the process).
 */
async function refusalOf(path: string): Promise<string | null> {
  const head = await readHead(path);
  if (head === "") return null;
  if (head !== SQLITE_HEADER) {
    return `the file is not a KV database (it does not start with the SQLite header ` +
      `"SQLite format 3\\0"); point PML_KV_PATH at another file or remove this one`;
  }
  if (checkedFiles.has(resolve(path))) return null;
  let damage: string | null;
  try {
    damage = await findKvFileDamage(path);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`the file could not be checked for damage: ${reason}`, { cause });
  }
  if (damage === null) {
    checkedFiles.add(resolve(path));
    return null;
  }
  return `the file is damaged (${damage}); restore it from a backup, or move it aside to start ` +
    `with an empty store (workflow state is ephemeral: it expires within an hour)`;
}

/** The first bytes of `path` as latin-1 text; `""` for a missing or empty file. */
async function readHead(path: string): Promise<string> {
  const file = await open(path, "r").catch((error: { code?: string }) => {
    if (error?.code === "ENOENT") return null;
    throw error;
  });
  try {
    const buffer = new Uint8Array(SQLITE_HEADER.length);
    const { bytesRead } = await file?.read(buffer, 0, buffer.length, 0) ?? { bytesRead: 0 };
    return new TextDecoder("latin1").decode(buffer.subarray(0, bytesRead));
  } finally {
    await file?.close();
  }
}

/** The open of the shared connection, pending or done; `null` before the first use and after close. */
let opening: Promise<KvClient> | null = null;
const installed: { value: KvClient }[] = [];

/**
 * The shared KV: the most recently installed one, else the connection opened at `PML_KV_PATH` on
 * first use. Concurrent first calls share one connection; a call still waiting for it when
 * {@linkcode closeKv} runs gets the next connection, never a closed one.
 *
 * @throws {CacheError} `KV_OPEN_FAILED` when the store cannot be opened, or its file is not a KV
 * database or is damaged (checked once per file and process, before Deno KV reads it); the next call
 * tries again.
 *
 * @example With an installed in-memory store, until the override is restored
 * ```ts
 * import { getKv } from "@pml/store";
 * import { installKv } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * using kv = await Deno.openKv(":memory:");
 * const override = installKv(kv);
 * assert.equal(await getKv(), kv);
 * override.restore();
 * ```
 */
export async function getKv(): Promise<KvClient> {
  while (true) {
    const override = installed.at(-1);
    if (override !== undefined) return override.value;
    let pending = opening;
    if (pending === null) {
      const started = openKvClient(resolveKvPath());
      opening = pending = started;
      started.catch(() => {
        if (opening === started) opening = null; // Forget a failed open: the next call tries again.
      });
    }
    const connection = await pending;
    if (opening === pending) return connection;
    // closeKv() ran while this open was pending and is closing that connection: take the next one.
  }
}

/**
 * Closes the connection that {@linkcode getKv} opened, if any, once it is open; the next `getKv()`
 * opens a new one. An installed KV belongs to its installer and stays open. Closing twice is harmless.
 *
 * @example An installed KV stays open
 * ```ts
 * import { closeKv } from "@pml/store";
 * import { installKv } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * using kv = await Deno.openKv(":memory:");
 * using _override = installKv(kv);
 * await closeKv();
 * assert.equal((await kv.set(["still"], "open")).ok, true);
 * ```
 */
export async function closeKv(): Promise<void> {
  const pending = opening;
  opening = null;
  (await pending?.catch(() => null))?.close();
}

/** Makes `kv` the shared KV until the returned override is restored; the caller still owns `kv`. */
export function installKv(kv: KvClient): Override {
  return pushOverride(installed, kv);
}
