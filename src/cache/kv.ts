/**
 * The shared KV handle: one lazily opened connection for the whole process, replaceable by tests.
 *
 * The path comes from `PML_KV_PATH` (default `.pml/kv.db`; `:memory:` for an ephemeral store). Under
 * Deno the built-in `Deno.openKv` is used; under Node the `@deno/kv` package, which has the same API.
 * A non-empty file that does not start with the SQLite header is refused before it reaches the opener,
 * whose reaction to a garbled file ranges from an error to a process abort.
 *
 * @module
 */

import { CacheError } from "./cache_error.ts";
import type { KvClient } from "./kv_client.ts";
import { type Override, OverrideStack } from "./_override.ts";

/** The KV path used when `PML_KV_PATH` is unset or empty, relative to the working directory. */
export const DEFAULT_KV_PATH = ".pml/kv.db";

/** The path that opens an ephemeral in-memory store. */
export const MEMORY_KV_PATH = ":memory:";

/** What every SQLite database file starts with. */
const SQLITE_HEADER = "SQLite format 3\0";

/** The KV path to open: `PML_KV_PATH` when set and non-empty, else {@linkcode DEFAULT_KV_PATH}. */
export function resolveKvPath(env?: Readonly<Record<string, string | undefined>>): string {
  const configured = env === undefined ? readEnvironment("PML_KV_PATH") : env.PML_KV_PATH;
  return configured === undefined || configured === "" ? DEFAULT_KV_PATH : configured;
}

/**
 * Opens a new KV connection at `path` (a file path, {@linkcode MEMORY_KV_PATH} or a KV Connect URL),
 * creating the parent directory of a file path first. The caller owns the connection. Private to the
 * package: applications use {@linkcode getKv}.
 *
 * @throws {CacheError} `KV_OPEN_FAILED` when the file is not a SQLite database, the directory cannot be
 * created or the store cannot be opened; `path` and `cause` are attached.
 */
export async function openKvClient(path: string): Promise<KvClient> {
  const isFile = path !== MEMORY_KV_PATH && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path);
  try {
    if (isFile) await prepareFile(path);
  } catch (error) {
    if (error instanceof CacheError) throw error;
    throw openFailed(path, error);
  }
  try {
    const deno = (globalThis as { Deno?: { openKv?: (path: string) => Promise<KvClient> } }).Deno;
    if (typeof deno?.openKv === "function") return await deno.openKv(path);
    const { openKv } = await import("@deno/kv");
    return await openKv(path) as unknown as KvClient;
  } catch (error) {
    throw openFailed(path, error);
  }
}

function openFailed(path: string, cause: unknown): CacheError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CacheError(
    "KV_OPEN_FAILED",
    `Cannot open Deno KV at ${JSON.stringify(path)}: ${reason}`,
    {
      path,
      cause,
    },
  );
}

/** Creates the parent directory and refuses an existing non-empty file that is not SQLite. */
async function prepareFile(path: string): Promise<void> {
  const fs = await fileSystem();
  const separator = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (separator > 0) await fs.mkdir(path.slice(0, separator), { recursive: true });
  const head = await fs.readHead(path, SQLITE_HEADER.length);
  if (head === null || head.length === 0) return; // A new or empty file: KV initialises it.
  if (new TextDecoder("latin1").decode(head) !== SQLITE_HEADER) {
    throw new CacheError(
      "KV_OPEN_FAILED",
      `Cannot open Deno KV at ${
        JSON.stringify(path)
      }: the file is not a KV database (it does not start with the SQLite header "SQLite format 3\\0"); point PML_KV_PATH at another file or remove this one`,
      { path },
    );
  }
}

interface FileSystem {
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  /** The first `length` bytes of `path` (fewer for a short file), `null` when it does not exist. */
  readHead(path: string, length: number): Promise<Uint8Array | null>;
}

async function fileSystem(): Promise<FileSystem> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno !== undefined) {
    return {
      mkdir: (path, options) => deno.mkdir(path, options),
      async readHead(path, length) {
        let file: Deno.FsFile;
        try {
          file = await deno.open(path, { read: true });
        } catch (error) {
          if (error instanceof deno.errors.NotFound) return null;
          throw error;
        }
        try {
          const buffer = new Uint8Array(length);
          const read = await file.read(buffer);
          return buffer.subarray(0, read ?? 0);
        } finally {
          file.close();
        }
      },
    };
  }
  // Only under Node. The computed specifier keeps the library's type check free of @types/node.
  const specifier = "node:fs/promises";
  const nodeFs = await import(specifier) as {
    mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
    open(path: string, flags: string): Promise<{
      read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{
        bytesRead: number;
      }>;
      close(): Promise<void>;
    }>;
  };
  return {
    mkdir: (path, options) => nodeFs.mkdir(path, options),
    async readHead(path, length) {
      const file = await nodeFs.open(path, "r").catch((error: { code?: string }) => {
        if (error?.code === "ENOENT") return null;
        throw error;
      });
      if (file === null) return null;
      try {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await file.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    },
  };
}

/** One variable of the process environment, under Deno or Node. */
function readEnvironment(name: string): string | undefined {
  const runtime = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env: Record<string, string | undefined> };
  };
  return runtime.Deno !== undefined ? runtime.Deno.env.get(name) : runtime.process?.env[name];
}

/** The pending or finished open of the shared connection; `null` before the first use and after close. */
let opening: Promise<KvClient> | null = null;
const installed = new OverrideStack<KvClient>();

/**
 * The shared KV: the most recently installed one (see `installKv` in `@pml/store/fixtures`), else the
 * connection opened at `PML_KV_PATH` on first use. Concurrent first calls share one connection; a call
 * still waiting for it when {@linkcode closeKv} runs gets the next connection, never a closed one.
 *
 * @throws {CacheError} `KV_OPEN_FAILED` when the store cannot be opened; the next call tries again.
 *
 * @example With an installed in-memory store
 * ```ts
 * import { getKv } from "@pml/store";
 * import { installKv } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _override = installKv(kv);
 * assert.equal(await getKv(), kv);
 * kv.close();
 * ```
 */
export async function getKv(): Promise<KvClient> {
  while (true) {
    const override = installed.top();
    if (override !== undefined) return override;
    const pending = opening ?? startOpening();
    const connection = await pending;
    if (opening === pending) return connection;
    // closeKv() ran while this open was pending and is closing that connection: take the next one.
  }
}

function startOpening(): Promise<KvClient> {
  const pending = openKvClient(resolveKvPath());
  opening = pending;
  pending.catch(() => {
    if (opening === pending) opening = null; // Forget a failed open, so the next call tries again.
  });
  return pending;
}

/**
 * Closes the connection that {@linkcode getKv} opened, if any, waiting for it to finish opening first;
 * the next `getKv()` opens a new one. An installed KV belongs to its installer and is left open.
 * Closing twice is harmless.
 *
 * @example Closing when nothing is open
 * ```ts
 * import { closeKv } from "@pml/store";
 *
 * await closeKv();
 * await closeKv();
 * ```
 */
export async function closeKv(): Promise<void> {
  const pending = opening;
  opening = null;
  if (pending === null) return;
  const connection = await pending.catch(() => null);
  connection?.close();
}

/**
 * Makes `kv` the shared KV until the returned override is restored; the caller keeps ownership and
 * closes `kv` itself. Test support: import it from `@pml/store/fixtures`.
 *
 * @example Installing and restoring
 * ```ts
 * import { getKv } from "@pml/store";
 * import { installKv } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const override = installKv(kv);
 * assert.equal(await getKv(), kv);
 * override.restore();
 * kv.close();
 * ```
 */
export function installKv(kv: KvClient): Override {
  return installed.push(kv);
}
