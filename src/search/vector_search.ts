/**
 * Finds the tools that best match an intent: cosine similarity between the embedded query and
 * `tool_embedding` through pgvector's HNSW index, plus a keyword fallback for tools of `tool_schema` that
 * have no embedding yet, so a freshly discovered tool is findable before it is embedded.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import type { JsonSchema } from "../discovery/tool_schema_store.ts";
import type { Embedder } from "../embeddings/embedder.ts";
import { toolEmbeddingText } from "../embeddings/embed_tool_schemas.ts";
import { tokenize } from "../embeddings/tokenize.ts";
import { toVectorLiteral } from "../embeddings/vector_literal.ts";
import { NEAREST_TOOLS_SQL, UNEMBEDDED_TOOLS_SQL } from "./queries.ts";

/** Options of {@linkcode searchTools}. */
export interface SearchToolsOptions {
  /** The most results to return, an integer from 1 to 1000. Default 5. */
  readonly topK?: number;
  /** Results scoring below this, from -1 to 1, are dropped. Default 0. */
  readonly minScore?: number;
  /**
   * Also score tools without an embedding by shared words. Default `true`. Finding those tools is an
   * anti-join over all of `tool_schema`, linear in the catalogue (about 6 ms of the 8 ms a query takes at
   * 10,000 tools, see `bench/search_bench.ts`): turn it off once every tool is embedded.
   */
  readonly keywordFallback?: boolean;
}

/** One match. */
export interface ToolSearchResult {
  readonly toolId: string;
  readonly serverId: string;
  readonly name: string;
  readonly description: string | null;
  readonly inputSchema: JsonSchema;
  /** Cosine similarity from -1 to 1 (1 = same direction); higher is better. */
  readonly score: number;
  /** `"vector"` when scored by embedding, `"keyword"` when by the fallback. */
  readonly matchedBy: "vector" | "keyword";
}

const DEFAULT_TOP_K = 5;
const MAX_TOP_K = 1000;
/** pgvector's default `hnsw.ef_search`: an HNSW scan returns at most this many rows unless raised. */
const DEFAULT_EF_SEARCH = 40;

/**
 * Returns up to `topK` tools ordered by score (best first, ties by tool id).
 *
 * Tools with an embedding are scored by cosine similarity to the embedded query. Tools without one are
 * scored by the cosine similarity of their sets of word tokens, |Q ∩ T| / √(|Q|·|T|), the same measure on
 * binary vectors, so both kinds of score sit on one scale and can be merged.
 *
 * @param db The database holding `tool_schema` and `tool_embedding`.
 * @param embedder Embeds the query; must be the embedder that filled `tool_embedding` (1024 dimensions).
 * It is a required parameter rather than an option with a default, a deliberate exception to "two
 * required parameters": a default would silently compare vectors of two different models.
 * @param query The intent in plain words. An empty or blank query returns no results.
 * @throws {RangeError} When `topK` or `minScore` is out of range.
 * @throws {EmbeddingDimensionError} When the embedder returns a vector that is not 1024 long.
 *
 * @example Usage
 * ```ts
 * import { embedToolSchemas, HashingEmbedder, searchTools, upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const inputSchema = { type: "object" };
 *   await upsertToolSchemas(db, [
 *     { serverId: "fs", name: "read", description: "Read a file", inputSchema },
 *     { serverId: "http", name: "get", description: "Perform GET request", inputSchema },
 *   ]);
 *   const embedder = new HashingEmbedder();
 *   await embedToolSchemas(db, embedder);
 *   const [best] = await searchTools(db, embedder, "read a file", { topK: 1 });
 *   assert.equal(best?.toolId, "fs:read");
 *   assert.deepEqual(await searchTools(db, embedder, "  "), []);
 * });
 * ```
 */
export async function searchTools(
  db: DbClient,
  embedder: Embedder,
  query: string,
  options: SearchToolsOptions = {},
): Promise<ToolSearchResult[]> {
  const topK = options.topK ?? DEFAULT_TOP_K;
  const minScore = options.minScore ?? 0;
  checkOptions(topK, minScore);
  if (typeof query !== "string") {
    throw new TypeError(
      `Cannot search tools: expected the query to be a string, found ${typeof query}`,
    );
  }
  if (query.trim() === "") return [];
  const vector = toVectorLiteral(await embedder.embed(query), {
    action: "search tools with this query",
  });
  const found = await nearestTools(db, vector, topK);
  if (options.keywordFallback ?? true) found.push(...(await keywordMatches(db, query)));
  return found
    .filter((result) => result.score >= minScore)
    .sort((a, b) => b.score - a.score || compare(a.toolId, b.toolId))
    .slice(0, topK);
}

interface ToolRow extends Record<string, unknown> {
  tool_id: string;
  server_id: string;
  name: string;
  description: string | null;
  input_schema: JsonSchema;
}

async function nearestTools(
  db: DbClient,
  vector: string,
  topK: number,
): Promise<ToolSearchResult[]> {
  const run = (client: DbClient) =>
    client.query<ToolRow & { distance: number }>(NEAREST_TOOLS_SQL, [vector, topK]);
  // An HNSW scan yields at most ef_search rows; raise it when more are asked. A transaction-local setting
  // outlives a savepoint that is released, so the previous value is put back for the caller's transaction.
  const rows = topK <= DEFAULT_EF_SEARCH ? await run(db) : await db.transaction(async (tx) => {
    const previous = await tx.queryOne<{ value: string }>(
      "SELECT current_setting('hnsw.ef_search') AS value",
    );
    await tx.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(topK)]);
    try {
      return await run(tx);
    } finally {
      await tx.query("SELECT set_config('hnsw.ef_search', $1, true)", [
        previous?.value ?? String(DEFAULT_EF_SEARCH),
      ]);
    }
  });
  return rows.map((row) => toResult(row, 1 - Number(row.distance), "vector"));
}

async function keywordMatches(db: DbClient, query: string): Promise<ToolSearchResult[]> {
  const wanted = new Set(tokenize(query));
  if (wanted.size === 0) return [];
  // Every unembedded tool is scored here rather than pre-filtered in SQL: stemming and accent folding
  // happen in tokenize(), so a SQL LIKE on the raw text would miss some matches. Such tools are expected
  // to be few (embedding normally follows discovery).
  const rows = await db.query<ToolRow>(UNEMBEDDED_TOOLS_SQL);
  const results: ToolSearchResult[] = [];
  for (const row of rows) {
    const tokens = new Set(tokenize(toolEmbeddingText({ serverId: row.server_id, ...row })));
    const shared = [...wanted].filter((token) => tokens.has(token)).length;
    if (shared > 0) {
      results.push(toResult(row, shared / Math.sqrt(wanted.size * tokens.size), "keyword"));
    }
  }
  return results;
}

function toResult(row: ToolRow, score: number, matchedBy: "vector" | "keyword"): ToolSearchResult {
  return {
    toolId: row.tool_id,
    serverId: row.server_id,
    name: row.name,
    description: row.description,
    inputSchema: row.input_schema,
    score,
    matchedBy,
  };
}

function checkOptions(topK: number, minScore: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
    throw new RangeError(
      `Cannot search tools as 'topK' must be an integer from 1 to ${MAX_TOP_K}: current value is ${topK}`,
    );
  }
  if (typeof minScore !== "number" || !(minScore >= -1 && minScore <= 1)) {
    throw new RangeError(
      `Cannot search tools as 'minScore' must be a number from -1 to 1: current value is ${minScore}`,
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
