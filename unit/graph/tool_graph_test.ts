import assert from "node:assert/strict";
import fc from "fast-check";
import { type ToolEdge, ToolGraph } from "../../src/graph/tool_graph.ts";

function edge(from: string, to: string, confidence = 0.5): ToolEdge {
  return { from, to, confidence, edgeType: "sequence", edgeSource: "observed", observedCount: 1 };
}

// read → parse → post, read → post directly with low confidence, get → parse.
const graph = new ToolGraph([
  edge("fs:read", "json:parse", 0.9),
  edge("json:parse", "api:post", 0.8),
  edge("fs:read", "api:post", 0.2),
  edge("api:get", "json:parse", 0.7),
]);

Deno.test("ToolGraph lists its tools and edges in a stable order", () => {
  assert.deepEqual(graph.nodes(), ["api:get", "api:post", "fs:read", "json:parse"]);
  assert.equal(graph.nodeCount, 4);
  assert.equal(graph.edgeCount, 4);
  assert.deepEqual(graph.edges().map((e) => `${e.from}>${e.to}`), [
    "api:get>json:parse",
    "fs:read>api:post",
    "fs:read>json:parse",
    "json:parse>api:post",
  ]);
});

Deno.test("ToolGraph.neighbours() lists successors by decreasing confidence", () => {
  assert.deepEqual(graph.neighbours("fs:read"), ["json:parse", "api:post"]);
});

Deno.test("ToolGraph.neighbours() follows incoming edges or both directions", () => {
  assert.deepEqual(graph.neighbours("json:parse", "in"), ["fs:read", "api:get"]);
  assert.deepEqual(graph.neighbours("json:parse", "both"), ["fs:read", "api:post", "api:get"]);
});

Deno.test("ToolGraph.neighbours() of an unknown tool is empty", () => {
  assert.deepEqual(graph.neighbours("nope:nothing"), []);
  assert.equal(graph.hasTool("nope:nothing"), false);
  assert.equal(graph.hasTool("api:get"), true);
});

Deno.test("ToolGraph.shortestPath() takes the fewest edges, not the most confident ones", () => {
  assert.deepEqual(graph.shortestPath("fs:read", "api:post"), ["fs:read", "api:post"]);
  assert.deepEqual(graph.shortestPath("api:get", "api:post"), [
    "api:get",
    "json:parse",
    "api:post",
  ]);
});

Deno.test("ToolGraph.shortestPath() follows edge directions and returns null when unreachable", () => {
  assert.equal(graph.shortestPath("api:post", "fs:read"), null);
  assert.equal(graph.shortestPath("fs:read", "nope:nothing"), null);
  assert.deepEqual(graph.shortestPath("fs:read", "fs:read"), ["fs:read"]);
});

Deno.test("ToolGraph.shortestPath() prefers the more confident of two equally short paths", () => {
  const diamond = new ToolGraph([
    edge("a:start", "b:weak", 0.3),
    edge("a:start", "b:strong", 0.9),
    edge("b:weak", "c:end"),
    edge("b:strong", "c:end"),
  ]);
  assert.deepEqual(diamond.shortestPath("a:start", "c:end"), ["a:start", "b:strong", "c:end"]);
});

Deno.test("ToolGraph keeps the last of two edges between the same tools", () => {
  const replaced = new ToolGraph([edge("a:x", "b:y", 0.2), edge("a:x", "b:y", 0.6)]);
  assert.equal(replaced.edgeCount, 1);
  assert.equal(replaced.edge("a:x", "b:y")?.confidence, 0.6);
  assert.equal(replaced.edge("b:y", "a:x"), undefined);
});

Deno.test("ToolGraph rejects a confidence outside 0–1 and an empty endpoint", () => {
  assert.throws(() => new ToolGraph([edge("a:x", "b:y", 1.5)]), {
    name: "TypeError",
    message:
      'Cannot add the edge "a:x" → "b:y" to the tool graph: expected a confidence from 0 to 1, found 1.5',
  });
  assert.throws(() => new ToolGraph([edge("", "b:y")]), {
    name: "TypeError",
    message: 'Cannot add an edge to the tool graph: expected two tool ids, found "" → "b:y"',
  });
});

Deno.test("ToolGraph.shortestPath() returns a shortest path of existing edges, or null only when none exists", () => {
  const ids = ["a", "b", "c", "d", "e", "f"];
  const arbitraryEdge = fc.record({
    from: fc.constantFrom(...ids),
    to: fc.constantFrom(...ids),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  fc.assert(fc.property(
    fc.array(arbitraryEdge, { maxLength: 15 }),
    fc.constantFrom(...ids),
    fc.constantFrom(...ids),
    (edges, from, to) => {
      const g = new ToolGraph(edges.map((e) => edge(e.from, e.to, e.confidence)));
      const path = g.shortestPath(from, to);
      // Distances by brute force: relax every edge until nothing changes (Bellman-Ford, unit weights).
      const distance = new Map([[from, 0]]);
      for (let changed = true; changed;) {
        changed = false;
        for (const e of edges) {
          const via = (distance.get(e.from) ?? Infinity) + 1;
          if (via < (distance.get(e.to) ?? Infinity)) {
            distance.set(e.to, via);
            changed = true;
          }
        }
      }
      if (path === null) {
        assert.equal(distance.has(to), false);
        return;
      }
      assert.equal(path.length - 1, distance.get(to));
      assert.equal(path[0], from);
      assert.equal(path.at(-1), to);
      for (let i = 1; i < path.length; i++) {
        assert.ok(
          g.edge(path[i - 1] ?? "", path[i] ?? ""),
          `missing edge ${path[i - 1]} → ${path[i]}`,
        );
      }
      assert.equal(new Set(path).size, path.length);
    },
  ));
});
