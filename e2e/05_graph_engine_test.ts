/**
 * E2E 05 — graph engine: `tool_dependency` rows between tools of `tool_schema` become a tool graph,
 * filtered by `edge_type`, `edge_source` and a confidence threshold, with neighbours and paths. Since
 * migration 019 provenance lives in `edge_source` only.
 */
import assert from "node:assert/strict";
import { withMigratedDb } from "../fixtures/test_db.ts";
import { seedToolSchemas } from "../fixtures/tool_catalog.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { loadToolGraph } from "../src/graph/load_tool_graph.ts";

/** The edges of the scenario: [from, to, type, source, confidence]. */
const EDGES = [
  ["filesystem:read", "json:parse", "sequence", "observed", 0.9],
  ["json:parse", "api:post", "sequence", "observed", 0.8],
  ["api:get", "json:parse", "dependency", "inferred", 0.7],
  ["json:stringify", "filesystem:write", "sequence", "template", 0.6],
  ["filesystem:list", "filesystem:read", "contains", "template", 0.3],
] as const;

async function seedEdges(db: DbClient): Promise<void> {
  await seedToolSchemas(db);
  for (const [from, to, type, source, confidence] of EDGES) {
    await db.query(
      `INSERT INTO tool_dependency (from_tool_id, to_tool_id, edge_type, edge_source, confidence_score)
       SELECT $1, $2, $3, $4, $5
       WHERE EXISTS (SELECT 1 FROM tool_schema WHERE tool_id = $1)
         AND EXISTS (SELECT 1 FROM tool_schema WHERE tool_id = $2)`,
      [from, to, type, source, confidence],
    );
  }
}

Deno.test("05 graph engine: tool_dependency becomes a navigable tool graph", async (t) => {
  await withMigratedDb(async (db) => {
    await seedEdges(db);

    await t.step(
      "every edge between cached tools is loaded with its type, source and confidence",
      async () => {
        const graph = await loadToolGraph(db);
        assert.equal(graph.edgeCount, EDGES.length);
        assert.deepEqual(graph.edge("filesystem:read", "json:parse"), {
          from: "filesystem:read",
          to: "json:parse",
          edgeType: "sequence",
          edgeSource: "observed",
          confidence: 0.9,
          observedCount: 1,
        });
      },
    );

    await t.step("neighbours follow edges out, in, or both", async () => {
      const graph = await loadToolGraph(db);
      assert.deepEqual(graph.neighbours("json:parse"), ["api:post"]);
      assert.deepEqual(graph.neighbours("json:parse", "in"), ["filesystem:read", "api:get"]);
      assert.deepEqual(graph.neighbours("filesystem:read", "both"), [
        "json:parse",
        "filesystem:list",
      ]);
    });

    await t.step("paths chain tools across servers", async () => {
      const graph = await loadToolGraph(db);
      assert.deepEqual(graph.shortestPath("filesystem:list", "api:post"), [
        "filesystem:list",
        "filesystem:read",
        "json:parse",
        "api:post",
      ]);
      assert.equal(graph.shortestPath("api:post", "filesystem:read"), null);
    });

    await t.step(
      "the confidence threshold is inclusive, also for values a real cannot hold exactly",
      async () => {
        const graph = await loadToolGraph(db, { minConfidence: 0.7 });
        assert.deepEqual(graph.edges().map((e) => [e.from, e.to]), [
          ["api:get", "json:parse"],
          ["filesystem:read", "json:parse"],
          ["json:parse", "api:post"],
        ]);
        assert.equal(graph.shortestPath("filesystem:list", "api:post"), null);
      },
    );

    await t.step("edges can be filtered by edge_source", async () => {
      const graph = await loadToolGraph(db, { edgeSources: ["template"] });
      assert.deepEqual(graph.edges().map((e) => e.edgeSource), ["template", "template"]);
    });

    await t.step("edges can be filtered by edge_type", async () => {
      const graph = await loadToolGraph(db, { edgeTypes: ["dependency", "contains"] });
      assert.deepEqual(graph.edges().map((e) => [e.from, e.edgeType]), [
        ["api:get", "dependency"],
        ["filesystem:list", "contains"],
      ]);
    });

    await t.step("filters combine", async () => {
      const graph = await loadToolGraph(db, {
        edgeTypes: ["sequence"],
        edgeSources: ["observed"],
        minConfidence: 0.85,
      });
      assert.deepEqual(graph.nodes(), ["filesystem:read", "json:parse"]);
    });

    await t.step("NULL columns read as their defaults", async () => {
      await db.query(
        `INSERT INTO tool_dependency (from_tool_id, to_tool_id, observed_count, confidence_score,
           edge_type, edge_source) VALUES ('api:get', 'api:post', NULL, NULL, NULL, NULL)`,
      );
      const graph = await loadToolGraph(db);
      assert.deepEqual(graph.edge("api:get", "api:post"), {
        from: "api:get",
        to: "api:post",
        edgeType: "sequence",
        edgeSource: "inferred",
        confidence: 0.5,
        observedCount: 1,
      });
    });

    await t.step("an invalid threshold is refused", async () => {
      await assert.rejects(loadToolGraph(db, { minConfidence: 2 }), {
        name: "RangeError",
        message:
          "Cannot load the tool graph as 'minConfidence' must be a number from 0 to 1: current value is 2",
      });
    });
  });
});

Deno.test("05 graph engine: provenance has one column, edge_source", async () => {
  await withMigratedDb(async (db) => {
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'tool_dependency' AND column_name IN ('source', 'edge_source')`,
    );
    assert.deepEqual(columns, [{ column_name: "edge_source" }]);
    // Loading works on this schema: a query naming the dropped column would fail here.
    await db.query(
      `INSERT INTO tool_dependency (from_tool_id, to_tool_id, edge_source) VALUES ('a:x', 'b:y', 'observed')`,
    );
    assert.deepEqual((await loadToolGraph(db)).edges().map((e) => e.edgeSource), ["observed"]);
  });
});
