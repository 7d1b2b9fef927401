/**
 * A KvClient wrapper for tests: records commits and runs hooks at chosen moments (before the next commit,
 * before the next `getMany`), and can fail calls as a locked database does, to force the interleavings
 * and faults the concurrency tests need without timers.
 *
 * @module
 */

import type {
  KvAtomicCheck,
  KvAtomicOperation,
  KvClient,
  KvCommitError,
  KvCommitResult,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvListOptions,
  KvListSelector,
  KvSetOptions,
} from "../../src/cache/kv_client.ts";

type Hook = () => Promise<unknown>;

export class HookedKv implements KvClient {
  /** Outcome of every atomic commit, in order. */
  readonly commits: ("ok" | "check failed")[] = [];
  /** How many calls fail with `database is locked` before reaching KV. */
  lockedCalls = 0;
  readonly #inner: KvClient;
  readonly #beforeCommit: Hook[] = [];
  readonly #beforeGetMany: Hook[] = [];

  constructor(inner: KvClient) {
    this.#inner = inner;
  }

  /** Runs `run` when the next atomic commit starts, before it reaches KV. */
  beforeNextCommit(run: Hook): void {
    this.#beforeCommit.push(run);
  }

  /** Runs `run` before the next `getMany` reaches KV. */
  beforeNextGetMany(run: Hook): void {
    this.#beforeGetMany.push(run);
  }

  #locked(): void {
    if (this.lockedCalls > 0) {
      this.lockedCalls--;
      throw new TypeError("database is locked");
    }
  }

  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>> {
    this.#locked();
    return this.#inner.get<T>(key);
  }

  async getMany(keys: readonly KvKey[]): Promise<KvEntryMaybe<unknown>[]> {
    this.#locked();
    await this.#beforeGetMany.shift()?.();
    return await this.#inner.getMany(keys);
  }

  set(key: KvKey, value: unknown, options?: KvSetOptions): Promise<KvCommitResult> {
    return this.#inner.set(key, value, options);
  }

  delete(key: KvKey): Promise<void> {
    return this.#inner.delete(key);
  }

  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>> {
    return this.#inner.list<T>(selector, options);
  }

  atomic(): KvAtomicOperation {
    const operation = this.#inner.atomic();
    const beforeCommit = () => this.#beforeCommit.shift()?.();
    const locked = () => this.#locked();
    const recordCommit = (ok: boolean) => this.commits.push(ok ? "ok" : "check failed");
    const wrapper: KvAtomicOperation = {
      check(...checks: KvAtomicCheck[]) {
        operation.check(...checks);
        return this;
      },
      set(key: KvKey, value: unknown, options?: KvSetOptions) {
        operation.set(key, value, options);
        return this;
      },
      delete(key: KvKey) {
        operation.delete(key);
        return this;
      },
      async commit(): Promise<KvCommitResult | KvCommitError> {
        locked();
        await beforeCommit();
        const result = await operation.commit();
        recordCommit(result.ok);
        return result;
      },
    };
    return wrapper;
  }

  close(): void {
    this.#inner.close();
  }
}

/** Every key and versionstamp in `kv`, to prove a refused write changed nothing. */
export async function snapshot(kv: KvClient): Promise<string[]> {
  const rows: string[] = [];
  for await (const entry of kv.list({ prefix: [] })) {
    rows.push(`${JSON.stringify(entry.key)}@${entry.versionstamp}`);
  }
  return rows;
}

/** The keys in `kv` under `prefix`, as JSON, in key order. */
export async function keysUnder(kv: KvClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of kv.list({ prefix: [prefix] })) keys.push(JSON.stringify(entry.key));
  return keys;
}
