/**
 * Workflow state in Deno KV with a one-hour TTL: the DAG a paused workflow resumes from. It replaced the
 * `workflow_dags` table dropped by migration 019.
 *
 * {@linkcode WorkflowStateCache} takes its KV and clock as options. Every write is one atomic KV
 * operation guarded by a versionstamp check on the header, so a reader never sees half a state and a
 * write never lands on a state it did not read: a write that lost the check re-reads and decides again,
 * up to `maxAttempts` times, then fails with {@linkcode WorkflowStateConflictError}. A read-modify-write
 * update passes an updater function (called again on each re-read) or the `expectedVersion` it read, so
 * no concurrent update is lost silently.
 *
 * An entry at `["workflow", id]` that this code cannot read (the historical `{ dag, intent }` format, or
 * a corrupt header) makes reads fail with {@linkcode CacheEntryCorruptError}, while `save`, `delete` and
 * `sweepExpired` replace or remove it, so it never blocks the workflow id.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import type { KvClient } from "./kv_client.ts";
import { assertWorkflowId, WORKFLOW_CHUNK_NAMESPACE, WORKFLOW_PREFIX } from "./keys.ts";
import { TtlStore } from "./ttl_store.ts";
import { assertWorkflowDag, type WorkflowDag } from "./workflow_dag.ts";
import { decodeDag, MAX_INTENT_LENGTH } from "./_workflow_state_codec.ts";
import {
  chunkKeysOf,
  type Decide,
  encodeFitting,
  planRefresh,
  planUpdate,
  readLiveState,
  writeState,
} from "./_workflow_state_io.ts";

/**
 * How long a workflow state lives after its last save or update: one hour.
 *
 * @example One hour
 * ```ts
 * import { WORKFLOW_STATE_TTL_MS } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(WORKFLOW_STATE_TTL_MS, 60 * 60 * 1000);
 * ```
 */
export const WORKFLOW_STATE_TTL_MS = 3_600_000;

/**
 * How many times a write is tried when concurrent writers keep changing the same workflow.
 *
 * @example The default budget
 * ```ts
 * import { DEFAULT_MAX_ATTEMPTS, WorkflowStateCache } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * assert.equal(new WorkflowStateCache({ kv }).maxAttempts, DEFAULT_MAX_ATTEMPTS);
 * kv.close();
 * ```
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** A workflow state with its metadata (field names as in the historical `workflow_dags` table). */
export interface WorkflowStateRecord {
  /** The workflow id. */
  workflow_id: string;
  /** The stored DAG. */
  dag: WorkflowDag;
  /** The intent given at save time; `null` when none or empty. */
  intent: string | null;
  /** When the state was saved; updates keep it. */
  created_at: Date;
  /** When the state expires: TTL after the last save, update or refresh. */
  expires_at: Date;
  /**
   * The state's version (the KV versionstamp of its header), changed by every save, update and refresh.
   * Pass it as `expectedVersion` to update the state only if nothing wrote it since.
   */
  version: string;
}

/**
 * Computes the next DAG from the current one, for a read-modify-write update. It may be called several
 * times (once per attempt, each time with the DAG as it is then), so it should have no side effects.
 */
export type WorkflowDagUpdater = (current: WorkflowDag) => WorkflowDag | Promise<WorkflowDag>;

/** Options of {@linkcode WorkflowStateCache.update} and {@linkcode updateWorkflowState}. */
export interface UpdateWorkflowStateOptions {
  /**
   * The version (see {@linkcode WorkflowStateRecord.version}) the update is based on. When the state
   * has another version, the update fails at once with {@linkcode WorkflowStateConflictError} naming
   * both versions, and writes nothing.
   */
  expectedVersion?: string;
}

/** Options of the {@linkcode WorkflowStateCache} constructor. */
export interface WorkflowStateCacheOptions {
  /** The store. */
  kv: KvClient;
  /** The time source deciding expiry (default {@linkcode systemClock}). */
  clock?: Clock;
  /** Lifetime of a state after each write (default {@linkcode WORKFLOW_STATE_TTL_MS}). */
  ttlMs?: number;
  /** Tries per write before a {@linkcode WorkflowStateConflictError} (default {@linkcode DEFAULT_MAX_ATTEMPTS}). */
  maxAttempts?: number;
}
/**
 * Workflow states stored in KV under `["workflow", id]`, expiring exactly `ttlMs` after each write by
 * the injected clock.
 *
 * @example Saving, reading and expiring with a fake clock
 * ```ts
 * import { FakeClock, WorkflowStateCache } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const clock = new FakeClock(0);
 * const cache = new WorkflowStateCache({ kv, clock });
 * const dag = { tasks: [{ id: "a", tool: "fs:read", arguments: { path: "x" }, dependsOn: [] }] };
 * await cache.save("wf-1", dag, "read x");
 * assert.deepEqual(await cache.get("wf-1"), dag);
 * clock.set(3_600_000);
 * assert.equal(await cache.get("wf-1"), null);
 * kv.close();
 * ```
 */
export class WorkflowStateCache {
  /** Lifetime of a state after each write, in milliseconds. */
  readonly ttlMs: number;
  /** Tries per write before giving up on a conflict. */
  readonly maxAttempts: number;
  readonly #store: TtlStore;

  /**
   * @param options The store, clock, TTL and retry budget.
   * @throws {RangeError} When `ttlMs` or `maxAttempts` is not a positive integer.
   */
  constructor(options: WorkflowStateCacheOptions) {
    this.ttlMs = positiveInteger("ttlMs", options.ttlMs ?? WORKFLOW_STATE_TTL_MS);
    this.maxAttempts = positiveInteger("maxAttempts", options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.#store = new TtlStore({ kv: options.kv, clock: options.clock ?? systemClock });
  }

  /**
   * Stores `dag` (and `intent`; an empty intent is stored as `null`) for `workflowId`, replacing any
   * previous state, even one this code cannot read, with a fresh `created_at` and TTL.
   *
   * @throws {TypeError | RangeError} For a bad id, DAG or intent; nothing is written.
   * @throws {WorkflowStateTooLargeError} When the state exceeds one atomic write; nothing is written.
   * @throws {WorkflowStateConflictError} When concurrent writers won every attempt.
   */
  async save(workflowId: string, dag: WorkflowDag, intent?: string | null): Promise<void> {
    const action = "save workflow state";
    assertWorkflowId(workflowId);
    assertWorkflowDag(dag, action);
    const normalizedIntent = normalizeIntent(action, intent);
    const bytes = encodeFitting(action, workflowId, dag, normalizedIntent);
    await this.#write(action, workflowId, (_found, now) => ({
      kind: "write",
      content: { bytes, intent: normalizedIntent, createdAt: now },
    }));
  }

  /**
   * The DAG of `workflowId`, or `null` when none is live.
   *
   * @throws {CacheEntryCorruptError} When the stored state cannot be read.
   */
  async get(workflowId: string): Promise<WorkflowDag | null> {
    return (await this.#read(workflowId))?.dag ?? null;
  }

  /**
   * The state of `workflowId` with its metadata and version, or `null` when none is live.
   *
   * @throws {CacheEntryCorruptError} When the stored state cannot be read.
   */
  async getRecord(workflowId: string): Promise<WorkflowStateRecord | null> {
    return await this.#read(workflowId);
  }

  /**
   * Changes the DAG of a live workflow state and restarts its TTL; intent and `created_at` are kept.
   *
   * - `next` a DAG: replaces the DAG; use an updater function or `expectedVersion` for
   *   read-modify-write. Without `expectedVersion` the last writer wins (atomically: the DAG is never
   *   mixed with another write's).
   * - `next` a function: called with the current DAG, it returns the next one. When another write
   *   lands between that read and this write, the DAG is read again and the function called again, so
   *   no concurrent update is lost.
   * - `options.expectedVersion`: the update applies only to that version of the state (see
   *   {@linkcode WorkflowStateRecord.version}); any other version fails at once, without retrying.
   *
   * @throws {WorkflowStateNotFoundError} When no live state has this id; nothing is written.
   * @throws {TypeError | RangeError} For a bad id, DAG (given or returned by `next`) or
   * `expectedVersion`; nothing is written.
   * @throws {WorkflowStateTooLargeError} When the state exceeds one atomic write; nothing is written.
   * @throws {WorkflowStateConflictError} When the state's version is not `expectedVersion`, or
   * concurrent writers won every attempt; nothing is written.
   * @throws {CacheEntryCorruptError} When the stored state cannot be read.
   */
  async update(
    workflowId: string,
    next: WorkflowDag | WorkflowDagUpdater,
    options: UpdateWorkflowStateOptions = {},
  ): Promise<void> {
    const action = "update workflow state";
    assertWorkflowId(workflowId);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && typeof expectedVersion !== "string") {
      throw new TypeError(
        `Cannot ${action}: expected 'expectedVersion' to be a string, found ${typeof expectedVersion}`,
      );
    }
    const change = typeof next === "function" ? next : this.#checkedBytes(action, workflowId, next);
    const plan = planUpdate(this.#store, { action, workflowId, change, expectedVersion });
    await this.#write(action, workflowId, plan);
  }

  /**
   * Restarts the TTL of a live workflow state without changing it.
   *
   * @returns `false` when no live state has this id.
   * @throws {CacheEntryCorruptError} When the stored state cannot be read.
   */
  async refresh(workflowId: string): Promise<boolean> {
    assertWorkflowId(workflowId);
    const plan = planRefresh(this.#store, workflowId);
    return await this.#write("refresh workflow state", workflowId, plan);
  }

  /**
   * Deletes the state of `workflowId`, chunks included; an entry this code cannot read is deleted too.
   *
   * @returns Whether a live state, or an unreadable entry that `get()` would have reported as corrupt,
   * was deleted (an expired leftover is removed too, but reports `false`).
   */
  async delete(workflowId: string): Promise<boolean> {
    assertWorkflowId(workflowId);
    let wasLive = false;
    await this.#write("delete workflow state", workflowId, (found, now) => {
      if (found.kind === "absent") return { kind: "nothing" };
      const expiresAt = found.kind === "header" ? found.entry.expiresAt : found.expiresAt;
      wasLive = expiresAt === null || now < expiresAt;
      return { kind: "delete" };
    });
    return wasLive;
  }

  /**
   * Deletes every expired workflow state (chunks included) and every unreadable entry under
   * `["workflow"]`, and returns how many. One unreadable entry never stops the sweep. Chunks whose TTL
   * is up are deleted too (they belong to no live state), without being counted.
   */
  async sweepExpired(): Promise<number> {
    const removed = await this.#store.sweep(WORKFLOW_PREFIX, {
      isReadable: (entry) => chunkKeysOf(entry) !== null,
      alsoDelete: (entry) => chunkKeysOf(entry) ?? [],
      unreadable: "delete",
    });
    // A live state's chunks are written with its header and expire with it, so an expired chunk is
    // garbage: left behind by an unreadable header that was replaced, deleted or swept.
    await this.#store.sweep([WORKFLOW_CHUNK_NAMESPACE], { unreadable: "delete" });
    return removed;
  }

  /** Runs the read-decide-commit attempts of a write; returns whether something was committed. */
  async #write(action: string, workflowId: string, decide: Decide): Promise<boolean> {
    const { ttlMs, maxAttempts } = this;
    return await writeState(this.#store, { action, workflowId, ttlMs, maxAttempts, decide });
  }

  /** Reads a live state with its metadata. */
  async #read(workflowId: string): Promise<WorkflowStateRecord | null> {
    const state = await readLiveState(this.#store, workflowId, this.maxAttempts);
    if (state === null) return null;
    const { entry, bytes } = state;
    return {
      workflow_id: workflowId,
      dag: decodeDag(bytes),
      intent: entry.value.intent,
      created_at: new Date(entry.value.createdAt),
      expires_at: new Date(entry.expiresAt),
      version: entry.versionstamp,
    };
  }

  /** Validates a DAG given to `update` and returns its bytes, refusing an oversized one up front. */
  #checkedBytes(action: string, workflowId: string, dag: WorkflowDag): Uint8Array {
    assertWorkflowDag(dag, action);
    // The kept intent is bounded, so the final size check of the write only adds the intent's size.
    return encodeFitting(action, workflowId, dag, null);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot create workflow state cache: expected '${name}' to be a positive integer, found ${
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
