/**
 * The shared KV handle: one lazily opened connection for the whole process, replaceable by tests.
 *
 * The path comes from `PML_KV_PATH` (default `.pml/kv.db`; `:memory:` for an ephemeral store). Under
 * Deno the built-in `Deno.openKv` is used; under Node the `@deno/kv` package, which has the same API.
 *
 * @module
 */

import { KvOpenError } from "./cache_error.ts";
import type { KvClient } from "./kv_client.ts";
import type { Override } from "./override.ts";
import { LazyConnection } from "./_lazy_connection.ts";
import { OverrideStack } from "./_override_stack.ts";

/**
 * The KV path used when `PML_KV_PATH` is unset or empty, relative to the working directory.
 *
 * @example The default
 * ```ts
 * import { DEFAULT_KV_PATH, resolveKvPath } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveKvPath({}), DEFAULT_KV_PATH);
 * ```
 */
export const DEFAULT_KV_PATH = ".pml/kv.db";

/**
 * The path that opens an ephemeral in-memory store.
 *
 * @example Opening one
 * ```ts
 * import { MEMORY_KV_PATH, openKvClient } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await openKvClient(MEMORY_KV_PATH);
 * assert.equal((await kv.get(["absent"])).versionstamp, null);
 * kv.close();
 * ```
 */
export const MEMORY_KV_PATH = ":memory:";

/**
 * The KV path to open: `PML_KV_PATH` when set and non-empty, else {@linkcode DEFAULT_KV_PATH}.
 *
 * @param env The environment to read (default: the process environment, via `Deno.env` or
 * `process.env`).
 *
 * @example Choosing the path
 * ```ts
 * import { resolveKvPath } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveKvPath({ PML_KV_PATH: ":memory:" }), ":memory:");
 * assert.equal(resolveKvPath({}), ".pml/kv.db");
 * ```
 */
export function resolveKvPath(env?: Readonly<Record<string, string | undefined>>): string {
  const configured = env === undefined ? readEnvironment("PML_KV_PATH") : env.PML_KV_PATH;
  return configured === undefined || configured === "" ? DEFAULT_KV_PATH : configured;
}

/** The runtime features {@linkcode openKvClient} looks at; tests pass a stand-in. */
export interface KvRuntime {
  /** Deno's namespace, absent under Node. */
  Deno?: {
    openKv?: (path?: string) => Promise<KvClient>;
    mkdir?: (path: string, options: { recursive: boolean }) => Promise<void>;
  };
}

/** Options of {@linkcode openKvClient}. */
export interface OpenKvOptions {
  /** Where to look for `Deno.openKv` (default: `globalThis`). Without it, `@deno/kv` is used. */
  runtime?: KvRuntime;
}

/**
 * Opens a new KV connection at `path`, creating the parent directory of a file path first.
 * The caller owns the connection and must `close()` it.
 *
 * @param path A file path, {@linkcode MEMORY_KV_PATH}, or a KV Connect URL.
 * @param options Runtime override, for tests.
 * @throws {KvOpenError} When the directory cannot be created or the store cannot be opened.
 *
 * @example Opening an in-memory store
 * ```ts
 * import { openKvClient } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await openKvClient(":memory:");
 * await kv.set(["k"], 1);
 * assert.equal((await kv.get(["k"])).value, 1);
 * kv.close();
 * ```
 */
export async function openKvClient(path: string, options: OpenKvOptions = {}): Promise<KvClient> {
  const runtime: KvRuntime = options.runtime ?? (globalThis as KvRuntime);
  try {
    await makeParentDirectory(runtime, path);
    const denoOpenKv = runtime.Deno?.openKv;
    if (typeof denoOpenKv === "function") return await denoOpenKv(path);
    const { openKv } = await import("@deno/kv");
    return await openKv(path);
  } catch (error) {
    throw new KvOpenError(path, error);
  }
}

/** Creates the directory that will hold the KV file; nothing to do for memory or URL stores. */
async function makeParentDirectory(runtime: KvRuntime, path: string): Promise<void> {
  if (path === MEMORY_KV_PATH || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return;
  const separator = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (separator <= 0) return; // The current directory or the root: both exist.
  const directory = path.slice(0, separator);
  const denoMkdir = runtime.Deno?.mkdir;
  if (typeof denoMkdir === "function") {
    await denoMkdir(directory, { recursive: true });
    return;
  }
  // This branch only runs under Node. The computed specifier keeps the library's type check free of
  // @types/node (only the tests need it, for node:assert).
  const nodeFs = "node:fs/promises";
  const { mkdir } = await import(nodeFs) as {
    mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  };
  await mkdir(directory, { recursive: true });
}

/** One variable of the process environment, under Deno or Node. */
function readEnvironment(name: string): string | undefined {
  const runtime = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env: Record<string, string | undefined> };
  };
  return runtime.Deno !== undefined ? runtime.Deno.env.get(name) : runtime.process?.env[name];
}

const shared = new LazyConnection<KvClient>(() => openKvClient(resolveKvPath()));
const installed = new OverrideStack<KvClient>();

/**
 * The shared KV: the most recently installed one (see {@linkcode installKv}), else the connection opened
 * at {@linkcode resolveKvPath} on first use. Concurrent first calls share one connection; a call still
 * waiting for that connection when {@linkcode closeKv} runs gets the next one instead of a closed one.
 *
 * @throws {KvOpenError} When the store cannot be opened; the next call tries again.
 *
 * @example With an installed in-memory store
 * ```ts
 * import { getKv, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _override = installKv(kv);
 * assert.equal(await getKv(), kv);
 * kv.close();
 * ```
 */
export function getKv(): Promise<KvClient> {
  const override = installed.top();
  return override === undefined ? shared.get() : Promise.resolve(override);
}

/**
 * Closes the connection that {@linkcode getKv} opened, if any, waiting for it to finish opening first;
 * the next `getKv()` opens a new one. An installed KV belongs to its installer and is left open.
 * Closing twice is harmless.
 *
 * @example An installed KV stays open
 * ```ts
 * import { closeKv, getKv, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * {
 *   using _override = installKv(kv);
 *   await closeKv();
 *   await (await getKv()).set(["still"], "open");
 * }
 * assert.equal((await kv.get(["still"])).value, "open");
 * kv.close();
 * ```
 */
export async function closeKv(): Promise<void> {
  await shared.close();
}

/**
 * Makes `kv` the shared KV until the returned override is restored; the caller keeps ownership and
 * closes `kv` itself after restoring. Tests use this to keep away from the user's persistent store.
 *
 * @example Installing and restoring
 * ```ts
 * import { getKv, installKv } from "@pml/store";
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
