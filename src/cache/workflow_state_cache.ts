/**
 * Workflow state in Deno KV with a one-hour TTL: the DAG a paused workflow resumes from (once the
 * `workflow_dags` table, dropped by migration 019). Each write decides, beside its method, what to
 * write from one read; the one commit loop (`#commit`) commits it atomically with a check on the
 * versionstamp read, reading and deciding again when another writer got there first.
 *
 * @module
 */

import { CacheError } from "./cache_error.ts";
import { type Clock, readClock, systemClock } from "./clock.ts";
import type { KvAtomicOperation, KvClient, KvEntry } from "./kv_client.ts";
import { copyWorkflowDag, type WorkflowDag } from "./workflow_dag.ts";
import * as layout from "./_workflow_layout.ts";

/** How long a workflow state lives after its last save, update or refresh: one hour. */
export const WORKFLOW_STATE_TTL_MS = 3_600_000;

/** The longest TTL accepted, 365 days: KV refuses an `expireIn` that ends further ahead. Private. */
export const MAX_TTL_MS = 365 * 24 * WORKFLOW_STATE_TTL_MS;
/** A KV call that lost the SQLite lock to another process: contention, not a fault. */
const BUSY_MESSAGE = /database is (locked|busy)/i;

/** A workflow state with its metadata (field names as in the historical `workflow_dags` table). */
export interface WorkflowStateRecord {
  workflow_id: string;
  dag: WorkflowDag;
  /** `null` when none or an empty one was saved. */
  intent: string | null;
  /** When the state was saved; updates keep it. */
  created_at: Date;
  expires_at: Date;
  /** The KV versionstamp of its header, changed by every write; see `expectedVersion`. */
  version: string;
}

/** The next DAG from the current one; called once per attempt, so it should have no side effects. */
export type WorkflowDagUpdater = (current: WorkflowDag) => WorkflowDag | Promise<WorkflowDag>;

/** Options of {@linkcode WorkflowStateCache.update} and `updateWorkflowState`. */
export interface UpdateWorkflowStateOptions {
  /** The version the update is based on; any other fails at once with `WORKFLOW_STATE_CONFLICT`. */
  expectedVersion?: string;
}

/** Options of the {@linkcode WorkflowStateCache} constructor. */
export interface WorkflowStateCacheOptions {
  kv: KvClient;
  /** Decides expiry (default {@linkcode systemClock}). */
  clock?: Clock;
  /** Lifetime after each write, an integer from 1 to 31,536,000,000 ms (365 days); default 1 h. */
  ttlMs?: number;
  /** Tries per write before `WORKFLOW_STATE_CONFLICT` (default 64). */
  maxAttempts?: number;
  /** How long one KV call is retried while the database is locked, before `KV_BUSY` (default 10 s). */
  busyTimeoutMs?: number;
}

/** The state of one id as an operation sees it: the header found, the time, the DAG if requested. */
interface Current {
  found: layout.FoundHeader;
  now: number;
  dag: WorkflowDag | null;
}

/** What one attempt decided: the result to return, and what to commit first (if anything). */
type Decision<T> = { result: T; write?: layout.WorkflowLayout | "delete" };

/**
 * Workflow states stored in KV under `["workflow", id]`, expiring exactly `ttlMs` after each write by
 * the injected clock.
 *
 * @example A state lives `ttlMs` after its last write, by the injected clock
 * ```ts
 * import { WorkflowStateCache } from "@pml/store";
 * import { FakeClock } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * using kv = await Deno.openKv(":memory:");
 * const clock = new FakeClock(0);
 * const cache = new WorkflowStateCache({ kv, clock, ttlMs: 1_000 });
 * await cache.save("wf-1", { tasks: [] }, "plan");
 * clock.advance(600);
 * await cache.refresh("wf-1");
 * clock.advance(600);
 * assert.equal((await cache.getRecord("wf-1"))?.intent, "plan");
 * clock.advance(400);
 * assert.equal(await cache.get("wf-1"), null);
 * ```
 */
export class WorkflowStateCache {
  readonly ttlMs: number;
  readonly maxAttempts: number;
  readonly #kv: KvClient;
  readonly #clock: Clock;
  readonly #busyTimeoutMs: number;

  /** @throws {RangeError} When an option is not an integer in its range. */
  constructor(options: WorkflowStateCacheOptions) {
    const { ttlMs, maxAttempts, busyTimeoutMs } = options;
    this.ttlMs = integerOption("ttlMs", ttlMs ?? WORKFLOW_STATE_TTL_MS, MAX_TTL_MS);
    this.maxAttempts = integerOption("maxAttempts", maxAttempts ?? 64);
    this.#busyTimeoutMs = integerOption("busyTimeoutMs", busyTimeoutMs ?? 10_000);
    this.#kv = options.kv;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Stores `dag` and `intent` (empty: `null`) with a fresh `created_at` and TTL, replacing any
   * previous state, even an unreadable one, without reading it first. An inline (small) state saved
   * over a chunked one leaves the old chunks to their own expiry, `sweepExpired()` or the next
   * chunked write: they belong to no header, so no read returns them.
   *
   * @throws {TypeError | RangeError} For a bad id, DAG, intent or clock time; nothing is written.
   * @throws {CacheError} `WORKFLOW_STATE_TOO_LARGE` before anything is written; `KV_BUSY`.
   */
  async save(workflowId: string, dag: WorkflowDag, intent?: string | null): Promise<void> {
    const action = "save workflow state";
    layout.assertWorkflowId(action, workflowId);
    const size = { bound: 0 };
    const copy = copyWorkflowDag(dag, action, size);
    const kept = { intent: normalizeIntent(action, intent) };
    const operation = this.#kv.atomic();
    const write = this.#layOut(action, workflowId, copy, size.bound, kept);
    this.#stage(operation, workflowId, write, 0);
    await this.#retry(action, () => operation.commit());
  }

  /** The DAG of `workflowId`, or `null` when none is live; throws as `getRecord()` does. */
  async get(workflowId: string): Promise<WorkflowDag | null> {
    return (await this.#readLive(workflowId))?.dag ?? null;
  }

  /**
   * The state of `workflowId` with its metadata and version, or `null` when none is live.
   *
   * @throws {CacheError} `CACHE_ENTRY_CORRUPT` for an unreadable, unexpired entry; `KV_BUSY`.
   */
  async getRecord(workflowId: string): Promise<WorkflowStateRecord | null> {
    const state = await this.#readLive(workflowId);
    if (state === null) return null;
    const { header: { intent, createdAt, expiresAt }, dag, version } = state;
    const [created_at, expires_at] = [new Date(createdAt), new Date(expiresAt)];
    return { workflow_id: workflowId, dag, intent, created_at, expires_at, version };
  }

  /**
   * Changes the DAG of a live state and restarts its TTL, keeping intent and `created_at`. A DAG as
   * `next` replaces the stored one; a function gets the current DAG and returns the next one, and is
   * called again when another write lands in between, so no update is lost. With `expectedVersion`
   * only that version is updated. A failed call writes nothing.
   *
   * @throws {CacheError} `WORKFLOW_STATE_NOT_FOUND` (message `Workflow <id> not found`);
   * `WORKFLOW_STATE_CONFLICT` for another version than `expectedVersion` or when concurrent writers
   * won every attempt; `WORKFLOW_STATE_TOO_LARGE`; `CACHE_ENTRY_CORRUPT`; `KV_BUSY`.
   * @throws {TypeError | RangeError} For a bad id, DAG (given or returned by `next`), version or clock.
   */
  async update(
    workflowId: string,
    next: WorkflowDag | WorkflowDagUpdater,
    options: UpdateWorkflowStateOptions = {},
  ): Promise<void> {
    const action = "update workflow state";
    layout.assertWorkflowId(action, workflowId);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && typeof expectedVersion !== "string") {
      const found = `found ${typeof expectedVersion}`;
      throw new TypeError(`Cannot ${action}: expected 'expectedVersion' to be a string, ${found}`);
    }
    const givenSize = { bound: 0 };
    const given = typeof next === "function" ? null : copyWorkflowDag(next, action, givenSize);
    await this.#commit(action, workflowId, given === null, async (current, attempt) => {
      const header = live(workflowId, current);
      if (header === null) {
        const message = `Workflow ${workflowId} not found`;
        throw new CacheError("WORKFLOW_STATE_NOT_FOUND", message, { workflowId });
      }
      const found = current.found.versionstamp!;
      if (expectedVersion !== undefined && found !== expectedVersion) {
        const [id, expected, was] = [workflowId, expectedVersion, found].map(quote);
        throw new CacheError(
          "WORKFLOW_STATE_CONFLICT",
          `Cannot ${action} ${id}: expected version ${expected}, found version ${was} (the state changed since it was read); nothing was written by this call; read it again`,
          { workflowId, attempts: attempt, versions: { expected: expectedVersion, found } },
        );
      }
      const size = given === null ? { bound: 0 } : givenSize;
      const dag = given ??
        copyWorkflowDag(await (next as WorkflowDagUpdater)(current.dag!), action, size);
      const write = this.#layOut(action, workflowId, dag, size.bound, header);
      return { result: undefined, write };
    });
  }

  /**
   * Restarts the TTL of a live state without changing it; `false` when none is live.
   *
   * @throws {CacheError} `CACHE_ENTRY_CORRUPT`; `WORKFLOW_STATE_CONFLICT`; `KV_BUSY`.
   */
  async refresh(workflowId: string): Promise<boolean> {
    const action = "refresh workflow state";
    layout.assertWorkflowId(action, workflowId);
    return await this.#commit(action, workflowId, true, (current) => {
      const header = live(workflowId, current);
      if (header === null) return { result: false };
      // Infinity: no size bound is known, so the layout measures the stored DAG.
      const write = this.#layOut(action, workflowId, current.dag!, Infinity, header);
      return { result: true, write };
    });
  }

  /**
   * Deletes the state of `workflowId`, chunks and unreadable entries included. Returns whether a live
   * state, or an unreadable one `get()` reports as corrupt, was deleted (an expired leftover is
   * removed too, but reports `false`).
   *
   * @throws {CacheError} `WORKFLOW_STATE_CONFLICT`; `KV_BUSY`.
   */
  async delete(workflowId: string): Promise<boolean> {
    const action = "delete workflow state";
    layout.assertWorkflowId(action, workflowId);
    return await this.#commit(action, workflowId, false, ({ found, now }) => {
      if (found.kind === "absent") return { result: false };
      const expiresAt = found.kind === "header" ? found.header.expiresAt : found.expiresAt;
      return { result: expiresAt === null || now < expiresAt, write: "delete" };
    });
  }

  /**
   * Deletes every expired or unreadable state and returns how many, then (uncounted) chunks of no
   * live state. Each deletion checks what it read, so a state written meanwhile survives.
   *
   * @throws {CacheError} `KV_BUSY`.
   */
  async sweepExpired(): Promise<number> {
    const action = "sweep workflow states";
    const now = readClock(this.#clock, action);
    let removed = 0;
    const listed = new Map<string, Extract<layout.FoundHeader, { kind: "header" }>>();
    for (const entry of await this.#list(action, layout.WORKFLOW_NAMESPACE)) {
      const [found, id] = [layout.findHeader(entry), entry.key[1]];
      const isState = entry.key.length === 2 && typeof id === "string";
      if (found.kind === "header" && now < found.header.expiresAt) {
        if (isState) listed.set(id, found);
        continue;
      }
      const operation = this.#kv.atomic().check(entry);
      if (isState) this.#stage(operation, id, "delete", layout.MAX_CHUNKS);
      else operation.delete(entry.key);
      if ((await this.#retry(action, () => operation.commit())).ok) removed++;
    }
    for (const chunk of await this.#list(action, layout.WORKFLOW_CHUNK_NAMESPACE)) {
      const [, id, index] = chunk.key;
      if (typeof id !== "string" || typeof index !== "number") continue;
      const owner = listed.get(id);
      const writeId = (chunk.value as { writeId?: unknown } | null)?.writeId;
      const header = owner?.header;
      if (header !== undefined && header.writeId === writeId && index < header.chunkCount) continue;
      // Checked against the header as listed (absent if swept): a state saved since keeps its chunks.
      const versionstamp = owner?.versionstamp ?? null;
      const operation = this.#kv.atomic().check(chunk)
        .check({ key: layout.workflowKey(id), versionstamp }).delete(chunk.key);
      await this.#retry(action, () => operation.commit());
    }
    return removed;
  }

  /** The one commit loop: read, `decide`, commit checking the header read; on a lost check, again. */
  async #commit<T>(
    action: string,
    workflowId: string,
    withDag: boolean,
    decide: (current: Current, attempt: number) => Decision<T> | Promise<Decision<T>>,
  ): Promise<T> {
    const key = layout.workflowKey(workflowId);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.#read(action, workflowId, withDag);
      const { result, write } = await decide(current, attempt);
      if (write === undefined) return result;
      const operation = this.#kv.atomic().check({ key, versionstamp: current.found.versionstamp });
      this.#stage(operation, workflowId, write, staleSlots(current.found, write));
      if ((await this.#retry(action, () => operation.commit())).ok) return result;
      if (attempt < this.maxAttempts) await backoff(attempt);
    }
    const [id, attempts] = [quote(workflowId), this.maxAttempts];
    throw new CacheError(
      "WORKFLOW_STATE_CONFLICT",
      `Cannot ${action} ${id}: the state changed concurrently on each of ${attempts} attempt(s) (versionstamp check failed); nothing was written by this call; retry, or raise 'maxAttempts'`,
      { workflowId, attempts },
    );
  }

  /**
   * The one read path: the header alone for an inline state; for a chunked live one, the header
   * again with every chunk slot in one `getMany`, so the chunks are those of the header it returns.
   *
   * @throws {CacheError} `CACHE_ENTRY_CORRUPT` for a chunk missing or of another write.
   */
  async #read(action: string, workflowId: string, withDag: boolean): Promise<Current> {
    const key = layout.workflowKey(workflowId);
    let found = layout.findHeader(await this.#retry(action, () => this.#kv.get(key)));
    const now = readClock(this.#clock, action);
    let header = liveHeader(found, now);
    if (!withDag || header === null) return { found, now, dag: null };
    if (header.chunkCount === 0) return { found, now, dag: header.dag };
    const keys = [key, ...layout.chunkKeys(workflowId)];
    const [first, ...chunks] = await this.#retry(action, () => this.#kv.getMany(keys));
    found = layout.findHeader(first!);
    header = liveHeader(found, now);
    const dag = header === null ? null : layout.joinChunks(header, chunks);
    if (typeof dag !== "number") return { found, now, dag };
    const reason = `has chunk ${dag} of ${header!.chunkCount} missing or from another write`;
    throw corrupt(workflowId, reason);
  }

  /** The live state of `workflowId` (`null`: none) with its DAG and version. */
  async #readLive(workflowId: string) {
    const action = "read workflow state";
    layout.assertWorkflowId(action, workflowId);
    const current = await this.#read(action, workflowId, true);
    const header = live(workflowId, current);
    return header && { header, dag: current.dag!, version: current.found.versionstamp! };
  }

  /**
   * Adds a write or a deletion of the header and chunk slots. A chunked write sets its chunks and
   * deletes every other slot; an inline write or a deletion deletes only the first `stale` slots, those
   * the header it replaces may use (what the read found; unknown, as in `save`, is 0).
   */
  #stage(
    operation: KvAtomicOperation,
    id: string,
    write: layout.WorkflowLayout | "delete",
    stale: number,
  ): void {
    const expireIn = this.ttlMs; // Only a hint for KV's clean-up; `expiresAt` decides expiry.
    if (write === "delete") operation.delete(layout.workflowKey(id));
    else operation.set(layout.workflowKey(id), write.header, { expireIn });
    const chunks = write === "delete" ? [] : write.chunks;
    const slots = chunks.length === 0 ? stale : layout.MAX_CHUNKS;
    for (let index = 0; index < slots; index++) {
      const key = layout.chunkKey(id, index);
      const chunk = chunks[index];
      if (chunk === undefined) operation.delete(key);
      else operation.set(key, chunk, { expireIn });
    }
  }

  /**
   * The layout of `dag` written now with the intent of `kept` and, when it has one (the header a
   * rewrite replaces), its `createdAt`; `WORKFLOW_STATE_TOO_LARGE` for what needs over 9 chunks.
   */
  #layOut(
    action: string,
    id: string,
    dag: WorkflowDag,
    sizeBound: number,
    kept: { intent: string | null; createdAt?: number },
  ): layout.WorkflowLayout {
    const now = readClock(this.#clock, action);
    const fields = {
      intent: kept.intent,
      createdAt: kept.createdAt ?? now,
      expiresAt: now + this.ttlMs,
    };
    const write = layout.layOut(dag, fields, sizeBound);
    const { chunks, fits, requiredBytes } = write;
    if (fits && chunks.length <= layout.MAX_CHUNKS) return write;
    const [name, value] = [quote(id), layout.MAX_VALUE_BYTES];
    const limitBytes = (layout.MAX_CHUNKS + 1) * value;
    throw new CacheError(
      "WORKFLOW_STATE_TOO_LARGE",
      `Cannot ${action} ${name}: the state needs about ${requiredBytes} bytes in ${chunks.length} chunks, expected at most a header and ${layout.MAX_CHUNKS} chunks of ${value} bytes (${limitBytes} bytes, what one consistent read returns); nothing was written; keep large data out of the DAG`,
      { workflowId: id, size: { requiredBytes, limitBytes } },
    );
  }

  /** Runs `call`, again while another process holds the KV lock, up to `busyTimeoutMs`; then `KV_BUSY`. */
  async #retry<T>(action: string, call: () => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.#busyTimeoutMs;
    for (let attempt = 1;; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof Error) || !BUSY_MESSAGE.test(error.message)) throw error;
        if (performance.now() >= deadline) {
          throw new CacheError(
            "KV_BUSY",
            `Cannot ${action}: the KV database stayed locked by another process for ${this.#busyTimeoutMs} ms (${attempt} attempts); retry later or give each process its own PML_KV_PATH`,
            { attempts: attempt, cause: error },
          );
        }
        await backoff(attempt);
      }
    }
  }

  async #list(action: string, namespace: string): Promise<KvEntry<unknown>[]> {
    return await this.#retry(action, async () => {
      const entries: KvEntry<unknown>[] = []; // Not Array.fromAsync: Node 20 lacks it.
      for await (const entry of this.#kv.list({ prefix: [namespace] })) entries.push(entry);
      return entries;
    });
  }
}

/**
 * How many chunk slots a write over `found` clears: all for a deletion or over an unreadable header,
 * else those the header found uses.
 */
function staleSlots(found: layout.FoundHeader, write: layout.WorkflowLayout | "delete"): number {
  if (write === "delete" || found.kind === "unreadable") return layout.MAX_CHUNKS;
  return found.kind === "header" ? found.header.chunkCount : 0;
}

/** Sleeps a random time below `2^attempt` ms, capped at 50 ms, so contenders spread out. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The header of a live state, `null` when there is none; an unreadable entry that has not expired
 * throws `CACHE_ENTRY_CORRUPT` (an expired one is gone, whatever it holds).
 */
function live(workflowId: string, { found, now }: Current): layout.WorkflowHeader | null {
  if (found.kind !== "unreadable") return liveHeader(found, now);
  if (found.expiresAt !== null && now >= found.expiresAt) return null;
  throw corrupt(workflowId, `does not hold a workflow state header of format ${layout.FORMAT}`);
}

function liveHeader(found: layout.FoundHeader, now: number): layout.WorkflowHeader | null {
  return found.kind === "header" && now < found.header.expiresAt ? found.header : null;
}

function corrupt(workflowId: string, reason: string): CacheError {
  const key = layout.workflowKey(workflowId);
  const message = `Cannot read workflow state: ${JSON.stringify(key)} ${reason}`;
  const advice = "save or delete the workflow to replace it";
  return new CacheError("CACHE_ENTRY_CORRUPT", `${message}; ${advice}`, { key });
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function integerOption(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (Number.isSafeInteger(value) && value > 0 && value <= max) return value;
  const expected = `expected '${name}' to be an integer from 1 to ${max}, found ${String(value)}`;
  throw new RangeError(`Cannot create workflow state cache: ${expected}`);
}

function normalizeIntent(action: string, intent: unknown): string | null {
  if (intent === undefined || intent === null || intent === "") return null;
  const found = typeof intent === "string" ? `found ${intent.length}` : `found ${typeof intent}`;
  if (typeof intent !== "string") {
    throw new TypeError(`Cannot ${action}: expected the intent to be a string, ${found}`);
  }
  if (intent.length <= 16_384) return intent;
  throw new RangeError(
    `Cannot ${action}: expected an intent of at most 16384 characters, ${found}`,
  );
}
