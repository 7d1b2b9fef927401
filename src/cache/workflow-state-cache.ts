/**
 * Workflow state in Deno KV with a one-hour TTL: the DAG a paused workflow resumes from. It replaced the
 * `workflow_dags` table dropped by migration 019.
 *
 * {@linkcode WorkflowStateCache} takes its KV and clock as options; the module-level functions
 * (`saveWorkflowState`, …) use the shared KV ({@linkcode getKv}) and the shared clock ({@linkcode getClock}).
 * Every write is one atomic KV operation guarded by a versionstamp check on the header, so a reader never
 * sees half a state and a write never lands on a state it did not read: a write that lost the check
 * re-reads and decides again, up to `maxAttempts` times, then fails with
 * {@linkcode WorkflowStateConflictError}. A read-modify-write update passes an updater function (called
 * again on each re-read) or the `expectedVersion` it read, so no concurrent update is lost silently.
 *
 * An entry at `["workflow", id]` that this code cannot read (the historical `{ dag, intent }` format, or
 * a corrupt header) makes reads fail with {@linkcode CacheEntryCorruptError}, while `save`, `delete` and
 * `sweepExpired` replace or remove it, so it never blocks the workflow id.
 *
 * The file name keeps the historical path of this module.
 *
 * @module
 */

import {
  CacheEntryCorruptError,
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
  WorkflowStateTooLargeError,
} from "./cache_error.ts";
import { type Clock, getClock, systemClock } from "./clock.ts";
import { getKv } from "./kv.ts";
import type { KvClient, KvKey } from "./kv_client.ts";
import {
  assertWorkflowId,
  WORKFLOW_CHUNK_NAMESPACE,
  WORKFLOW_PREFIX,
  workflowChunkKey,
  workflowKey,
} from "./keys.ts";
import { type TtlAtomic, type TtlEntry, TtlStore } from "./ttl_store.ts";
import { assertWorkflowDag, type WorkflowDag } from "./workflow_dag.ts";
import {
  decodeDag,
  encodeDag,
  isChunkOf,
  joinChunks,
  layOutState,
  MAX_ATOMIC_BYTES,
  MAX_INTENT_LENGTH,
  notAHeader,
  parseHeader,
  type WorkflowChunk,
  type WorkflowHeader,
  type WorkflowStateContent,
} from "./_workflow_state_codec.ts";

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

/** What one write attempt decided to do, given the current header. */
type WritePlan =
  | { kind: "write"; content: WorkflowStateContent }
  | { kind: "delete" }
  | { kind: "nothing" }
  | { kind: "retry" };

type HeaderEntry = TtlEntry<WorkflowHeader>;

/**
 * The header `["workflow", id]` as a write finds it. An unreadable one (historical format, corrupt) keeps
 * its versionstamp, so it can be replaced or deleted under the usual check, and its expiry when the TTL
 * envelope around it is intact.
 */
type FoundHeader =
  | { kind: "absent"; versionstamp: null }
  | { kind: "header"; versionstamp: string; entry: HeaderEntry }
  | {
    kind: "unreadable";
    versionstamp: string;
    expiresAt: number | null;
    error: CacheEntryCorruptError;
  };

type Decide = (found: FoundHeader, now: number, attempt: number) => WritePlan | Promise<WritePlan>;

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
    const bytes = encodeDag(dag);
    // Refuse an oversized state before reading or writing anything.
    const { requiredBytes } = layOutState(workflowId, {
      bytes,
      intent: normalizedIntent,
      createdAt: 0,
    }, 0);
    assertFits(action, workflowId, requiredBytes, bytes.length);
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
    const fixedBytes = typeof next === "function"
      ? null
      : this.#checkedBytes(action, workflowId, next);
    await this.#write(action, workflowId, async (found, now, attempt) => {
      const current = liveHeader(action, workflowId, found, now);
      if (expectedVersion !== undefined && current.versionstamp !== expectedVersion) {
        throw new WorkflowStateConflictError(action, workflowId, attempt, {
          expected: expectedVersion,
          found: current.versionstamp,
        });
      }
      const { intent, createdAt } = current.value;
      if (fixedBytes !== null) {
        return { kind: "write", content: { bytes: fixedBytes, intent, createdAt } };
      }
      const currentBytes = await this.#readBytes(workflowId, current.value);
      if (currentBytes === null) return { kind: "retry" };
      const dag = await (next as WorkflowDagUpdater)(decodeDag(currentBytes));
      assertWorkflowDag(dag, action);
      return { kind: "write", content: { bytes: encodeDag(dag), intent, createdAt } };
    });
  }

  /**
   * Restarts the TTL of a live workflow state without changing it.
   *
   * @returns `false` when no live state has this id.
   * @throws {CacheEntryCorruptError} When the stored state cannot be read.
   */
  async refresh(workflowId: string): Promise<boolean> {
    assertWorkflowId(workflowId);
    return await this.#write("refresh workflow state", workflowId, async (found, now) => {
      if (found.kind === "unreadable") throw found.error;
      if (found.kind === "absent" || now >= found.entry.expiresAt) return { kind: "nothing" };
      const bytes = await this.#readBytes(workflowId, found.entry.value);
      if (bytes === null) return { kind: "retry" };
      const { intent, createdAt } = found.entry.value;
      return { kind: "write", content: { bytes, intent, createdAt } };
    });
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

  /**
   * Runs read-decide-commit attempts: each reads the header (expired or not), lets `decide` choose,
   * and commits with a versionstamp check on the header. Returns whether something was committed.
   */
  async #write(action: string, workflowId: string, decide: Decide): Promise<boolean> {
    let checkFailed = false;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const found = await this.#findHeader(workflowId);
      const atomic = this.#store.atomic();
      const plan = await decide(found, atomic.now, attempt);
      if (plan.kind === "nothing") return false;
      if (plan.kind === "retry") continue;
      atomic.check({ key: workflowKey(workflowId), versionstamp: found.versionstamp });
      const previousChunks = found.kind === "header" ? found.entry.value.chunkCount : 0;
      this.#stage(atomic, action, workflowId, plan, previousChunks);
      if ((await atomic.commit()).ok) return true;
      checkFailed = true;
    }
    // Without a failed commit, every attempt found chunks missing: nothing concurrent explains that.
    if (!checkFailed) throw missingChunksError(workflowId, this.maxAttempts);
    throw new WorkflowStateConflictError(action, workflowId, this.maxAttempts);
  }

  /** Adds the mutations of `plan` to `atomic`, replacing a write of `previousChunks` chunks. */
  #stage(
    atomic: TtlAtomic,
    action: string,
    workflowId: string,
    plan: WritePlan & { kind: "write" | "delete" },
    previousChunks: number,
  ): void {
    const key = workflowKey(workflowId);
    if (plan.kind === "delete") {
      atomic.delete(key);
      for (let index = 0; index < previousChunks; index++) {
        atomic.delete(workflowChunkKey(workflowId, index));
      }
      return;
    }
    const layout = layOutState(workflowId, plan.content, previousChunks);
    assertFits(action, workflowId, layout.requiredBytes, plan.content.bytes.length);
    atomic.set(key, layout.header, { ttlMs: this.ttlMs });
    for (const chunk of layout.chunks) {
      atomic.set(workflowChunkKey(workflowId, chunk.index), chunk, { ttlMs: this.ttlMs });
    }
    for (const stale of layout.staleChunkKeys) atomic.delete(stale);
  }

  /** The header of `workflowId`, expired or not, readable or not. */
  async #findHeader(workflowId: string): Promise<FoundHeader> {
    const key = workflowKey(workflowId);
    const found = await this.#store.lookup<unknown>(key);
    switch (found.kind) {
      case "absent":
        return { kind: "absent", versionstamp: null };
      case "unreadable": {
        const { versionstamp, error } = found;
        return { kind: "unreadable", versionstamp, expiresAt: null, error };
      }
    }
    const { entry } = found;
    const header = parseHeader(entry.value);
    if (header === null) {
      const { versionstamp, expiresAt } = entry;
      return { kind: "unreadable", versionstamp, expiresAt, error: notAHeader(key) };
    }
    return { kind: "header", versionstamp: entry.versionstamp, entry: { ...entry, value: header } };
  }

  /** Reads a live state; re-reads when a concurrent write replaced chunks under the header read. */
  async #read(workflowId: string): Promise<WorkflowStateRecord | null> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const found = await this.#findHeader(workflowId);
      const now = this.#store.clock.now();
      if (found.kind === "absent") return null;
      if (found.kind === "unreadable") {
        // An expired envelope is gone whatever it holds, as for any other entry.
        if (found.expiresAt !== null && now >= found.expiresAt) return null;
        throw found.error;
      }
      const { entry } = found;
      if (now >= entry.expiresAt) return null;
      const bytes = await this.#readBytes(workflowId, entry.value);
      if (bytes === null) continue;
      return {
        workflow_id: workflowId,
        dag: decodeDag(bytes),
        intent: entry.value.intent,
        created_at: new Date(entry.value.createdAt),
        expires_at: new Date(entry.expiresAt),
        version: entry.versionstamp,
      };
    }
    throw missingChunksError(workflowId, this.maxAttempts);
  }

  /** The DAG bytes of `header`'s write, or `null` when a chunk is missing or from another write. */
  async #readBytes(workflowId: string, header: WorkflowHeader): Promise<Uint8Array | null> {
    if (header.data !== null) return header.data;
    const entries = await Promise.all(
      Array.from(
        { length: header.chunkCount },
        (_, index) =>
          this.#store.get<unknown>(workflowChunkKey(workflowId, index), { includeExpired: true }),
      ),
    );
    const chunks: WorkflowChunk[] = [];
    for (const [index, entry] of entries.entries()) {
      if (entry === null || !isChunkOf(entry.value, header.writeId, index)) return null;
      chunks.push(entry.value);
    }
    return joinChunks(chunks, header.byteLength);
  }

  /** Validates a DAG given to `update` and returns its bytes, refusing an oversized one up front. */
  #checkedBytes(action: string, workflowId: string, dag: WorkflowDag): Uint8Array {
    assertWorkflowDag(dag, action);
    const bytes = encodeDag(dag);
    // The kept intent is bounded, so the final check in #stage can only differ by the intent's size.
    const { requiredBytes } = layOutState(workflowId, { bytes, intent: null, createdAt: 0 }, 0);
    assertFits(action, workflowId, requiredBytes, bytes.length);
    return bytes;
  }
}

/** The live, readable header an update needs; throws when there is none. */
function liveHeader(
  action: string,
  workflowId: string,
  found: FoundHeader,
  now: number,
): HeaderEntry {
  if (found.kind === "unreadable") throw found.error;
  if (found.kind === "absent" || now >= found.entry.expiresAt) {
    throw new WorkflowStateNotFoundError(action, workflowId);
  }
  return found.entry;
}

/** The chunk keys of a swept header entry, or `null` when it is not a workflow state header. */
function chunkKeysOf(entry: TtlEntry<unknown>): KvKey[] | null {
  const header = parseHeader(entry.value);
  const id = entry.key[1];
  if (header === null || entry.key.length !== 2 || typeof id !== "string") return null;
  try {
    return Array.from({ length: header.chunkCount }, (_, index) => workflowChunkKey(id, index));
  } catch {
    return null; // An id no writer of this cache could have stored.
  }
}

function missingChunksError(workflowId: string, attempts: number): CacheEntryCorruptError {
  return new CacheEntryCorruptError(
    "read workflow state",
    workflowKey(workflowId),
    `has chunks missing or from another write on each of ${attempts} attempt(s)`,
  );
}

/** The cache over the shared KV and the shared clock, as the module-level functions use it. */
async function sharedCache(): Promise<WorkflowStateCache> {
  return new WorkflowStateCache({ kv: await getKv(), clock: getClock() });
}

/**
 * Stores `dag` for `workflowId` in the shared KV for one hour; see {@linkcode WorkflowStateCache.save}.
 *
 * @example Saving and reading back
 * ```ts
 * import { getWorkflowState, installKv, saveWorkflowState } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * const dag = { tasks: [{ id: "a", tool: "t", arguments: {}, dependsOn: [] }] };
 * await saveWorkflowState("wf-1", dag, "demo");
 * assert.deepEqual(await getWorkflowState("wf-1"), dag);
 * kv.close();
 * ```
 */
export async function saveWorkflowState(
  workflowId: string,
  dag: WorkflowDag,
  intent?: string | null,
): Promise<void> {
  await (await sharedCache()).save(workflowId, dag, intent);
}

/**
 * The DAG of `workflowId` from the shared KV, or `null` when none is live.
 *
 * @example A miss is `null`
 * ```ts
 * import { getWorkflowState, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * assert.equal(await getWorkflowState("nobody"), null);
 * kv.close();
 * ```
 */
export async function getWorkflowState(workflowId: string): Promise<WorkflowDag | null> {
  return await (await sharedCache()).get(workflowId);
}

/**
 * The state of `workflowId` with `created_at` and `expires_at`, or `null` when none is live.
 *
 * @example Reading the expiry
 * ```ts
 * import { FakeClock, getWorkflowStateRecord, installClock, installKv, saveWorkflowState } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * using _clock = installClock(new FakeClock(1_000));
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const record = await getWorkflowStateRecord("wf-1");
 * assert.equal(record?.expires_at.getTime(), 1_000 + 3_600_000);
 * kv.close();
 * ```
 */
export async function getWorkflowStateRecord(
  workflowId: string,
): Promise<WorkflowStateRecord | null> {
  return await (await sharedCache()).getRecord(workflowId);
}

/**
 * Changes the DAG of a live state in the shared KV and restarts its TTL; see
 * {@linkcode WorkflowStateCache.update}. A DAG replaces the stored one; use an updater function or
 * `expectedVersion` for read-modify-write.
 *
 * @throws {WorkflowStateNotFoundError} When no live state has this id.
 * @throws {WorkflowStateConflictError} When the state's version is not `options.expectedVersion`.
 *
 * @example Updating a missing workflow fails
 * ```ts
 * import { installKv, updateWorkflowState, WorkflowStateNotFoundError } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await assert.rejects(updateWorkflowState("ghost", { tasks: [] }), WorkflowStateNotFoundError);
 * kv.close();
 * ```
 *
 * @example Appending a task with an updater function, so concurrent appends are all kept
 * ```ts
 * import { getWorkflowState, installKv, saveWorkflowState, updateWorkflowState } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const append = (id: string) =>
 *   updateWorkflowState("wf-1", (dag) => ({
 *     ...dag,
 *     tasks: [...dag.tasks, { id, tool: "t", arguments: {}, dependsOn: [] }],
 *   }));
 * await Promise.all([append("a"), append("b")]);
 * const ids = (await getWorkflowState("wf-1"))?.tasks.map((task) => task.id).sort();
 * assert.deepEqual(ids, ["a", "b"]);
 * kv.close();
 * ```
 *
 * @example Refusing to overwrite a version other than the one read
 * ```ts
 * import {
 *   getWorkflowStateRecord,
 *   installKv,
 *   saveWorkflowState,
 *   updateWorkflowState,
 *   WorkflowStateConflictError,
 * } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const read = await getWorkflowStateRecord("wf-1");
 * await updateWorkflowState("wf-1", { tasks: [], step: 1 }); // another writer
 * await assert.rejects(
 *   updateWorkflowState("wf-1", { tasks: [], step: 2 }, { expectedVersion: read?.version }),
 *   WorkflowStateConflictError,
 * );
 * kv.close();
 * ```
 */
export async function updateWorkflowState(
  workflowId: string,
  next: WorkflowDag | WorkflowDagUpdater,
  options?: UpdateWorkflowStateOptions,
): Promise<void> {
  await (await sharedCache()).update(workflowId, next, options);
}

/**
 * Restarts the TTL of a live state; `false` when none is live.
 *
 * @example Refreshing a missing workflow
 * ```ts
 * import { installKv, refreshWorkflowState } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * assert.equal(await refreshWorkflowState("ghost"), false);
 * kv.close();
 * ```
 */
export async function refreshWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).refresh(workflowId);
}

/**
 * Deletes the state of `workflowId`; `true` when a live state was deleted.
 *
 * @example Deleting
 * ```ts
 * import { deleteWorkflowState, getWorkflowState, installKv, saveWorkflowState } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowState("wf-1", { tasks: [] });
 * assert.equal(await deleteWorkflowState("wf-1"), true);
 * assert.equal(await getWorkflowState("wf-1"), null);
 * kv.close();
 * ```
 */
export async function deleteWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).delete(workflowId);
}

/**
 * Deletes every expired workflow state from the shared KV and returns how many.
 *
 * @example Sweeping after expiry
 * ```ts
 * import { FakeClock, installClock, installKv, saveWorkflowState, sweepExpiredWorkflowStates } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * const clock = new FakeClock(0);
 * using _clock = installClock(clock);
 * await saveWorkflowState("wf-1", { tasks: [] });
 * clock.advance(3_600_000);
 * assert.equal(await sweepExpiredWorkflowStates(), 1);
 * kv.close();
 * ```
 */
export async function sweepExpiredWorkflowStates(): Promise<number> {
  return await (await sharedCache()).sweepExpired();
}

/** Throws when a write of `requiredBytes` would exceed one atomic KV operation. */
function assertFits(action: string, workflowId: string, requiredBytes: number, dagBytes: number) {
  if (requiredBytes > MAX_ATOMIC_BYTES) {
    throw new WorkflowStateTooLargeError(action, workflowId, {
      requiredBytes,
      limitBytes: MAX_ATOMIC_BYTES,
      dagBytes,
    });
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
