/**
 * A TTL layer over KV that enforces expiry itself.
 *
 * KV's `expireIn` is only a lower bound: an expired key stays readable until KV gets round to deleting
 * it, about a minute later. So each value is stored in an envelope `{ value, expiresAt }`, and a read
 * compares `expiresAt` with the injected {@linkcode Clock}: at or after `expiresAt` the entry is gone,
 * whatever KV still holds. `expireIn` is still passed, so KV reclaims the space eventually.
 *
 * @module
 */

import { CacheEntryCorruptError } from "./cache_error.ts";
import { type Clock, systemClock } from "./clock.ts";
import type {
  KvAtomicCheck,
  KvAtomicOperation,
  KvClient,
  KvCommitError,
  KvCommitResult,
  KvKey,
  KvListSelector,
} from "./kv_client.ts";

/** A live (or, on request, expired) entry of a {@linkcode TtlStore}. */
export interface TtlEntry<T> {
  /** The entry's key. */
  key: KvKey;
  /** The stored value. */
  value: T;
  /** When the entry expires, in epoch milliseconds. */
  expiresAt: number;
  /** The KV versionstamp, for atomic checks. */
  versionstamp: string;
}

/** Options of {@linkcode TtlStore.get}. */
export interface TtlGetOptions {
  /** Also return an entry whose time is up but that KV still holds (default `false`). */
  includeExpired?: boolean;
}

/** Options of a TTL write. */
export interface TtlSetOptions {
  /** Milliseconds from now (by the store's clock) until the entry expires; a positive integer. */
  ttlMs: number;
}

/**
 * What {@linkcode TtlStore.lookup} found under a key: nothing, an entry (expired or not), or a value
 * this layer cannot read. An unreadable value can still be overwritten or deleted safely, with an
 * atomic check on its `versionstamp`.
 */
export type TtlLookup<T> =
  | { readonly kind: "absent" }
  | { readonly kind: "entry"; readonly entry: TtlEntry<T> }
  | {
    readonly kind: "unreadable";
    readonly key: KvKey;
    readonly versionstamp: string;
    /** The error {@linkcode TtlStore.get} throws for this value. */
    readonly error: CacheEntryCorruptError;
  };

/** Options of {@linkcode TtlStore.sweep}. */
export interface TtlSweepOptions {
  /** Keys to delete in the same atomic write as an expired entry, e.g. its chunks. */
  alsoDelete?: (entry: TtlEntry<unknown>) => readonly KvKey[];
  /**
   * Whether the caller can read an entry (default: every envelope). An entry refused here is
   * unreadable, like a value that is not a TTL envelope; see `unreadable`.
   */
  isReadable?: (entry: TtlEntry<unknown>) => boolean;
  /**
   * What to do with an unreadable entry: `"throw"` a {@linkcode CacheEntryCorruptError}, stopping the
   * sweep (the default), or `"delete"` it whatever its expiry (with a versionstamp check, without
   * `alsoDelete`), count it and go on.
   */
  unreadable?: "throw" | "delete";
}

/** Options of the {@linkcode TtlStore} constructor. */
export interface TtlStoreOptions {
  /** The underlying store. */
  kv: KvClient;
  /** The time source (default {@linkcode systemClock}). */
  clock?: Clock;
}

/** The shape stored in KV. */
interface Envelope {
  value: unknown;
  expiresAt: number;
}

/**
 * Reads and writes KV entries that expire at an exact time of an injected clock.
 *
 * @example An entry expires exactly at its TTL
 * ```ts
 * import { FakeClock, TtlStore } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const clock = new FakeClock(0);
 * const store = new TtlStore({ kv, clock });
 * await store.set(["session", "s1"], { user: "ada" }, { ttlMs: 1_000 });
 * clock.set(999);
 * assert.deepEqual((await store.get(["session", "s1"]))?.value, { user: "ada" });
 * clock.set(1_000);
 * assert.equal(await store.get(["session", "s1"]), null);
 * kv.close();
 * ```
 */
export class TtlStore {
  /** The underlying store. */
  readonly kv: KvClient;
  /** The time source deciding expiry. */
  readonly clock: Clock;

  /** @param options The store and the clock. */
  constructor(options: TtlStoreOptions) {
    this.kv = options.kv;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Reads `key`: `null` when absent or expired (`now >= expiresAt`), unless `includeExpired` is set.
   *
   * @throws {CacheEntryCorruptError} When the stored value is not an envelope this layer wrote.
   */
  async get<T>(key: KvKey, options: TtlGetOptions = {}): Promise<TtlEntry<T> | null> {
    const found = await this.lookup<T>(key);
    if (found.kind === "absent") return null;
    if (found.kind === "unreadable") throw found.error;
    if (!options.includeExpired && this.clock.now() >= found.entry.expiresAt) return null;
    return found.entry;
  }

  /**
   * Reads `key` whatever it holds, without throwing for a value this layer did not write: for callers
   * that must replace or delete such a value rather than fail on it.
   *
   * @example Finding a foreign value
   * ```ts
   * import { TtlStore } from "@pml/store";
   * import assert from "node:assert/strict";
   *
   * const kv = await Deno.openKv(":memory:");
   * const store = new TtlStore({ kv });
   * await kv.set(["k"], "not an envelope");
   * const found = await store.lookup(["k"]);
   * assert.equal(found.kind, "unreadable");
   * assert.equal((await store.lookup(["absent"])).kind, "absent");
   * kv.close();
   * ```
   */
  async lookup<T>(key: KvKey): Promise<TtlLookup<T>> {
    const stored = await this.kv.get<unknown>(key);
    if (stored.versionstamp === null) return { kind: "absent" };
    const envelope = parseEnvelope(stored.value);
    if (envelope === null) {
      const error = notAnEnvelope("read cache entry", key);
      return { kind: "unreadable", key, versionstamp: stored.versionstamp, error };
    }
    const { value, expiresAt } = envelope;
    const entry = { key, value: value as T, expiresAt, versionstamp: stored.versionstamp };
    return { kind: "entry", entry };
  }

  /**
   * Writes `value` under `key`, expiring `options.ttlMs` milliseconds from now.
   *
   * @throws {RangeError} When `ttlMs` is not a positive integer.
   */
  async set<T>(key: KvKey, value: T, options: TtlSetOptions): Promise<TtlEntry<T>> {
    const { ttlMs } = options;
    assertTtl("set cache entry", ttlMs);
    const expiresAt = this.clock.now() + ttlMs;
    const envelope: Envelope = { value, expiresAt };
    const { versionstamp } = await this.kv.set(key, envelope, { expireIn: ttlMs });
    return { key, value, expiresAt, versionstamp };
  }

  /** Deletes `key`; deleting an absent key is harmless. */
  async delete(key: KvKey): Promise<void> {
    await this.kv.delete(key);
  }

  /** Starts an atomic batch whose writes all expire relative to one reading of the clock. */
  atomic(): TtlAtomic {
    return new TtlAtomic(this.kv.atomic(), this.clock.now());
  }

  /**
   * Deletes the entries under `prefix` that are expired now, each with a versionstamp check so an
   * entry refreshed meanwhile survives, and returns how many were deleted (unreadable ones included
   * when `options.unreadable` is `"delete"`).
   *
   * @throws {CacheEntryCorruptError} When an entry under `prefix` is unreadable (not an envelope, or
   * refused by `options.isReadable`) and `options.unreadable` is not `"delete"`.
   */
  async sweep(prefix: KvListSelector["prefix"], options: TtlSweepOptions = {}): Promise<number> {
    const action = "sweep cache entries";
    const now = this.clock.now();
    let removed = 0;
    for await (const stored of this.kv.list<unknown>({ prefix })) {
      const envelope = parseEnvelope(stored.value);
      const entry = envelope === null ? null : {
        ...stored,
        value: envelope.value,
        expiresAt: envelope.expiresAt,
      };
      const readable = entry !== null && (options.isReadable?.(entry) ?? true);
      if (!readable && options.unreadable !== "delete") {
        throw entry === null
          ? notAnEnvelope(action, stored.key)
          : new CacheEntryCorruptError(action, stored.key, "holds a value the sweep cannot read");
      }
      if (readable && now < entry.expiresAt) continue;
      const operation = this.kv.atomic()
        .check({ key: stored.key, versionstamp: stored.versionstamp })
        .delete(stored.key);
      if (readable) { for (const key of options.alsoDelete?.(entry) ?? []) operation.delete(key); }
      if ((await operation.commit()).ok) removed++;
    }
    return removed;
  }
}

/**
 * An atomic batch of envelope writes sharing one reading of the clock, `now`.
 *
 * @example Writing two entries that expire together
 * ```ts
 * import { FakeClock, TtlStore } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const store = new TtlStore({ kv, clock: new FakeClock(10) });
 * const result = await store.atomic()
 *   .check({ key: ["a"], versionstamp: null })
 *   .set(["a"], 1, { ttlMs: 100 })
 *   .set(["b"], 2, { ttlMs: 100 })
 *   .commit();
 * assert.equal(result.ok, true);
 * assert.equal((await store.get(["b"]))?.expiresAt, 110);
 * kv.close();
 * ```
 */
export class TtlAtomic {
  /** The time every write of this batch counts its TTL from. */
  readonly now: number;
  readonly #operation: KvAtomicOperation;

  /**
   * @param operation The KV batch to fill.
   * @param now The current time of the store's clock.
   */
  constructor(operation: KvAtomicOperation, now: number) {
    this.#operation = operation;
    this.now = now;
  }

  /** Adds versionstamp checks (of the raw KV entries). */
  check(...checks: KvAtomicCheck[]): this {
    this.#operation.check(...checks);
    return this;
  }

  /**
   * Adds a write of `value` expiring at `now + options.ttlMs`.
   *
   * @throws {RangeError} When `ttlMs` is not a positive integer.
   */
  set(key: KvKey, value: unknown, options: TtlSetOptions): this {
    const { ttlMs } = options;
    assertTtl("set cache entry", ttlMs);
    const envelope: Envelope = { value, expiresAt: this.now + ttlMs };
    this.#operation.set(key, envelope, { expireIn: ttlMs });
    return this;
  }

  /** Adds a deletion. */
  delete(key: KvKey): this {
    this.#operation.delete(key);
    return this;
  }

  /** Applies the batch: `{ ok: false }` when a check failed, and then nothing was written. */
  commit(): Promise<KvCommitResult | KvCommitError> {
    return this.#operation.commit();
  }
}

function assertTtl(action: string, ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `Cannot ${action}: expected 'ttlMs' to be a positive integer, found ${String(ttlMs)}`,
    );
  }
}

function parseEnvelope(stored: unknown): Envelope | null {
  if (
    typeof stored === "object" && stored !== null && "value" in stored &&
    "expiresAt" in stored && typeof stored.expiresAt === "number" &&
    Number.isFinite(stored.expiresAt)
  ) {
    return stored as Envelope;
  }
  return null;
}

function notAnEnvelope(action: string, key: KvKey): CacheEntryCorruptError {
  return new CacheEntryCorruptError(
    action,
    key,
    "does not hold a TTL envelope: expected { value, expiresAt: number }",
  );
}
