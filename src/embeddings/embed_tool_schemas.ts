/**
 * Keeps `tool_embedding` in step with `tool_schema`: embeds each cached tool's text and stores it, and
 * skips tools whose stored embedding was made from the same text by the same embedder.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import type { Embedder } from "./embedder.ts";
import { EMBEDDING_DIMENSION } from "./embedder.ts";
import { EmbeddingDimensionError } from "./embedding_dimension_error.ts";
import { type ToolEmbeddingInput, upsertToolEmbeddings } from "./embedding_store.ts";

/** Options of {@linkcode embedToolSchemas}. */
export interface EmbedToolSchemasOptions {
  /** Only these tools (default: every tool in `tool_schema`). */
  readonly toolIds?: readonly string[];
  /** Re-embed even when the stored embedding is up to date. Default `false`. */
  readonly force?: boolean;
}

/** What {@linkcode embedToolSchemas} did, as tool ids ordered by id. */
export interface EmbedToolSchemasResult {
  /** Tools whose embedding was written. */
  readonly embedded: string[];
  /** Tools whose embedding already matched their text and the embedder. */
  readonly unchanged: string[];
}

/** The fields of a tool that make its embedded text. */
export interface EmbeddableTool {
  readonly serverId: string;
  readonly name: string;
  readonly description?: string | null;
}

/**
 * The text embedded for a tool: server, name and description, so a query can match any of them.
 *
 * @example Usage
 * ```ts
 * import { toolEmbeddingText } from "./embed_tool_schemas.ts";
 * import assert from "node:assert/strict";
 *
 * const text = toolEmbeddingText({ serverId: "json", name: "parse", description: "Parse JSON string" });
 * assert.equal(text, "json parse: Parse JSON string");
 * ```
 */
export function toolEmbeddingText(tool: EmbeddableTool): string {
  const description = tool.description?.trim() ?? "";
  return description === ""
    ? `${tool.serverId} ${tool.name}`
    : `${tool.serverId} ${tool.name}: ${description}`;
}

/**
 * Embeds the tools of `tool_schema` and stores the vectors in `tool_embedding`.
 *
 * The stored metadata records the embedder id and the text, which is how an up-to-date embedding is
 * recognised and skipped.
 *
 * @throws {EmbeddingDimensionError} When the embedder's dimension, or a vector it returns, is not 1024.
 *
 * @example Embedding the catalogue twice embeds nothing the second time
 * ```ts
 * import { embedToolSchemas, HashingEmbedder, upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   await upsertToolSchemas(db, [
 *     { serverId: "json", name: "parse", inputSchema: { type: "object" } },
 *   ]);
 *   const embedder = new HashingEmbedder();
 *   assert.deepEqual(await embedToolSchemas(db, embedder), {
 *     embedded: ["json:parse"], unchanged: [],
 *   });
 *   assert.deepEqual(await embedToolSchemas(db, embedder), {
 *     embedded: [], unchanged: ["json:parse"],
 *   });
 * });
 * ```
 */
export async function embedToolSchemas(
  db: DbClient,
  embedder: Embedder,
  options: EmbedToolSchemasOptions = {},
): Promise<EmbedToolSchemasResult> {
  if (embedder.dimension !== EMBEDDING_DIMENSION) {
    throw new EmbeddingDimensionError(
      `embed tools with the embedder "${embedder.id}"`,
      EMBEDDING_DIMENSION,
      embedder.dimension,
    );
  }
  const rows = await db.query<{
    tool_id: string;
    server_id: string;
    name: string;
    description: string | null;
    stored_embedder: string | null;
    stored_text: string | null;
  }>(
    `SELECT s.tool_id, s.server_id, s.name, s.description,
            e.metadata->>'embedder' AS stored_embedder, e.metadata->>'text' AS stored_text
     FROM tool_schema s LEFT JOIN tool_embedding e ON e.tool_id = s.tool_id
     WHERE $1::text[] IS NULL OR s.tool_id = ANY($1::text[])
     ORDER BY s.tool_id`,
    [options.toolIds === undefined ? null : [...options.toolIds]],
  );
  const pending: ToolEmbeddingInput[] = [];
  const unchanged: string[] = [];
  for (const row of rows) {
    const text = toolEmbeddingText({
      serverId: row.server_id,
      name: row.name,
      description: row.description,
    });
    if (!options.force && row.stored_embedder === embedder.id && row.stored_text === text) {
      unchanged.push(row.tool_id);
      continue;
    }
    pending.push({
      toolId: row.tool_id,
      serverId: row.server_id,
      toolName: row.name,
      embedding: await embedder.embed(text),
      metadata: { embedder: embedder.id, text },
    });
  }
  await upsertToolEmbeddings(db, pending);
  return { embedded: pending.map((input) => input.toolId), unchanged };
}
