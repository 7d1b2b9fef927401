/**
 * Workflow state in Deno KV with a one-hour TTL: the DAG a paused workflow resumes from (once the
 * `workflow_dags` table, dropped by migration 019). Each write decides, beside its method, what to
 * write from one read, and the one commit loop (`#commit`) commits that atomically with a check on
 * the versionstamp it read, reading and deciding again when another writer got there first.
 *
 * @module
 */

import { CacheError } from "./cache_error.ts";
import { type Clock, readClock, systemClock } from "./clock.ts";
import type { KvAtomicOperation, KvClient, KvEntry } from "./kv_client.ts";
import { copyWorkflowDag, type WorkflowDag } from "./workflow_dag.ts";
import {
  assertWorkflowId,
  chunkKeys,
  findHeader,
  type FoundHeader,
  joinChunks,
  layOut,
  MAX_CHUNKS,
  WORKFLOW_CHUNK_NAMESPACE,
  WORKFLOW_NAMESPACE,
  type WorkflowHeader,
  workflowKey,
  type WorkflowLayout,
} from "./_workflow_layout.ts";

/**
 * How long a workflow state lives after its last save, update or refresh: one hour.
 *
 * @example A state saved at t is there at t + 3,599,999 ms and gone at t + 3,600,000 ms
 * ```ts
 * import { WORKFLOW_STATE_TTL_MS, WorkflowStateCache } from "@pml/store";
 * import { FakeClock } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const clock = new FakeClock(0);
 * const cache = new WorkflowStateCache({ kv, clock });
 * await cache.save("wf-1", { tasks: [] });
 * clock.set(WORKFLOW_STATE_TTL_MS - 1);
 * assert.deepEqual(await cache.get("wf-1"), { tasks: [] });
 * clock.set(WORKFLOW_STATE_TTL_MS);
 * assert.equal(await cache.get("wf-1"), null);
 * kv.close();
 * ```
 */
export const WORKFLOW_STATE_TTL_MS = 3_600_000;

/** The longest TTL accepted, 365 days: KV refuses an `expireIn` that ends further ahead. Private. */
export const MAX_TTL_MS = 365 * 24 * WORKFLOW_STATE_TTL_MS;
/** Tries per write: two processes hammering one id lose a check often (see the README's figures). */
const DEFAULT_MAX_ATTEMPTS = 64;
/** How long a KV call is retried, by default, while another process holds the database lock. */
const KV_BUSY_TIMEOUT_MS = 10_000;
/** A KV call that lost the SQLite lock to another process: contention, not a fault. */
const BUSY_MESSAGE = /database is (locked|busy)/i;
const MAX_INTENT_LENGTH = 16_384;

/** A workflow state with its metadata (field names as in the historical `workflow_dags` table). */
export interface WorkflowStateRecord {
  workflow_id: string;
  dag: WorkflowDag;
  /** The intent given at save time; `null` when none or empty. */
  intent: string | null;
  /** When the state was saved; updates keep it. */
  created_at: Date;
  /** When the state expires: TTL after the last save, update or refresh. */
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
  /**
   * Lifetime of a state after each write, an integer from 1 to 31,536,000,000 ms (365 days: KV
   * refuses an `expireIn` that ends further ahead). Default {@linkcode WORKFLOW_STATE_TTL_MS}.
   */
  ttlMs?: number;
  /** Tries per write before `WORKFLOW_STATE_CONFLICT` (default 64). */
  maxAttempts?: number;
  /** How long one KV call is retried while the database is locked, before `KV_BUSY` (default 10 s). */
  busyTimeoutMs?: number;
}

/** The state of one id as an operation sees it: the header found, the time, the DAG if requested. */
interface Current {
  found: FoundHeader;
  now: number;
  dag: WorkflowDag | null;
}

/** What one attempt decided: the result to return, and what to commit first (if anything). */
type Decision<T> = { result: T; write?: WorkflowLayout | "delete" };

/**
 * Workflow states stored in KV under `["workflow", id]`, expiring exactly `ttlMs` after each write by
 * the injected clock.
 *
 * @example Saving, reading the record and deleting
 * ```ts
 * import { WorkflowStateCache } from "@pml/store";
 * import { FakeClock } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const cache = new WorkflowStateCache({ kv, clock: new FakeClock(1_000) });
 * await cache.save("wf-1", { tasks: [] }, "plan");
 * const record = await cache.getRecord("wf-1");
 * assert.equal(record?.intent, "plan");
 * assert.equal(record?.expires_at.getTime(), 1_000 + 3_600_000);
 * assert.equal(await cache.delete("wf-1"), true);
 * assert.equal(await cache.get("wf-1"), null);
 * kv.close();
 * ```
 */
export class WorkflowStateCache {
  /** Lifetime of a state after each write, in milliseconds. */
  readonly ttlMs: number;
  /** Tries per write before giving up on a conflict. */
  readonly maxAttempts: number;
  readonly #kv: KvClient;
  readonly #clock: Clock;
  readonly #busyTimeoutMs: number;

  /** @throws {RangeError} When an option is not an integer in its range; see the options. */
  constructor(options: WorkflowStateCacheOptions) {
    const { ttlMs, maxAttempts, busyTimeoutMs } = options;
    this.ttlMs = integerOption("ttlMs", ttlMs ?? WORKFLOW_STATE_TTL_MS, MAX_TTL_MS);
    this.maxAttempts = integerOption("maxAttempts", maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.#busyTimeoutMs = integerOption("busyTimeoutMs", busyTimeoutMs ?? KV_BUSY_TIMEOUT_MS);
    this.#kv = options.kv;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Stores `dag` (and `intent`; empty is stored as `null`) for `workflowId` with a fresh `created_at`
   * and TTL, replacing any previous state, even an unreadable one, without reading it first.
   *
   * @throws {TypeError | RangeError} For a bad id, DAG, intent or clock time; nothing is written.
   * @throws {CacheError} `WORKFLOW_STATE_TOO_LARGE` before anything is written; `KV_BUSY`.
   */
  async save(workflowId: string, dag: WorkflowDag, intent?: string | null): Promise<void> {
    const action = "save workflow state";
    assertWorkflowId(action, workflowId);
    const size = { bound: 0 };
    const copy = copyWorkflowDag(dag, action, size);
    const fields = { intent: normalizeIntent(action, intent), ...this.#times(action) };
    const layout = layOut(action, workflowId, copy, fields, size.bound);
    const operation = this.#stage(this.#kv.atomic(), workflowId, layout);
    await this.#retry(action, () => operation.commit());
  }

  /** The DAG of `workflowId`, or `null` when none is live; throws as `getRecord()` does. */
  async get(workflowId: string): Promise<WorkflowDag | null> {
    return (await this.getRecord(workflowId))?.dag ?? null;
  }

  /**
   * The state of `workflowId` with its metadata and version, or `null` when none is live.
   *
   * @throws {CacheError} `CACHE_ENTRY_CORRUPT` for an unreadable, unexpired entry; `KV_BUSY`.
   */
  async getRecord(workflowId: string): Promise<WorkflowStateRecord | null> {
    const action = "read workflow state";
    assertWorkflowId(action, workflowId);
    const current = await this.#read(action, workflowId, true);
    const header = live(current);
    if (header === null) return null;
    return {
      workflow_id: workflowId,
      dag: current.dag!,
      intent: header.intent,
      created_at: new Date(header.createdAt),
      expires_at: new Date(header.expiresAt),
      version: current.found.versionstamp!,
    };
  }

  /**
   * Changes the DAG of a live state and restarts its TTL, keeping intent and `created_at`. A DAG as
   * `next` replaces the stored one; a function gets the current DAG and returns the next one, and is
   * called again on the new DAG when another write lands in between, so no update is lost. With
   * `expectedVersion` only that version is updated.
   *
   * @throws {CacheError} `WORKFLOW_STATE_NOT_FOUND` (message `Workflow <id> not found`, as the
   * historical module); `WORKFLOW_STATE_CONFLICT` for another version than `expectedVersion` or when
   * concurrent writers won every attempt; `WORKFLOW_STATE_TOO_LARGE`; `CACHE_ENTRY_CORRUPT`;
   * `KV_BUSY`. A failed call writes nothing.
   * @throws {TypeError | RangeError} For a bad id, DAG (given or returned by `next`), version or clock.
   */
  async update(
    workflowId: string,
    next: WorkflowDag | WorkflowDagUpdater,
    options: UpdateWorkflowStateOptions = {},
  ): Promise<void> {
    const action = "update workflow state";
    assertWorkflowId(action, workflowId);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && typeof expectedVersion !== "string") {
      throw new TypeError(
        `Cannot ${action}: expected 'expectedVersion' to be a string, found ${typeof expectedVersion}`,
      );
    }
    const givenSize = { bound: 0 };
    const given = typeof next === "function" ? null : copyWorkflowDag(next, action, givenSize);
    await this.#commit(action, workflowId, given === null, async (current, attempt) => {
      const header = live(current);
      if (header === null) {
        throw new CacheError("WORKFLOW_STATE_NOT_FOUND", `Workflow ${workflowId} not found`, {
          workflowId,
        });
      }
      const found = current.found.versionstamp!;
      if (expectedVersion !== undefined && found !== expectedVersion) {
        throw new CacheError(
          "WORKFLOW_STATE_CONFLICT",
          `Cannot ${action} ${JSON.stringify(workflowId)}: expected version ${
            JSON.stringify(expectedVersion)
          }, found version ${
            JSON.stringify(found)
          } (the state changed since it was read); nothing was written by this call; read it again`,
          { workflowId, attempts: attempt, versions: { expected: expectedVersion, found } },
        );
      }
      const size = given === null ? { bound: 0 } : givenSize;
      const dag = given ??
        copyWorkflowDag(await (next as WorkflowDagUpdater)(current.dag!), action, size);
      return {
        result: undefined,
        write: this.#rewrite(action, workflowId, header, dag, size.bound),
      };
    });
  }

  /**
   * Restarts the TTL of a live state without changing it; `false` when none is live.
   *
   * @throws {CacheError} `CACHE_ENTRY_CORRUPT`; `WORKFLOW_STATE_CONFLICT`; `KV_BUSY`.
   */
  async refresh(workflowId: string): Promise<boolean> {
    const action = "refresh workflow state";
    assertWorkflowId(action, workflowId);
    return await this.#commit(action, workflowId, true, (current) => {
      const header = live(current);
      if (header === null) return { result: false };
      const write = this.#rewrite(action, workflowId, header, current.dag!, Infinity);
      return { result: true, write };
    });
  }

  /**
   * Deletes the state of `workflowId`, chunks and unreadable entries included. Returns whether a live
   * state, or an unreadable one `get()` would report as corrupt, was deleted (an expired leftover is
   * removed too, but reports `false`).
   *
   * @throws {CacheError} `WORKFLOW_STATE_CONFLICT`; `KV_BUSY`.
   */
  async delete(workflowId: string): Promise<boolean> {
    const action = "delete workflow state";
    assertWorkflowId(action, workflowId);
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
    for (const entry of await this.#list(action, WORKFLOW_NAMESPACE)) {
      const found = findHeader(entry);
      if (found.kind === "header" && now < found.header.expiresAt) continue;
      const operation = this.#kv.atomic().check(entry).delete(entry.key);
      const id = entry.key[1];
      if (entry.key.length === 2 && typeof id === "string") {
        for (const key of chunkKeys(id)) operation.delete(key);
      }
      if ((await this.#retry(action, () => operation.commit())).ok) removed++;
    }
    const headers = new Map<string, Current>();
    for (const chunk of await this.#list(action, WORKFLOW_CHUNK_NAMESPACE)) {
      const [, id, index] = chunk.key;
      if (typeof id !== "string" || typeof index !== "number") continue;
      const current = headers.get(id) ?? await this.#read(action, id, false);
      headers.set(id, current);
      const header = liveHeader(current.found, current.now);
      const writeId = (chunk.value as { writeId?: unknown } | null)?.writeId;
      if (header !== null && header.writeId === writeId && index < header.chunkCount) continue;
      const operation = this.#kv.atomic().check(chunk)
        .check({ key: workflowKey(id), versionstamp: current.found.versionstamp })
        .delete(chunk.key);
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
    const key = workflowKey(workflowId);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.#read(action, workflowId, withDag);
      const { result, write } = await decide(current, attempt);
      if (write === undefined) return result;
      const operation = this.#kv.atomic().check({ key, versionstamp: current.found.versionstamp });
      this.#stage(operation, workflowId, write);
      if ((await this.#retry(action, () => operation.commit())).ok) return result;
      if (attempt < this.maxAttempts) await backoff(attempt);
    }
    throw new CacheError(
      "WORKFLOW_STATE_CONFLICT",
      `Cannot ${action} ${
        JSON.stringify(workflowId)
      }: the state changed concurrently on each of ${this.maxAttempts} attempt(s) (versionstamp check failed); nothing was written by this call; retry, or raise 'maxAttempts'`,
      { workflowId, attempts: this.maxAttempts },
    );
  }

  /**
   * The one read path: the header alone for an inline state; for a chunked live one, the header
   * again with every chunk slot in one `getMany`, so the chunks are those of the header it returns.
   */
  async #read(action: string, workflowId: string, withDag: boolean): Promise<Current> {
    const key = workflowKey(workflowId);
    let found = findHeader(await this.#retry(action, () => this.#kv.get(key)));
    const now = readClock(this.#clock, action);
    let header = liveHeader(found, now);
    if (!withDag || header === null) return { found, now, dag: null };
    if (header.chunkCount === 0) return { found, now, dag: header.dag };
    const keys = [key, ...chunkKeys(workflowId)];
    const [first, ...chunks] = await this.#retry(action, () => this.#kv.getMany(keys));
    found = findHeader(first!);
    header = liveHeader(found, now);
    return { found, now, dag: header === null ? null : joinChunks(workflowId, header, chunks) };
  }

  /** Adds a write (header, chunks, and deletion of the unused chunk slots) or a deletion. */
  #stage(operation: KvAtomicOperation, id: string, write: WorkflowLayout | "delete") {
    const slots = chunkKeys(id);
    const expireIn = this.ttlMs; // Only a hint for KV's clean-up; `expiresAt` decides expiry.
    if (write === "delete") operation.delete(workflowKey(id));
    else operation.set(workflowKey(id), write.header, { expireIn });
    for (let index = 0; index < MAX_CHUNKS; index++) {
      const chunk = write === "delete" ? undefined : write.chunks[index];
      if (chunk === undefined) operation.delete(slots[index]!);
      else operation.set(slots[index]!, chunk, { expireIn });
    }
    return operation;
  }

  /** The layout of `dag` written now over a live `header`, keeping its intent and `created_at`. */
  #rewrite(action: string, id: string, header: WorkflowHeader, dag: WorkflowDag, bound: number) {
    const fields = { ...this.#times(action), intent: header.intent, createdAt: header.createdAt };
    return layOut(action, id, dag, fields, bound);
  }

  /** `createdAt` and `expiresAt` of a write made now. */
  #times(action: string): { createdAt: number; expiresAt: number } {
    const now = readClock(this.#clock, action);
    return { createdAt: now, expiresAt: now + this.ttlMs };
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
      // Not Array.fromAsync: Node 20 lacks it.
      const entries: KvEntry<unknown>[] = [];
      for await (const entry of this.#kv.list({ prefix: [namespace] })) entries.push(entry);
      return entries;
    });
  }
}

/** Sleeps a random time below `2^attempt` ms, capped at 50 ms, so contenders spread out. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The header of a live state, `null` when there is none; an unreadable entry that has not expired
 * throws its `CACHE_ENTRY_CORRUPT` (an expired one is gone, whatever it holds).
 */
function live({ found, now }: Current): WorkflowHeader | null {
  if (found.kind !== "unreadable") return liveHeader(found, now);
  if (found.expiresAt !== null && now >= found.expiresAt) return null;
  throw found.error;
}

/** The header of a live, readable state, else `null`. */
function liveHeader(found: FoundHeader, now: number): WorkflowHeader | null {
  return found.kind === "header" && now < found.header.expiresAt ? found.header : null;
}

function integerOption(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value <= 0 || value > max) {
    throw new RangeError(
      `Cannot create workflow state cache: expected '${name}' to be an integer from 1 to ${max}, found ${
        String(value)
      }`,
    );
  }
  return value;
}

function normalizeIntent(action: string, intent: unknown): string | null {
  if (intent === undefined || intent === null || intent === "") return null;
  if (typeof intent !== "string") {
    throw new TypeError(
      `Cannot ${action}: expected the intent to be a string, found ${typeof intent}`,
    );
  }
  if (intent.length > MAX_INTENT_LENGTH) {
    throw new RangeError(
      `Cannot ${action}: expected an intent of at most ${MAX_INTENT_LENGTH} characters, found ${intent.length}`,
    );
  }
  return intent;
}
