/**
 * How one workflow state lies in KV; private to the cache, which turns what these functions find
 * (an unreadable header, a foreign chunk, an oversized state) into errors. The header
 * `["workflow", id]` holds the metadata, the exact expiry `expiresAt` and the DAG when it fits one
 * value (64 KiB). A larger DAG keeps its fields beside `tasks` in the header and its tasks in up to
 * {@linkcode MAX_CHUNKS} chunks `["workflow_chunk", id, i]` of whole tasks (or pieces of the JSON
 * text of one task larger than a chunk) carrying the header's `writeId`. Header plus chunks are at
 * most 10 keys: one `getMany`, one consistent snapshot.
 *
 * @module
 */

import { serialize } from "node:v8";
import type { KvEntryMaybe, KvKey } from "./kv_client.ts";
import type { WorkflowDag, WorkflowTask } from "./workflow_dag.ts";

export const WORKFLOW_NAMESPACE = "workflow";
export const WORKFLOW_CHUNK_NAMESPACE = "workflow_chunk";
/** KV keys are limited to 2 KiB. */
const MAX_WORKFLOW_ID_BYTES = 256;
export const MAX_CHUNKS = 9;
/** KV's limit on one value, in bytes of its V8 serialization. */
export const MAX_VALUE_BYTES = 65_536;
/** Room for the header's own fields beside the DAG, measured at about 150 bytes. */
const HEADER_FIELDS_BYTES = 512;
const CHUNK_FIELDS_BYTES = 256;
/** UTF-16 units of task JSON per text chunk: at 2 bytes each, one value with room to spare. */
const TEXT_PIECE_UNITS = 32_000;
/** The header format this code writes and reads. */
export const FORMAT = 2;

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

type WorkflowChunk =
  | { writeId: string; tasks: WorkflowTask[] }
  | { writeId: string; text: string; last: boolean };

/**
 * The header of one id as a read finds it, the one union every operation decides on. An unreadable
 * one keeps its versionstamp, so a write can replace or delete it under the usual check, and its
 * `expiresAt` if numeric (older formats of this cache), else `null`: it never expires.
 */
export type FoundHeader =
  | { readonly kind: "absent"; readonly versionstamp: null }
  | { readonly kind: "header"; readonly versionstamp: string; readonly header: WorkflowHeader }
  | {
    readonly kind: "unreadable";
    readonly versionstamp: string;
    readonly expiresAt: number | null;
  };

/** One write; more than {@linkcode MAX_CHUNKS} chunks or a header that does not `fit` is refused. */
export interface WorkflowLayout {
  header: WorkflowHeader;
  chunks: WorkflowChunk[];
  fits: boolean;
  /** About how many bytes a chunked state needs. */
  requiredBytes: number;
}

const utf8 = new TextEncoder();

/** Checks that `id` is a non-empty, well-formed string of at most 256 UTF-8 bytes, else throws. */
export function assertWorkflowId(action: string, id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new TypeError(
      `Cannot ${action}: expected the workflow id to be a string, found ${typeof id}`,
    );
  }
  // At most 3 UTF-8 bytes per UTF-16 unit: a short id needs no encoding.
  const bytes = 3 * id.length <= MAX_WORKFLOW_ID_BYTES ? 0 : utf8.encode(id).length;
  const expected = id.length === 0
    ? `a non-empty workflow id, found ""`
    : !id.isWellFormed()
    ? "the workflow id to be well-formed Unicode, found a lone surrogate"
    : bytes > MAX_WORKFLOW_ID_BYTES
    ? `a workflow id of at most ${MAX_WORKFLOW_ID_BYTES} bytes in UTF-8, found ${bytes} bytes`
    : null;
  if (expected !== null) throw new RangeError(`Cannot ${action}: expected ${expected}`);
}

export function workflowKey(id: string): KvKey {
  return [WORKFLOW_NAMESPACE, id];
}

/** The key of chunk slot `index` of `id`. */
export function chunkKey(id: string, index: number): KvKey {
  return [WORKFLOW_CHUNK_NAMESPACE, id, index];
}

/** The keys of every chunk slot of `id`, read together with the header. */
export function chunkKeys(id: string): KvKey[] {
  return Array.from({ length: MAX_CHUNKS }, (_, index) => chunkKey(id, index));
}

/** Classifies a raw header entry. */
export function findHeader({ versionstamp, value }: KvEntryMaybe<unknown>): FoundHeader {
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
  return { kind: "unreadable", versionstamp, expiresAt };
}

/**
 * Lays out one write of `dag`, inline without measuring it when `sizeBound` (an upper bound of its
 * serialized size) leaves room.
 */
export function layOut(
  dag: WorkflowDag,
  fields: Pick<WorkflowHeader, "expiresAt" | "createdAt" | "intent">,
  sizeBound: number,
): WorkflowLayout {
  const writeId = crypto.randomUUID();
  const headerBytes = HEADER_FIELDS_BYTES + 2 * (fields.intent?.length ?? 0);
  const header: WorkflowHeader = { format: FORMAT, writeId, ...fields, chunkCount: 0, dag };
  const fits = (bytes: number) => headerBytes + bytes <= MAX_VALUE_BYTES;
  if (fits(sizeBound) || fits(serialize(dag).length)) {
    return { header, chunks: [], fits: true, requiredBytes: 0 };
  }
  const { tasks, ...rest } = dag;
  header.dag = { ...rest, tasks: [] };
  const chunks: WorkflowChunk[] = [];
  const restBytes = serialize(header.dag).length;
  let requiredBytes = headerBytes + restBytes;
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
  header.chunkCount = chunks.length;
  return { header, chunks, fits: fits(restBytes), requiredBytes };
}

/**
 * The DAG of `header` joined from its chunk entries, read in the same snapshot; or the index of the
 * first chunk missing or from another write (within one snapshot, damage rather than a race).
 */
export function joinChunks(
  header: WorkflowHeader,
  entries: readonly KvEntryMaybe<unknown>[],
): WorkflowDag | number {
  if (header.chunkCount === 0) return header.dag; // Rewritten inline since the first read.
  const tasks: WorkflowTask[] = [];
  let text = "";
  for (let index = 0; index < header.chunkCount; index++) {
    const chunk = (entries[index]?.value ?? {}) as Partial<
      { writeId: unknown; tasks: unknown; text: unknown; last: unknown }
    >;
    if (chunk.writeId !== header.writeId) return index;
    if (Array.isArray(chunk.tasks)) {
      tasks.push(...chunk.tasks as WorkflowTask[]);
    } else if (typeof chunk.text === "string") {
      text += chunk.text;
      if (chunk.last === true) {
        tasks.push(JSON.parse(text) as WorkflowTask);
        text = "";
      }
    } else {
      return index;
    }
  }
  return { ...header.dag, tasks };
}
