import assert from "node:assert/strict";
import fc from "fast-check";
import { FIXTURE_TOOLS } from "../../fixtures/tool_catalog.ts";
import { EMBEDDING_DIMENSION } from "../../src/embeddings/embedder.ts";
import { HashingEmbedder } from "../../src/embeddings/hashing_embedder.ts";
import { toolEmbeddingText } from "../../src/embeddings/embed_tool_schemas.ts";

const embedder = new HashingEmbedder();

function cosine(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
}

function norm(vector: readonly number[]): number {
  return Math.sqrt(cosine(vector, vector));
}

const text = fc.string({ minLength: 1 }).filter((value) => value.trim() !== "");

Deno.test("HashingEmbedder has the id hashing-v1 and 1024 dimensions by default", () => {
  assert.equal(embedder.id, "hashing-v1");
  assert.equal(embedder.dimension, EMBEDDING_DIMENSION);
  assert.equal(EMBEDDING_DIMENSION, 1024);
});

Deno.test("HashingEmbedder.embed() returns a unit vector of the configured dimension", async () => {
  await fc.assert(fc.asyncProperty(text, async (value) => {
    const vector = await embedder.embed(value);
    assert.equal(vector.length, 1024);
    assert.ok(
      Math.abs(norm(vector) - 1) < 1e-9,
      `norm of ${JSON.stringify(value)} is ${norm(vector)}`,
    );
  }));
});

Deno.test("HashingEmbedder.embed() is deterministic across instances", async () => {
  await fc.assert(fc.asyncProperty(text, async (value) => {
    assert.deepEqual(await new HashingEmbedder().embed(value), await embedder.embed(value));
  }));
});

Deno.test("HashingEmbedder.embed() gives every text a similarity of 1 with itself", async () => {
  await fc.assert(fc.asyncProperty(text, async (value) => {
    const vector = await embedder.embed(value);
    assert.ok(Math.abs(cosine(vector, vector) - 1) < 1e-9);
  }));
});

Deno.test("HashingEmbedder.embed() ignores case, punctuation, stop words and inflection", async () => {
  assert.deepEqual(
    await embedder.embed("Reading the FILES!"),
    await embedder.embed("read file"),
  );
});

Deno.test("HashingEmbedder.embed() scores texts that share words above unrelated texts", async () => {
  const query = await embedder.embed("read a file");
  const related = await embedder.embed("Read a file from the filesystem");
  const partly = await embedder.embed("Write content to a file");
  const unrelated = await embedder.embed("Perform GET request");
  assert.ok(cosine(query, related) > cosine(query, partly));
  assert.ok(cosine(query, partly) > cosine(query, unrelated));
});

Deno.test("HashingEmbedder.embed() ranks each fixture tool first for its own description", async () => {
  const tools = await Promise.all(
    FIXTURE_TOOLS.map(async (tool) => ({
      tool,
      vector: await embedder.embed(toolEmbeddingText(tool)),
    })),
  );
  for (const { tool } of tools) {
    const query = await embedder.embed(tool.description);
    const [best] = [...tools].sort((a, b) => cosine(query, b.vector) - cosine(query, a.vector));
    assert.equal(`${best?.tool.serverId}:${best?.tool.name}`, `${tool.serverId}:${tool.name}`);
  }
});

Deno.test("HashingEmbedder.embed() embeds punctuation-only text as one token", async () => {
  const vector = await embedder.embed("?!");
  assert.equal(vector.filter((value) => value !== 0).length, 1);
  assert.notDeepEqual(vector, await embedder.embed("--"));
});

Deno.test("HashingEmbedder.embed() rejects empty text and non-strings", async () => {
  await assert.rejects(embedder.embed("  "), {
    name: "RangeError",
    message: "Cannot embed text: it is empty",
  });
  await assert.rejects(embedder.embed(undefined as unknown as string), {
    name: "TypeError",
    message: "Cannot embed text: expected a string, found undefined",
  });
});

Deno.test("HashingEmbedder accepts another dimension and rejects an invalid one", async () => {
  assert.equal((await new HashingEmbedder({ dimension: 8 }).embed("read a file")).length, 8);
  assert.throws(() => new HashingEmbedder({ dimension: 0 }), {
    name: "RangeError",
    message:
      "Cannot create a HashingEmbedder as 'dimension' must be a positive integer: current value is 0",
  });
});
