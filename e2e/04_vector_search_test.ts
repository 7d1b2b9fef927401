/**
 * E2E 04 — vector search: intents in plain words find the right tool of `tool_schema` through
 * pgvector's cosine distance and the HNSW index; tools without an embedding are found by keywords.
 */
import assert from "node:assert/strict";
import { withMigratedDb } from "../fixtures/test_db.ts";
import { generateToolCatalog, seedToolSchemas } from "../fixtures/tool_catalog.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { upsertToolSchemas } from "../src/discovery/tool_schema_store.ts";
import { embedToolSchemas } from "../src/embeddings/embed_tool_schemas.ts";
import { HashingEmbedder } from "../src/embeddings/hashing_embedder.ts";
import { toVectorLiteral } from "../src/embeddings/vector_literal.ts";
import { NEAREST_TOOLS_SQL } from "../src/search/queries.ts";
import { searchTools } from "../src/search/vector_search.ts";

const embedder = new HashingEmbedder();

async function seedAndEmbed(db: DbClient): Promise<void> {
  await seedToolSchemas(db);
  await embedToolSchemas(db, embedder);
}

Deno.test("04 vector search: plain-word intents find the right tool first", async (t) => {
  await withMigratedDb(async (db) => {
    await seedAndEmbed(db);

    await t.step('"read a file" finds filesystem:read first', async () => {
      const results = await searchTools(db, embedder, "read a file");
      assert.equal(results[0]?.toolId, "filesystem:read");
      assert.equal(results[0]?.matchedBy, "vector");
    });

    await t.step('"parse JSON data" finds json:parse first', async () => {
      const results = await searchTools(db, embedder, "parse JSON data");
      assert.equal(results[0]?.toolId, "json:parse");
    });

    await t.step(
      "results carry the tool_schema row and are ordered by decreasing score",
      async () => {
        const results = await searchTools(db, embedder, "write content to a file", {
          topK: 7,
          minScore: -1,
        });
        assert.equal(results.length, 7);
        assert.deepEqual(
          { ...results[0], score: 0 },
          {
            toolId: "filesystem:write",
            serverId: "filesystem",
            name: "write",
            description: "Write content to a file",
            inputSchema: (await db.queryOne<{ s: unknown }>(
              "SELECT input_schema AS s FROM tool_schema WHERE tool_id = 'filesystem:write'",
            ))?.s,
            score: 0,
            matchedBy: "vector",
          },
        );
        for (let i = 1; i < results.length; i++) {
          assert.ok((results[i - 1]?.score ?? NaN) >= (results[i]?.score ?? NaN), `order at ${i}`);
        }
        for (const result of results) assert.ok(result.score >= -1 && result.score <= 1);
      },
    );

    await t.step("the score is 1 minus pgvector's cosine distance", async () => {
      const [best] = await searchTools(db, embedder, "list directory contents", { topK: 1 });
      const row = await db.queryOne<{ score: number }>(
        `SELECT 1 - (embedding <=> $1::vector) AS score FROM tool_embedding WHERE tool_id = 'filesystem:list'`,
        [toVectorLiteral(await embedder.embed("list directory contents"))],
      );
      assert.equal(best?.toolId, "filesystem:list");
      assert.ok(Math.abs((best?.score ?? NaN) - (row?.score ?? NaN)) < 1e-9);
    });

    await t.step("topK caps the number of results", async () => {
      assert.equal(
        (await searchTools(db, embedder, "perform request", { topK: 2, minScore: -1 })).length,
        2,
      );
    });

    await t.step("minScore drops weak matches", async () => {
      const all = await searchTools(db, embedder, "read a file", { topK: 7, minScore: -1 });
      const strong = await searchTools(db, embedder, "read a file", { topK: 7, minScore: 0.5 });
      assert.ok(strong.length < all.length);
      assert.deepEqual(strong.map((r) => r.toolId), ["filesystem:read"]);
      assert.ok(strong.every((result) => result.score >= 0.5));
    });

    await t.step("an empty or blank query gives no results", async () => {
      assert.deepEqual(await searchTools(db, embedder, ""), []);
      assert.deepEqual(await searchTools(db, embedder, " \n\t "), []);
    });

    await t.step("out-of-range options are refused", async () => {
      await assert.rejects(searchTools(db, embedder, "read", { topK: 0 }), {
        name: "RangeError",
        message:
          "Cannot search tools as 'topK' must be an integer from 1 to 1000: current value is 0",
      });
      await assert.rejects(searchTools(db, embedder, "read", { minScore: 1.5 }), {
        name: "RangeError",
        message:
          "Cannot search tools as 'minScore' must be a number from -1 to 1: current value is 1.5",
      });
    });
  });
});

Deno.test("04 vector search: a tool without an embedding is found by keywords", async (t) => {
  await withMigratedDb(async (db) => {
    await seedAndEmbed(db);
    await upsertToolSchemas(db, [{
      serverId: "mail",
      name: "send",
      description: "Send an email message",
      inputSchema: { type: "object" },
    }]);

    await t.step("the keyword fallback scores it by shared words", async () => {
      const [best] = await searchTools(db, embedder, "send emails");
      assert.equal(best?.toolId, "mail:send");
      assert.equal(best?.matchedBy, "keyword");
      // Query tokens {send, email}; tool tokens {mail, send, email, messag}: 2 / √(2·4).
      assert.ok(Math.abs((best?.score ?? NaN) - 2 / Math.sqrt(8)) < 1e-12);
    });

    await t.step("keyword and vector matches are merged on one ordering", async () => {
      const results = await searchTools(db, embedder, "send a file", { topK: 3 });
      assert.deepEqual(new Set(results.map((r) => r.matchedBy)), new Set(["vector", "keyword"]));
      for (let i = 1; i < results.length; i++) {
        assert.ok((results[i - 1]?.score ?? NaN) >= (results[i]?.score ?? NaN));
      }
    });

    await t.step("the fallback can be turned off", async () => {
      const results = await searchTools(db, embedder, "send emails", {
        keywordFallback: false,
        topK: 8,
      });
      assert.ok(results.every((result) => result.toolId !== "mail:send"));
    });

    await t.step("once embedded, it is found by vector", async () => {
      await embedToolSchemas(db, embedder);
      const [best] = await searchTools(db, embedder, "send emails");
      assert.deepEqual([best?.toolId, best?.matchedBy], ["mail:send", "vector"]);
    });
  });
});

Deno.test("04 vector search: the nearest-tools query can use the HNSW index", async () => {
  await withMigratedDb(async (db) => {
    await seedAndEmbed(db);
    // With 7 rows the planner rightly prefers a scan; forbidding scans shows whether the statement's shape
    // lets the index serve it at all (an ORDER BY on a derived score would not).
    await db.query("SELECT set_config('enable_seqscan', 'off', true)");
    const plan = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${NEAREST_TOOLS_SQL}`, [
      toVectorLiteral(await embedder.embed("read a file")),
      5,
    ]);
    assert.match(
      plan.map((row) => row["QUERY PLAN"]).join("\n"),
      /Index Scan using idx_tool_embedding_hnsw/,
    );
  });
});

Deno.test("04 vector search: more than 40 results come back through the index", async () => {
  await withMigratedDb(async (db) => {
    await seedToolSchemas(db, generateToolCatalog(80));
    await embedToolSchemas(db, embedder);
    // Force the HNSW index, whose scan stops at hnsw.ef_search (40 by default) unless raised.
    await db.query("SELECT set_config('enable_seqscan', 'off', true)");
    const results = await searchTools(db, embedder, "read a file", { topK: 60, minScore: -1 });
    assert.equal(results.length, 60);
    assert.equal(new Set(results.map((r) => r.toolId)).size, 60);
    // The raised limit does not outlive the search in the caller's transaction.
    assert.deepEqual(await db.queryOne("SHOW hnsw.ef_search"), { "hnsw.ef_search": "40" });
  });
});
