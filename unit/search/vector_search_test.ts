import assert from "node:assert/strict";
import type { Row } from "../../src/db/client/db_client.ts";
import { stubDb } from "../stub_db.ts";
import type { Embedder } from "../../src/embeddings/embedder.ts";
import { EmbeddingDimensionError } from "../../src/embeddings/embedding_dimension_error.ts";
import { NEAREST_TOOLS_SQL, UNEMBEDDED_TOOLS_SQL } from "../../src/search/queries.ts";
import { searchTools } from "../../src/search/vector_search.ts";

/** A database that answers the two search statements with canned rows and records every call. */
function scriptedDb(rows: { nearest?: Row[]; unembedded?: Row[] } = {}) {
  return stubDb((sql) => {
    if (sql === NEAREST_TOOLS_SQL) return rows.nearest ?? [];
    if (sql === UNEMBEDDED_TOOLS_SQL) return rows.unembedded ?? [];
    return [];
  });
}

function countingEmbedder(vector: readonly number[] = unit(0)) {
  const texts: string[] = [];
  const embedder: Embedder = {
    id: "fixed",
    dimension: 1024,
    embed: (text) => {
      texts.push(text);
      return Promise.resolve(vector);
    },
  };
  return { embedder, texts };
}

function unit(index: number): number[] {
  return Array.from({ length: 1024 }, (_, i) => (i === index ? 1 : 0));
}

function toolRow(toolId: string, description: string, distance?: number): Row {
  const [serverId = "", name = ""] = toolId.split(":");
  const row: Row = { tool_id: toolId, server_id: serverId, name, description, input_schema: {} };
  if (distance !== undefined) row.distance = distance;
  return row;
}

Deno.test("searchTools() answers an empty or blank query with no results, without embedding or querying", async () => {
  const { db, calls } = scriptedDb();
  const { embedder, texts } = countingEmbedder();
  assert.deepEqual(await searchTools(db, embedder, ""), []);
  assert.deepEqual(await searchTools(db, embedder, "   \t"), []);
  assert.deepEqual([calls, texts], [[], []]);
});

Deno.test("searchTools() checks its options before any work", async () => {
  const { db, calls } = scriptedDb();
  const { embedder, texts } = countingEmbedder();
  for (const topK of [0, 1.5, 1001]) {
    await assert.rejects(searchTools(db, embedder, "read", { topK }), {
      name: "RangeError",
      message:
        `Cannot search tools as 'topK' must be an integer from 1 to 1000: current value is ${topK}`,
    });
  }
  for (const minScore of [-1.01, Number.NaN]) {
    await assert.rejects(searchTools(db, embedder, "read", { minScore }), {
      name: "RangeError",
      message:
        `Cannot search tools as 'minScore' must be a number from -1 to 1: current value is ${minScore}`,
    });
  }
  await assert.rejects(searchTools(db, embedder, 7 as unknown as string), {
    name: "TypeError",
    message: "Cannot search tools: expected the query to be a string, found number",
  });
  assert.deepEqual([calls, texts], [[], []]);
});

Deno.test("searchTools() refuses a query vector of the wrong dimension before querying", async () => {
  const { db, calls } = scriptedDb();
  const { embedder } = countingEmbedder([0.6, 0.8]);
  await assert.rejects(searchTools(db, embedder, "read a file"), (error: unknown) => {
    assert.ok(error instanceof EmbeddingDimensionError);
    assert.equal(
      error.message,
      "Cannot search tools with this query: expected a vector of 1024 dimensions, found 2",
    );
    return true;
  });
  assert.deepEqual(calls, []);
});

Deno.test("searchTools() passes the query vector and topK to the nearest-tools statement", async () => {
  const { db, calls } = scriptedDb();
  const { embedder } = countingEmbedder(unit(2));
  await searchTools(db, embedder, "read a file", { topK: 3, keywordFallback: false });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.sql, NEAREST_TOOLS_SQL);
  assert.deepEqual(calls[0]?.params, [`[0,0,1${",0".repeat(1021)}]`, 3]);
});

Deno.test("searchTools() raises hnsw.ef_search for the search only when topK exceeds 40", async () => {
  const { db, calls } = stubDb((sql) => sql.includes("current_setting") ? [{ value: "55" }] : []);
  const { embedder } = countingEmbedder();
  await searchTools(db, embedder, "read", { topK: 40, keywordFallback: false });
  await searchTools(db, embedder, "read", { topK: 41, keywordFallback: false });
  assert.deepEqual(calls.map((call) => call.sql === NEAREST_TOOLS_SQL ? "nearest" : call.sql), [
    "nearest",
    "SELECT current_setting('hnsw.ef_search') AS value",
    "SELECT set_config('hnsw.ef_search', $1, true)",
    "nearest",
    "SELECT set_config('hnsw.ef_search', $1, true)",
  ]);
  assert.deepEqual(calls[2]?.params, ["41"]);
  assert.deepEqual(calls[4]?.params, ["55"]);
});

Deno.test("searchTools() merges vector and keyword matches by score, then tool id, and applies minScore and topK", async () => {
  const { db } = scriptedDb({
    nearest: [
      toolRow("fs:read", "Read a file", 0.2),
      toolRow("fs:write", "Write a file", 0.6),
      toolRow("api:get", "Perform GET request", 1.1),
    ],
    unembedded: [
      toolRow("fs:open", "Read file"), // tokens {fs, open, read, fil}: 2 / √(2·4) ≈ 0.707
      toolRow("mail:send", "Send email"), // no shared token: not a match
      toolRow("fs:cat", "Read file"), // same score as fs:open, ordered by id
    ],
  });
  const { embedder } = countingEmbedder();
  const results = await searchTools(db, embedder, "read file", { topK: 4, minScore: 0 });
  assert.deepEqual(results.map((r) => [r.toolId, Number(r.score.toFixed(3)), r.matchedBy]), [
    ["fs:read", 0.8, "vector"],
    ["fs:cat", 0.707, "keyword"],
    ["fs:open", 0.707, "keyword"],
    ["fs:write", 0.4, "vector"],
  ]);
  const strict = await searchTools(db, embedder, "read file", { topK: 10, minScore: 0.75 });
  assert.deepEqual(strict.map((r) => r.toolId), ["fs:read"]);
});

Deno.test("searchTools() returns whole results with the tool_schema fields", async () => {
  const { db } = scriptedDb({
    nearest: [{ ...toolRow("fs:read", "Read a file", 0.25), input_schema: { type: "object" } }],
  });
  const { embedder } = countingEmbedder();
  assert.deepEqual(await searchTools(db, embedder, "read"), [{
    toolId: "fs:read",
    serverId: "fs",
    name: "read",
    description: "Read a file",
    inputSchema: { type: "object" },
    score: 0.75,
    matchedBy: "vector",
  }]);
});
