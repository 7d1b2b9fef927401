/**
 * E2E 03 — embeddings: the tools of `tool_schema` are embedded by the offline default embedder and stored
 * in `tool_embedding` as 1024-dimension unit vectors; a wrong dimension is refused before the database.
 */
import assert from "node:assert/strict";
import { withMigratedDb } from "../fixtures/test_db.ts";
import { FIXTURE_TOOLS, seedToolSchemas } from "../fixtures/tool_catalog.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { upsertToolSchemas } from "../src/discovery/tool_schema_store.ts";
import { embedToolSchemas, toolEmbeddingText } from "../src/embeddings/embed_tool_schemas.ts";
import type { Embedder } from "../src/embeddings/embedder.ts";
import { EmbeddingDimensionError } from "../src/embeddings/embedding_dimension_error.ts";
import { getToolEmbedding, upsertToolEmbeddings } from "../src/embeddings/embedding_store.ts";
import { HashingEmbedder } from "../src/embeddings/hashing_embedder.ts";

const FIXTURE_IDS = FIXTURE_TOOLS.map((tool) => `${tool.serverId}:${tool.name}`).sort();
const embedder = new HashingEmbedder();

async function countEmbeddings(db: DbClient): Promise<number> {
  const row = await db.queryOne<{ n: number }>("SELECT count(*)::int AS n FROM tool_embedding");
  return row?.n ?? -1;
}

Deno.test("03 embeddings: every cached tool gets a stored unit vector", async (t) => {
  await withMigratedDb(async (db) => {
    await seedToolSchemas(db);

    await t.step("the first run embeds the 7 tools of tool_schema", async () => {
      assert.deepEqual(await embedToolSchemas(db, embedder), {
        embedded: FIXTURE_IDS,
        unchanged: [],
      });
    });

    await t.step(
      "each row is a 1024-dimension unit vector tied to its tool_schema row",
      async () => {
        const rows = await db.query<
          { tool_id: string; dims: number; norm: number; has_schema: boolean }
        >(
          `SELECT e.tool_id, vector_dims(e.embedding) AS dims, vector_norm(e.embedding) AS norm,
                EXISTS (SELECT 1 FROM tool_schema s WHERE s.tool_id = e.tool_id
                        AND s.server_id = e.server_id AND s.name = e.tool_name) AS has_schema
         FROM tool_embedding e ORDER BY e.tool_id`,
        );
        assert.deepEqual(rows.map((row) => row.tool_id), FIXTURE_IDS);
        for (const row of rows) {
          assert.equal(row.dims, 1024);
          assert.ok(Math.abs(row.norm - 1) < 1e-6, `${row.tool_id} has norm ${row.norm}`);
          assert.equal(row.has_schema, true);
        }
      },
    );

    await t.step("the stored vector is the embedder's vector of the tool's text", async () => {
      const stored = await getToolEmbedding(db, "filesystem:read");
      const text = "filesystem read: Read a file from the filesystem";
      assert.deepEqual(stored?.metadata, { embedder: "hashing-v1", text });
      const expected = await embedder.embed(text);
      assert.equal(stored?.embedding.length, 1024);
      stored?.embedding.forEach((value, index) => {
        assert.ok(Math.abs(value - (expected[index] ?? NaN)) < 1e-7, `component ${index}`);
      });
    });

    await t.step(
      "tools sharing words are closer than unrelated tools, measured by pgvector",
      async () => {
        const similarity = async (a: string, b: string) => {
          const row = await db.queryOne<{ score: number }>(
            `SELECT 1 - (x.embedding <=> y.embedding) AS score
           FROM tool_embedding x, tool_embedding y WHERE x.tool_id = $1 AND y.tool_id = $2`,
            [a, b],
          );
          return row?.score ?? NaN;
        };
        assert.ok(
          await similarity("filesystem:read", "filesystem:write") >
            await similarity("filesystem:read", "api:get"),
        );
        assert.ok(
          await similarity("json:parse", "json:stringify") >
            await similarity("json:parse", "api:post"),
        );
      },
    );

    await t.step("a second run embeds nothing", async () => {
      assert.deepEqual(await embedToolSchemas(db, embedder), {
        embedded: [],
        unchanged: FIXTURE_IDS,
      });
      assert.equal(await countEmbeddings(db), 7);
    });

    await t.step("a changed description re-embeds that tool only, in place", async () => {
      await upsertToolSchemas(db, [{
        serverId: "api",
        name: "get",
        description: "Perform an HTTP GET request",
        inputSchema: { type: "object" },
      }]);
      const result = await embedToolSchemas(db, embedder);
      assert.deepEqual(result.embedded, ["api:get"]);
      assert.equal(await countEmbeddings(db), 7);
      const stored = await getToolEmbedding(db, "api:get");
      assert.equal(stored?.metadata?.text, "api get: Perform an HTTP GET request");
    });

    await t.step("force re-embeds the selected tools even when up to date", async () => {
      const result = await embedToolSchemas(db, embedder, { toolIds: ["json:parse"], force: true });
      assert.deepEqual(result, { embedded: ["json:parse"], unchanged: [] });
    });
  });
});

Deno.test("03 embeddings: a vector of the wrong dimension is a clear error and writes nothing", async () => {
  await withMigratedDb(async (db) => {
    await seedToolSchemas(db);
    const valid = await embedder.embed(
      toolEmbeddingText(FIXTURE_TOOLS[0] ?? { serverId: "", name: "" }),
    );
    await assert.rejects(
      upsertToolEmbeddings(db, [
        { toolId: "filesystem:read", serverId: "filesystem", toolName: "read", embedding: valid },
        {
          toolId: "json:parse",
          serverId: "json",
          toolName: "parse",
          embedding: valid.slice(0, 768),
        },
      ]),
      (error: unknown) => {
        assert.ok(error instanceof EmbeddingDimensionError);
        assert.equal(
          error.message,
          'Cannot store the embedding of "json:parse": expected a vector of 1024 dimensions, found 768',
        );
        return true;
      },
    );
    assert.equal(await countEmbeddings(db), 0);
  });
});

Deno.test("03 embeddings: an embedder of another dimension is refused before embedding anything", async () => {
  await withMigratedDb(async (db) => {
    await seedToolSchemas(db);
    let calls = 0;
    const small: Embedder = {
      id: "small-384",
      dimension: 384,
      embed: () => {
        calls++;
        return Promise.resolve(new Array(384).fill(0));
      },
    };
    await assert.rejects(embedToolSchemas(db, small), {
      name: "EmbeddingDimensionError",
      message:
        'Cannot embed tools with the embedder "small-384": expected a vector of 1024 dimensions, found 384',
    });
    assert.equal(calls, 0);
    assert.equal(await countEmbeddings(db), 0);
  });
});

Deno.test("03 embeddings: an embedder that lies about its dimension is caught on its first vector", async () => {
  await withMigratedDb(async (db) => {
    await seedToolSchemas(db);
    const liar: Embedder = { id: "liar", dimension: 1024, embed: () => Promise.resolve([1, 0, 0]) };
    await assert.rejects(embedToolSchemas(db, liar), {
      name: "EmbeddingDimensionError",
      message:
        'Cannot store the embedding of "api:get": expected a vector of 1024 dimensions, found 3',
    });
    assert.equal(await countEmbeddings(db), 0);
  });
});
