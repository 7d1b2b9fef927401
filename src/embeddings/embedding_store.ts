/**
 * Reads and writes `tool_embedding`, the `vector(1024)` column that vector search queries through its
 * HNSW index. Every vector is checked for length before the database sees it.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import { EMBEDDING_DIMENSION } from "./embedder.ts";
import { parseVectorLiteral, toVectorLiteral } from "./vector_literal.ts";

/** One embedding of a tool, as written by {@linkcode upsertToolEmbeddings}. */
export interface ToolEmbeddingInput {
  /** The tool id, `"<serverId>:<toolName>"`, matching `tool_schema.tool_id`. */
  readonly toolId: string;
  readonly serverId: string;
  readonly toolName: string;
  /** A vector of {@linkcode EMBEDDING_DIMENSION} finite numbers. */
  readonly embedding: readonly number[];
  /** Free-form provenance, e.g. the embedder id and the embedded text. */
  readonly metadata?: Readonly<Record<string, unknown>> | null;
}

/** A row of `tool_embedding`. */
export interface ToolEmbedding {
  readonly toolId: string;
  readonly serverId: string;
  readonly toolName: string;
  /** The stored vector, as `real` values widened to numbers. */
  readonly embedding: number[];
  readonly metadata: Readonly<Record<string, unknown>> | null;
}

/** Rows per statement; one row is about 20 kB of JSON at worst. */
const BATCH_SIZE = 200;

const UPSERT_SQL = `
  INSERT INTO tool_embedding AS t (tool_id, server_id, tool_name, embedding, metadata)
  SELECT r.tool_id, r.server_id, r.tool_name, r.embedding::vector, r.metadata
  FROM jsonb_to_recordset($1::jsonb) AS r(
    tool_id TEXT, server_id TEXT, tool_name TEXT, embedding TEXT, metadata JSONB)
  ON CONFLICT (tool_id) DO UPDATE SET
    server_id = EXCLUDED.server_id, tool_name = EXCLUDED.tool_name, embedding = EXCLUDED.embedding,
    metadata = EXCLUDED.metadata, created_at = NOW()`;

/**
 * Inserts or replaces embeddings in `tool_embedding`, in one transaction.
 *
 * @returns The number of rows written.
 * @throws {EmbeddingDimensionError} When a vector does not have 1024 dimensions; nothing is written.
 * @throws {RangeError} When a vector holds a value that is not a finite number.
 *
 * @example A vector of the wrong dimension is refused
 * ```ts
 * import { EmbeddingDimensionError, upsertToolEmbeddings } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const tool = { toolId: "json:parse", serverId: "json", toolName: "parse" };
 *   await assert.rejects(
 *     upsertToolEmbeddings(db, [{ ...tool, embedding: [1, 0, 0] }]),
 *     EmbeddingDimensionError,
 *   );
 *   const unit = Array.from({ length: 1024 }, (_, i) => (i === 0 ? 1 : 0));
 *   assert.equal(await upsertToolEmbeddings(db, [{ ...tool, embedding: unit }]), 1);
 * });
 * ```
 */
export async function upsertToolEmbeddings(
  db: DbClient,
  embeddings: readonly ToolEmbeddingInput[],
): Promise<number> {
  // Encode everything first so a bad vector anywhere fails before any statement runs.
  const rows = embeddings.map((input) => ({
    tool_id: input.toolId,
    server_id: input.serverId,
    tool_name: input.toolName,
    embedding: toVectorLiteral(input.embedding, {
      dimension: EMBEDDING_DIMENSION,
      action: `store the embedding of "${input.toolId}"`,
    }),
    metadata: input.metadata ?? null,
  }));
  await db.transaction(async (tx) => {
    for (let start = 0; start < rows.length; start += BATCH_SIZE) {
      await tx.query(UPSERT_SQL, [JSON.stringify(rows.slice(start, start + BATCH_SIZE))]);
    }
  });
  return rows.length;
}

/**
 * Reads the embedding of one tool.
 *
 * @returns The row, or `null` when the tool has no embedding.
 *
 * @example Usage
 * ```ts
 * import { getToolEmbedding } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   assert.equal(await getToolEmbedding(db, "json:parse"), null);
 * });
 * ```
 */
export async function getToolEmbedding(
  db: DbClient,
  toolId: string,
): Promise<ToolEmbedding | null> {
  const row = await db.queryOne<{
    tool_id: string;
    server_id: string;
    tool_name: string;
    embedding: string;
    metadata: Record<string, unknown> | null;
  }>(
    `SELECT tool_id, server_id, tool_name, embedding::text AS embedding, metadata
     FROM tool_embedding WHERE tool_id = $1`,
    [toolId],
  );
  if (row === null) return null;
  return {
    toolId: row.tool_id,
    serverId: row.server_id,
    toolName: row.tool_name,
    embedding: parseVectorLiteral(row.embedding),
    metadata: row.metadata,
  };
}
