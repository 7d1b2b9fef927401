/**
 * The narrow key-value interface the cache depends on: the subset of `Deno.Kv` it uses, with the
 * `Deno.Kv` semantics. `Deno.Kv` and the `Kv` of the `@deno/kv` npm package (used under Node) both
 * satisfy it, and a test can pass its own implementation.
 *
 * @module
 */

/** One part of a key. Keys are arrays of typed parts, never concatenated strings. */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;

/** A key: an array of parts, the first one being the namespace (e.g. `["workflow", id]`). */
export type KvKey = readonly KvKeyPart[];

/** A stored entry; `versionstamp` changes with every write. */
export interface KvEntry<T> {
  key: KvKey;
  value: T;
  versionstamp: string;
}

/** A read: `value` and `versionstamp` are `null` for an absent key (looser than `Deno.KvEntryMaybe`). */
export interface KvEntryMaybe<T> {
  key: KvKey;
  value: T | null;
  versionstamp: string | null;
}

/** A successful write, with the versionstamp given to every key it touched. */
export type KvCommitResult = { ok: true; versionstamp: string };
/** An atomic write refused because one of its checks failed. */
export type KvCommitError = { ok: false };
/** A check of an atomic write: `key` must still be at `versionstamp` (`null`: absent). */
export type KvAtomicCheck = { key: KvKey; versionstamp: string | null };
/** `expireIn`: ms after which the store may delete the entry (a lower bound). */
export type KvSetOptions = { expireIn?: number };
/** Entries whose keys start with `prefix` (no symbol parts: `@deno/kv` refuses them). */
export type KvListSelector = { prefix: readonly Exclude<KvKeyPart, symbol>[] };
/** At most `limit` entries, `batchSize` per round trip. */
export type KvListOptions = { limit?: number; batchSize?: number };

/** A batch of checks and mutations applied all together or not at all. */
export interface KvAtomicOperation {
  check(...checks: KvAtomicCheck[]): this;
  set(key: KvKey, value: unknown, options?: KvSetOptions): this;
  delete(key: KvKey): this;
  /** `{ ok: false }` on a failed check; storage faults and limit violations throw. */
  commit(): Promise<KvCommitResult | KvCommitError>;
}

/**
 * A connection to a key-value store.
 *
 * @example A `Deno.Kv` is a `KvClient`
 * ```ts
 * import type { KvClient } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * using kv: KvClient & Disposable = await Deno.openKv(":memory:");
 * await kv.set(["greeting"], "hello");
 * assert.equal((await kv.get<string>(["greeting"])).value, "hello");
 * ```
 */
export interface KvClient {
  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>;
  /** Reads up to 10 keys from one consistent snapshot, in the order given. */
  getMany(keys: readonly KvKey[]): Promise<KvEntryMaybe<unknown>[]>;
  set(key: KvKey, value: unknown, options?: KvSetOptions): Promise<KvCommitResult>;
  delete(key: KvKey): Promise<void>;
  /** Lists entries in key order. */
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>>;
  atomic(): KvAtomicOperation;
  close(): void;
}
