/**
 * How one workflow state lies in KV: its keys, its header format (parsed here only), and how a DAG
 * too large for one KV value is split into chunks and joined again. Private to the cache.
 *
 * The header `["workflow", id]` holds the metadata, the exact expiry `expiresAt` and the DAG itself
 * when it fits one value (64 KiB). A larger DAG keeps its fields beside `tasks` in the header and its
 * tasks in up to {@linkcode MAX_CHUNKS} chunks `["workflow_chunk", id, i]`, each holding whole tasks
 * (or, for one task larger than a chunk, a piece of its JSON text); chunks carry the header's
 * `writeId`. Header plus chunks are at most 10 keys: one `getMany`, one consistent snapshot.
 *
 * @module
 */

import { serialize } from "node:v8";
import { CacheError } from "./cache_error.ts";
import type { KvEntryMaybe, KvKey } from "./kv_client.ts";
import type { WorkflowDag, WorkflowTask } from "./workflow_dag.ts";

export const WORKFLOW_NAMESPACE = "workflow";
export const WORKFLOW_CHUNK_NAMESPACE = "workflow_chunk";
/** The longest accepted workflow id, in UTF-8 bytes (KV keys are limited to 2 KiB). */
const MAX_WORKFLOW_ID_BYTES = 256;
/** The most chunks of one state: with its header, the 10 keys one `getMany` may read. */
export const MAX_CHUNKS = 9;
/** KV's limit on one value, in bytes of its V8 serialization. */
const MAX_VALUE_BYTES = 65_536;
/** Room for the header's own fields (names, `writeId`, numbers, tags), measured at about 150 bytes. */
const HEADER_FIELDS_BYTES = 512;
/** Room for a chunk's own fields beside its tasks. */
const CHUNK_FIELDS_BYTES = 256;
/** UTF-16 units of task JSON per text chunk: at 2 bytes each, one value with room to spare. */
const TEXT_PIECE_UNITS = 32_000;
/** The header format this code writes and reads. */
const FORMAT = 2;

/** The value at `["workflow", id]`. */
export interface WorkflowHeader {
  format: typeof FORMAT;
  writeId: string;
  /** When the state expires by the cache's clock; KV's `expireIn` is only a clean-up hint. */
  expiresAt: number;
  createdAt: number;
  intent: string | null;
  chunkCount: number;
  /** The whole DAG, or when chunked its fields beside `tasks` (with `tasks: []`). */
  dag: WorkflowDag;
}

/** The value at `["workflow_chunk", id, index]`: whole tasks, or a piece of one task's JSON text. */
type WorkflowChunk =
  | { writeId: string; tasks: WorkflowTask[] }
  | { writeId: string; text: string; last: boolean };

/** The header of one id as a read finds it: the one union every operation decides on. */
export type FoundHeader =
  | { readonly kind: "absent"; readonly versionstamp: null }
  | { readonly kind: "header"; readonly versionstamp: string; readonly header: WorkflowHeader }
  | {
    readonly kind: "unreadable";
    readonly versionstamp: string;
    /** The expiry of an entry in an older format of this cache, else `null` (never expires). */
    readonly expiresAt: number | null;
    readonly error: CacheError;
  };

/** What one write puts into KV. */
export interface WorkflowLayout {
  header: WorkflowHeader;
  chunks: WorkflowChunk[];
}

const utf8 = new TextEncoder();

/** Checks that `id` is a non-empty, well-formed string of at most 256 UTF-8 bytes, else throws. */
export function assertWorkflowId(action: string, id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new TypeError(
      `Cannot ${action}: expected the workflow id to be a string, found ${typeof id}`,
    );
  }
  if (id.length === 0) {
    throw new RangeError(`Cannot ${action}: expected a non-empty workflow id, found ""`);
  }
  if (!id.isWellFormed()) {
    throw new RangeError(
      `Cannot ${action}: expected the workflow id to be well-formed Unicode, found a lone surrogate`,
    );
  }
  const bytes = utf8.encode(id).length;
  if (bytes > MAX_WORKFLOW_ID_BYTES) {
    throw new RangeError(
      `Cannot ${action}: expected a workflow id of at most ${MAX_WORKFLOW_ID_BYTES} bytes in UTF-8, found ${bytes} bytes`,
    );
  }
}

export function workflowKey(id: string): KvKey {
  return [WORKFLOW_NAMESPACE, id];
}

/** The keys of every chunk slot of `id`, written or deleted together by each write. */
export function chunkKeys(id: string): KvKey[] {
  return Array.from({ length: MAX_CHUNKS }, (_, index) => [WORKFLOW_CHUNK_NAMESPACE, id, index]);
}

/**
 * Classifies a raw header entry. An unreadable entry keeps its versionstamp, so a write can still
 * replace or delete it under the usual check, and its expiry when it has a numeric `expiresAt`
 * (every format this cache ever wrote had one; the historical `{ dag, intent }` did not).
 */
export function findHeader({ versionstamp, value, key }: KvEntryMaybe<unknown>): FoundHeader {
  if (versionstamp === null) return { kind: "absent", versionstamp };
  const header = (typeof value === "object" && value !== null ? value : {}) as Partial<
    WorkflowHeader
  >;
  const { chunkCount, dag } = header;
  if (
    header.format === FORMAT && typeof header.writeId === "string" &&
    Number.isFinite(header.expiresAt) && Number.isFinite(header.createdAt) &&
    (header.intent === null || typeof header.intent === "string") &&
    Number.isInteger(chunkCount) && chunkCount! >= 0 && chunkCount! <= MAX_CHUNKS &&
    typeof dag === "object" && dag !== null && Array.isArray(dag.tasks)
  ) {
    return { kind: "header", versionstamp, header: header as WorkflowHeader };
  }
  const expiresAt = Number.isFinite(header.expiresAt) ? header.expiresAt! : null;
  const error = corrupt(key, `does not hold a workflow state header of format ${FORMAT}`);
  return { kind: "unreadable", versionstamp, expiresAt, error };
}

/**
 * Lays out one write of `dag`. `sizeBound` is an upper bound of the DAG's serialized size (from
 * validation); when it leaves room the DAG goes inline without being measured again.
 *
 * @throws {CacheError} `WORKFLOW_STATE_TOO_LARGE` when the state needs more than a header and
 * {@linkcode MAX_CHUNKS} chunks; nothing is written.
 */
export function layOut(
  action: string,
  id: string,
  dag: WorkflowDag,
  fields: Pick<WorkflowHeader, "expiresAt" | "createdAt" | "intent">,
  sizeBound: number,
): WorkflowLayout {
  const writeId = crypto.randomUUID();
  const headerBytes = HEADER_FIELDS_BYTES + 2 * (fields.intent?.length ?? 0);
  const header: WorkflowHeader = { format: FORMAT, writeId, ...fields, chunkCount: 0, dag };
  const fits = (bytes: number) => headerBytes + bytes <= MAX_VALUE_BYTES;
  if (fits(sizeBound) || fits(serialize(dag).length)) return { header, chunks: [] };
  const { tasks, ...rest } = dag;
  header.dag = { ...rest, tasks: [] };
  const chunks: WorkflowChunk[] = [];
  let requiredBytes = headerBytes + serialize(header.dag).length;
  let open: { writeId: string; tasks: WorkflowTask[] } | null = null;
  let openBytes = 0;
  for (const task of tasks) {
    const taskBytes = serialize(task).length;
    requiredBytes += taskBytes;
    if (CHUNK_FIELDS_BYTES + taskBytes > MAX_VALUE_BYTES) {
      open = null;
      const text = JSON.stringify(task);
      for (let offset = 0; offset < text.length; offset += TEXT_PIECE_UNITS) {
        const piece = text.slice(offset, offset + TEXT_PIECE_UNITS);
        chunks.push({ writeId, text: piece, last: offset + TEXT_PIECE_UNITS >= text.length });
      }
    } else {
      if (open === null || openBytes + taskBytes > MAX_VALUE_BYTES) {
        chunks.push(open = { writeId, tasks: [] });
        openBytes = CHUNK_FIELDS_BYTES;
      }
      open.tasks.push(task);
      openBytes += taskBytes;
    }
  }
  const limitBytes = (MAX_CHUNKS + 1) * MAX_VALUE_BYTES;
  if (!fits(serialize(header.dag).length) || chunks.length > MAX_CHUNKS) {
    throw new CacheError(
      "WORKFLOW_STATE_TOO_LARGE",
      `Cannot ${action} ${
        JSON.stringify(id)
      }: the state needs about ${requiredBytes} bytes in ${chunks.length} chunks, expected at most a header and ${MAX_CHUNKS} chunks of ${MAX_VALUE_BYTES} bytes (${limitBytes} bytes, what one consistent read returns); nothing was written; keep large data out of the DAG`,
      { workflowId: id, size: { requiredBytes, limitBytes } },
    );
  }
  header.chunkCount = chunks.length;
  return { header, chunks };
}

/**
 * The DAG of `header`, joined from its chunk entries, read in the same snapshot as the header.
 *
 * @throws {CacheError} `CACHE_ENTRY_CORRUPT` when a chunk is missing or from another write: within
 * one snapshot that is damage, not a race.
 */
export function joinChunks(
  id: string,
  header: WorkflowHeader,
  entries: readonly KvEntryMaybe<unknown>[],
): WorkflowDag {
  if (header.chunkCount === 0) return header.dag;
  const tasks: WorkflowTask[] = [];
  let text = "";
  for (let index = 0; index < header.chunkCount; index++) {
    const chunk = (entries[index]?.value ?? {}) as Partial<
      { writeId: unknown; tasks: unknown; text: unknown; last: unknown }
    >;
    const ofThisWrite = chunk.writeId === header.writeId;
    if (ofThisWrite && Array.isArray(chunk.tasks)) {
      tasks.push(...chunk.tasks as WorkflowTask[]);
    } else if (ofThisWrite && typeof chunk.text === "string") {
      text += chunk.text;
      if (chunk.last === true) {
        tasks.push(JSON.parse(text) as WorkflowTask);
        text = "";
      }
    } else {
      throw corrupt(
        workflowKey(id),
        `has chunk ${index} of ${header.chunkCount} missing or from another write`,
      );
    }
  }
  return { ...header.dag, tasks };
}

function corrupt(key: KvKey, reason: string): CacheError {
  return new CacheError(
    "CACHE_ENTRY_CORRUPT",
    `Cannot read workflow state: ${
      JSON.stringify(key)
    } ${reason}; save or delete the workflow to replace it`,
    { key },
  );
}
