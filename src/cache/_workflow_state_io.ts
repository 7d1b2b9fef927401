/**
 * How the workflow state cache reads and writes one state in a {@linkcode TtlStore}, as plain functions
 * of the store. Private to the cache.
 *
 * A read finds the header `["workflow", id]` and the chunks of the same write, re-reading when a
 * concurrent write replaced the chunks in between. A write runs read-decide-commit attempts: each
 * reads the header, lets a {@linkcode Decide} function choose what to do (write, delete, nothing, or
 * read again), and commits atomically with a versionstamp check on the header, so it never lands on a
 * state it did not read. The decisions of an update and a refresh are built here too.
 *
 * @module
 */

import {
  CacheEntryCorruptError,
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
  WorkflowStateTooLargeError,
} from "./cache_error.ts";
import type { KvKey } from "./kv_client.ts";
import { workflowChunkKey, workflowKey } from "./keys.ts";
import type { TtlAtomic, TtlEntry, TtlStore } from "./ttl_store.ts";
import { assertWorkflowDag, type WorkflowDag } from "./workflow_dag.ts";
import {
  decodeDag,
  encodeDag,
  isChunkOf,
  joinChunks,
  layOutState,
  MAX_ATOMIC_BYTES,
  notAHeader,
  parseHeader,
  type WorkflowChunk,
  type WorkflowHeader,
  type WorkflowStateContent,
} from "./_workflow_state_codec.ts";

/** A readable header entry. */
export type HeaderEntry = TtlEntry<WorkflowHeader>;

/**
 * The header `["workflow", id]` as a write finds it. An unreadable one (historical format, corrupt) keeps
 * its versionstamp, so it can be replaced or deleted under the usual check, and its expiry when the TTL
 * envelope around it is intact.
 */
export type FoundHeader =
  | { kind: "absent"; versionstamp: null }
  | { kind: "header"; versionstamp: string; entry: HeaderEntry }
  | {
    kind: "unreadable";
    versionstamp: string;
    expiresAt: number | null;
    error: CacheEntryCorruptError;
  };

/** What one write attempt decided to do, given the current header. */
export type WritePlan =
  | { kind: "write"; content: WorkflowStateContent }
  | { kind: "delete" }
  | { kind: "nothing" }
  | { kind: "retry" };

/** Decides one write attempt from the header found, the time of the write and the attempt number. */
export type Decide = (
  found: FoundHeader,
  now: number,
  attempt: number,
) => WritePlan | Promise<WritePlan>;

/**
 * One write for {@linkcode writeState}: the action named in errors, the (validated) workflow id, the
 * lifetime of the written entries, the tries before giving up on a conflict, and the decision of each.
 */
export interface WriteRequest {
  action: string;
  workflowId: string;
  ttlMs: number;
  maxAttempts: number;
  decide: Decide;
}

/**
 * One update for {@linkcode planUpdate}: `change` is the new DAG's bytes (already checked) or a
 * function computing the new DAG from the current one; `expectedVersion` the only version it may
 * apply to, if any.
 */
export interface UpdateRequest {
  action: string;
  workflowId: string;
  change: Uint8Array | ((current: WorkflowDag) => WorkflowDag | Promise<WorkflowDag>);
  expectedVersion: string | undefined;
}

/** A live state as read: its header entry and the DAG bytes of the same write. */
export interface LiveState {
  entry: HeaderEntry;
  bytes: Uint8Array;
}

/**
 * Runs the read-decide-commit attempts of `request` and returns whether something was committed.
 *
 * @throws {WorkflowStateConflictError} When concurrent writers won every attempt.
 * @throws {CacheEntryCorruptError} When every attempt found chunks missing without a failed commit.
 */
export async function writeState(store: TtlStore, request: WriteRequest): Promise<boolean> {
  const { action, workflowId, maxAttempts, decide } = request;
  let checkFailed = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const found = await findHeader(store, workflowId);
    const atomic = store.atomic();
    const plan = await decide(found, atomic.now, attempt);
    if (plan.kind === "nothing") return false;
    if (plan.kind === "retry") continue;
    atomic.check({ key: workflowKey(workflowId), versionstamp: found.versionstamp });
    const previousChunks = found.kind === "header" ? found.entry.value.chunkCount : 0;
    stage(atomic, request, plan, previousChunks);
    if ((await atomic.commit()).ok) return true;
    checkFailed = true;
  }
  // Without a failed commit, every attempt found chunks missing: nothing concurrent explains that.
  if (!checkFailed) throw missingChunksError(workflowId, maxAttempts);
  throw new WorkflowStateConflictError(action, workflowId, maxAttempts);
}

/** Adds the mutations of `plan` to `atomic`, replacing a write of `previousChunks` chunks. */
function stage(
  atomic: TtlAtomic,
  request: WriteRequest,
  plan: WritePlan & { kind: "write" | "delete" },
  previousChunks: number,
): void {
  const { action, workflowId, ttlMs } = request;
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
  atomic.set(key, layout.header, { ttlMs });
  for (const chunk of layout.chunks) {
    atomic.set(workflowChunkKey(workflowId, chunk.index), chunk, { ttlMs });
  }
  for (const stale of layout.staleChunkKeys) atomic.delete(stale);
}

/** The header of `workflowId`, expired or not, readable or not. */
async function findHeader(store: TtlStore, workflowId: string): Promise<FoundHeader> {
  const key = workflowKey(workflowId);
  const found = await store.lookup<unknown>(key);
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

/**
 * Reads the live state of `workflowId`, or `null` when none is live; re-reads, up to `maxAttempts`
 * times, when a concurrent write replaced chunks under the header read.
 *
 * @throws {CacheEntryCorruptError} When the stored state cannot be read.
 */
export async function readLiveState(
  store: TtlStore,
  workflowId: string,
  maxAttempts: number,
): Promise<LiveState | null> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const found = await findHeader(store, workflowId);
    const now = store.clock.now();
    if (found.kind === "absent") return null;
    if (found.kind === "unreadable") {
      // An expired envelope is gone whatever it holds, as for any other entry.
      if (found.expiresAt !== null && now >= found.expiresAt) return null;
      throw found.error;
    }
    const { entry } = found;
    if (now >= entry.expiresAt) return null;
    const bytes = await readBytes(store, workflowId, entry.value);
    if (bytes === null) continue;
    return { entry, bytes };
  }
  throw missingChunksError(workflowId, maxAttempts);
}

/** The DAG bytes of `header`'s write, or `null` when a chunk is missing or from another write. */
async function readBytes(
  store: TtlStore,
  workflowId: string,
  header: WorkflowHeader,
): Promise<Uint8Array | null> {
  if (header.data !== null) return header.data;
  const entries = await Promise.all(
    Array.from(
      { length: header.chunkCount },
      (_, index) =>
        store.get<unknown>(workflowChunkKey(workflowId, index), { includeExpired: true }),
    ),
  );
  const chunks: WorkflowChunk[] = [];
  for (const [index, entry] of entries.entries()) {
    if (entry === null || !isChunkOf(entry.value, header.writeId, index)) return null;
    chunks.push(entry.value);
  }
  return joinChunks(chunks, header.byteLength);
}

/**
 * Decides each attempt of an update: the live state's intent and `created_at` are kept, and the DAG
 * becomes `change`, or what `change` computes from the DAG as it is at that attempt.
 *
 * @throws {WorkflowStateNotFoundError} When no live state has this id.
 * @throws {WorkflowStateConflictError} When the state's version is not `expectedVersion`.
 * @throws {CacheEntryCorruptError} When the stored state cannot be read.
 */
export function planUpdate(store: TtlStore, request: UpdateRequest): Decide {
  const { action, workflowId, change, expectedVersion } = request;
  return async (found, now, attempt) => {
    if (found.kind === "unreadable") throw found.error;
    if (found.kind === "absent" || now >= found.entry.expiresAt) {
      throw new WorkflowStateNotFoundError(action, workflowId);
    }
    const current = found.entry;
    if (expectedVersion !== undefined && current.versionstamp !== expectedVersion) {
      throw new WorkflowStateConflictError(action, workflowId, attempt, {
        expected: expectedVersion,
        found: current.versionstamp,
      });
    }
    const { intent, createdAt } = current.value;
    if (typeof change !== "function") {
      return { kind: "write", content: { bytes: change, intent, createdAt } };
    }
    const currentBytes = await readBytes(store, workflowId, current.value);
    if (currentBytes === null) return { kind: "retry" };
    const dag = await change(decodeDag(currentBytes));
    assertWorkflowDag(dag, action);
    return { kind: "write", content: { bytes: encodeDag(dag), intent, createdAt } };
  };
}

/**
 * Decides each attempt of a refresh: a live state is written again as it is, which restarts its TTL;
 * nothing is written when none is live.
 *
 * @throws {CacheEntryCorruptError} When the stored state cannot be read.
 */
export function planRefresh(store: TtlStore, workflowId: string): Decide {
  return async (found, now) => {
    if (found.kind === "unreadable") throw found.error;
    if (found.kind === "absent" || now >= found.entry.expiresAt) return { kind: "nothing" };
    const bytes = await readBytes(store, workflowId, found.entry.value);
    if (bytes === null) return { kind: "retry" };
    const { intent, createdAt } = found.entry.value;
    return { kind: "write", content: { bytes, intent, createdAt } };
  };
}

/**
 * Encodes `dag` and refuses, before anything is read or written, a state with `intent` that would
 * exceed one atomic KV write.
 *
 * @throws {WorkflowStateTooLargeError} When it would.
 */
export function encodeFitting(
  action: string,
  workflowId: string,
  dag: WorkflowDag,
  intent: string | null,
): Uint8Array {
  const bytes = encodeDag(dag);
  const { requiredBytes } = layOutState(workflowId, { bytes, intent, createdAt: 0 }, 0);
  assertFits(action, workflowId, requiredBytes, bytes.length);
  return bytes;
}

/** The chunk keys of a swept header entry, or `null` when it is not a workflow state header. */
export function chunkKeysOf(entry: TtlEntry<unknown>): KvKey[] | null {
  const header = parseHeader(entry.value);
  const id = entry.key[1];
  if (header === null || entry.key.length !== 2 || typeof id !== "string") return null;
  try {
    return Array.from({ length: header.chunkCount }, (_, index) => workflowChunkKey(id, index));
  } catch {
    return null; // An id no writer of this cache could have stored.
  }
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

function missingChunksError(workflowId: string, attempts: number): CacheEntryCorruptError {
  return new CacheEntryCorruptError(
    "read workflow state",
    workflowKey(workflowId),
    `has chunks missing or from another write on each of ${attempts} attempt(s)`,
  );
}
