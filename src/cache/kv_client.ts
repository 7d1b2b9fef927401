/**
 * The narrow key-value interface the cache depends on: the subset of `Deno.Kv` it uses.
 *
 * Deno's built-in `Deno.Kv` and the `Kv` of the `@deno/kv` npm package (used under Node) both satisfy
 * {@linkcode KvClient}, and a test can pass its own implementation.
 *
 * @module
 */

/** One part of a key. Keys are arrays of typed parts, never concatenated strings. */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;

/** A key: an array of parts, the first one being the namespace (e.g. `["workflow", id]`). */
export type KvKey = readonly KvKeyPart[];

/** A stored entry. */
export interface KvEntry<T> {
  /** The entry's key. */
  key: KvKey;
  /** The stored value. */
  value: T;
  /** The version of the entry, changed by every write. */
  versionstamp: string;
}

/**
 * The result of a read: `versionstamp` is `null` when the key is absent (and then `value` is `null`).
 * Kept looser than `Deno.KvEntryMaybe` so the `@deno/kv` package's `Kv` fits too.
 */
export interface KvEntryMaybe<T> {
  /** The key read. */
  key: KvKey;
  /** The stored value, `null` when absent. */
  value: T | null;
  /** The entry's version, `null` when absent. */
  versionstamp: string | null;
}

/** A successful write. */
export interface KvCommitResult {
  /** Always `true`. */
  ok: true;
  /** The versionstamp given to every key the write touched. */
  versionstamp: string;
}

/** An atomic write refused because one of its checks failed. */
export interface KvCommitError {
  /** Always `false`. */
  ok: false;
}

/** A check of an atomic write: the key's versionstamp must still be `versionstamp` (`null`: absent). */
export interface KvAtomicCheck {
  /** The key to check. */
  key: KvKey;
  /** The expected versionstamp, `null` meaning "the key does not exist". */
  versionstamp: string | null;
}

/** Options of a write. */
export interface KvSetOptions {
  /** Milliseconds after which the store may delete the entry; a lower bound, not a deadline. */
  expireIn?: number;
}

/** A batch of checks and mutations applied all together or not at all. */
export interface KvAtomicOperation {
  /** Adds versionstamp checks; the commit fails with `{ ok: false }` when one does not hold. */
  check(...checks: KvAtomicCheck[]): this;
  /** Adds a write. */
  set(key: KvKey, value: unknown, options?: KvSetOptions): this;
  /** Adds a deletion. */
  delete(key: KvKey): this;
  /** Applies the batch: `{ ok: false }` on a failed check; storage faults and limit violations throw. */
  commit(): Promise<KvCommitResult | KvCommitError>;
}

/** Selects the entries whose keys start with `prefix`. */
export interface KvListSelector {
  /** The key prefix (without symbol parts, which `@deno/kv` does not accept in selectors). */
  prefix: readonly Exclude<KvKeyPart, symbol>[];
}

/** Options of a listing. */
export interface KvListOptions {
  /** The maximum number of entries to return. */
  limit?: number;
  /** How many entries to fetch per round trip. */
  batchSize?: number;
}

/**
 * A connection to a key-value store with the `Deno.Kv` semantics.
 *
 * @example A `Deno.Kv` is a `KvClient`
 * ```ts
 * import type { KvClient } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv: KvClient = await Deno.openKv(":memory:");
 * await kv.set(["greeting"], "hello");
 * assert.equal((await kv.get<string>(["greeting"])).value, "hello");
 * kv.close();
 * ```
 */
export interface KvClient {
  /** Reads one key. */
  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>;
  /** Reads up to 10 keys from one consistent snapshot, in the order given. */
  getMany(keys: readonly KvKey[]): Promise<KvEntryMaybe<unknown>[]>;
  /** Writes one key. */
  set(key: KvKey, value: unknown, options?: KvSetOptions): Promise<KvCommitResult>;
  /** Deletes one key; deleting an absent key is harmless. */
  delete(key: KvKey): Promise<void>;
  /** Lists entries in key order. */
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>>;
  /** Starts an atomic batch. */
  atomic(): KvAtomicOperation;
  /** Closes the connection. */
  close(): void;
}
