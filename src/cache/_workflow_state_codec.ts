/**
 * How a workflow state is laid out in KV, and what that costs against KV's limits. Private to the cache.
 *
 * The DAG is stored as UTF-8 JSON bytes. When they fit beside the metadata in one value (64 KiB), they
 * sit inline in the header `["workflow", id]`; otherwise they are split into chunks
 * `["workflow_chunk", id, i]`. Header and chunks carry the same `writeId`, so a reader can tell that
 * they come from one write. Bytes (not strings) are stored so that sizes are exact: KV stores a
 * `Uint8Array` as its bytes, while a string's V8 encoding may take one or two bytes per character.
 *
 * @module
 */

import { CacheEntryCorruptError } from "./cache_error.ts";
import { encodedKeySize, workflowChunkKey, workflowKey } from "./keys.ts";
import type { KvKey } from "./kv_client.ts";
import type { WorkflowDag } from "./workflow_dag.ts";

/** KV's limit on one value, in bytes. */
export const MAX_VALUE_BYTES = 65_536;
/** KV's limit on the keys and values of one atomic write, in bytes (800 KiB). */
export const MAX_ATOMIC_BYTES = 819_200;
/** The largest chunk of DAG bytes. */
export const CHUNK_BYTES = 63 * 1024;
/**
 * An upper bound on what the V8 encoding of an envelope adds to its payload (field names, the write id,
 * numbers, tags). Measured at about 120 bytes; the rest is margin.
 */
export const ENVELOPE_OVERHEAD_BYTES = 512;
/** The longest intent, in UTF-16 code units (a V8 string takes at most 2 bytes per unit). */
export const MAX_INTENT_LENGTH = 16_384;

/** The most chunks one write can have: more bytes than that never fit one atomic write. */
const MAX_CHUNK_COUNT = Math.ceil(MAX_ATOMIC_BYTES / CHUNK_BYTES);

/** The format version of headers written by this code. */
const FORMAT = 1;

/** The header entry `["workflow", id]`. */
export interface WorkflowHeader {
  format: typeof FORMAT;
  writeId: string;
  createdAt: number;
  intent: string | null;
  byteLength: number;
  chunkCount: number;
  /** The DAG bytes when stored inline (`chunkCount === 0`), else `null`. */
  data: Uint8Array | null;
}

/** One chunk entry `["workflow_chunk", id, index]`. */
export interface WorkflowChunk {
  writeId: string;
  index: number;
  data: Uint8Array;
}

/** What one write puts into KV, with its size as KV counts it. */
export interface WorkflowStateLayout {
  header: WorkflowHeader;
  chunks: WorkflowChunk[];
  /** Upper bound of the atomic write's size, stale-chunk deletions included. */
  requiredBytes: number;
  /** Keys of chunks left over by a previous, larger write. */
  staleChunkKeys: KvKey[];
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The DAG as UTF-8 JSON bytes. */
export function encodeDag(dag: WorkflowDag): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(dag));
}

/** The DAG back from its bytes. */
export function decodeDag(bytes: Uint8Array): WorkflowDag {
  return JSON.parse(utf8Decoder.decode(bytes)) as WorkflowDag;
}

/** The fields of a new write, before layout. */
export interface WorkflowStateContent {
  bytes: Uint8Array;
  intent: string | null;
  createdAt: number;
}

/**
 * Lays out one write of `content` for workflow `id`, replacing a previous write of
 * `previousChunkCount` chunks.
 */
export function layOutState(
  id: string,
  content: WorkflowStateContent,
  previousChunkCount: number,
): WorkflowStateLayout {
  const { bytes, intent, createdAt } = content;
  const writeId = crypto.randomUUID();
  const headerKey = workflowKey(id);
  const metadataBytes = ENVELOPE_OVERHEAD_BYTES + intentBytesBound(intent);
  const inline = metadataBytes + bytes.length <= MAX_VALUE_BYTES;
  const chunks: WorkflowChunk[] = [];
  if (!inline) {
    for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
      // slice() copies into an own buffer: V8 would otherwise encode the whole parent buffer.
      chunks.push({
        writeId,
        index: chunks.length,
        data: bytes.slice(offset, offset + CHUNK_BYTES),
      });
    }
  }
  const header: WorkflowHeader = {
    format: FORMAT,
    writeId,
    createdAt,
    intent,
    byteLength: bytes.length,
    chunkCount: chunks.length,
    data: inline ? ownBuffer(bytes) : null,
  };
  const staleChunkKeys: KvKey[] = [];
  for (let index = chunks.length; index < previousChunkCount; index++) {
    staleChunkKeys.push(workflowChunkKey(id, index));
  }
  // KV counts every checked or mutated key once, and the key of every set once more with its value.
  const headerKeyBytes = encodedKeySize(headerKey);
  let requiredBytes = headerKeyBytes + 2 * headerKeyBytes + metadataBytes +
    (header.data?.length ?? 0);
  for (const chunk of chunks) {
    requiredBytes += 2 * encodedKeySize(workflowChunkKey(id, chunk.index)) +
      ENVELOPE_OVERHEAD_BYTES + chunk.data.length;
  }
  for (const key of staleChunkKeys) requiredBytes += encodedKeySize(key);
  return { header, chunks, requiredBytes, staleChunkKeys };
}

function intentBytesBound(intent: string | null): number {
  return intent === null ? 0 : 2 * intent.length + 8;
}

function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

/** A stored header value typed, or `null` when it is not a header of this format. */
export function parseHeader(value: unknown): WorkflowHeader | null {
  const header = value as Partial<WorkflowHeader> | null;
  if (
    typeof header !== "object" || header === null || header.format !== FORMAT ||
    typeof header.writeId !== "string" || typeof header.createdAt !== "number" ||
    (header.intent !== null && typeof header.intent !== "string") ||
    !Number.isSafeInteger(header.byteLength)
  ) {
    return null;
  }
  const { chunkCount, data } = header;
  // Bounded, so that no corrupt count makes a reader or sweeper build a huge list of keys.
  if (
    typeof chunkCount !== "number" || !Number.isSafeInteger(chunkCount) || chunkCount < 0 ||
    chunkCount > MAX_CHUNK_COUNT
  ) {
    return null;
  }
  const dataFits = chunkCount === 0 ? data instanceof Uint8Array : data === null;
  return dataFits ? header as WorkflowHeader : null;
}

/** The error for a header entry that {@linkcode parseHeader} refuses. */
export function notAHeader(key: KvKey): CacheEntryCorruptError {
  return new CacheEntryCorruptError(
    "read workflow state",
    key,
    `does not hold a workflow state header of format ${FORMAT}`,
  );
}

/** Whether a stored chunk value is chunk `index` of the write `writeId`. */
export function isChunkOf(value: unknown, writeId: string, index: number): value is WorkflowChunk {
  const chunk = value as Partial<WorkflowChunk> | null;
  return typeof chunk === "object" && chunk !== null && chunk.writeId === writeId &&
    chunk.index === index && chunk.data instanceof Uint8Array;
}

/** Joins chunk bytes; `null` when their total differs from `byteLength`. */
export function joinChunks(
  chunks: readonly WorkflowChunk[],
  byteLength: number,
): Uint8Array | null {
  const total = chunks.reduce((sum, chunk) => sum + chunk.data.length, 0);
  if (total !== byteLength) return null;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk.data, offset);
    offset += chunk.data.length;
  }
  return bytes;
}
