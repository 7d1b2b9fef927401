import assert from "node:assert/strict";
import fc from "fast-check";
import { topologicalLayers } from "../../src/graph/topological_layers.ts";

Deno.test("topologicalLayers() puts independent nodes in one layer, in input order", () => {
  assert.deepEqual(
    topologicalLayers([
      { id: "post", dependsOn: ["parse", "get"] },
      { id: "read" },
      { id: "parse", dependsOn: ["read"] },
      { id: "get" },
    ]),
    [["read", "get"], ["parse"], ["post"]],
  );
});

Deno.test("topologicalLayers() of no node is no layer", () => {
  assert.deepEqual(topologicalLayers([]), []);
});

Deno.test("topologicalLayers() rejects a cycle, naming the nodes it leaves unordered", () => {
  assert.throws(
    () =>
      topologicalLayers([
        { id: "a", dependsOn: ["c"] },
        { id: "b", dependsOn: ["a"] },
        { id: "c", dependsOn: ["b"] },
        { id: "free" },
      ]),
    {
      name: "TypeError",
      message:
        'Cannot order the DAG: a dependency cycle leaves these nodes unordered: "a", "b", "c"',
    },
  );
});

Deno.test("topologicalLayers() rejects an unknown dependency and a duplicate id", () => {
  assert.throws(() => topologicalLayers([{ id: "a", dependsOn: ["ghost"] }]), {
    name: "TypeError",
    message: 'Cannot order the DAG: "a" depends on "ghost", which is not a node',
  });
  assert.throws(() => topologicalLayers([{ id: "a" }, { id: "a" }]), {
    name: "TypeError",
    message: 'Cannot order the DAG: the id "a" is used by more than one node',
  });
});

Deno.test("topologicalLayers() places every node once, after all its dependencies", () => {
  // Random DAGs: node i may depend only on nodes before it, so there is never a cycle.
  const dag = fc.integer({ min: 0, max: 12 }).chain((size) =>
    fc.tuple(
      ...Array.from(
        { length: size },
        (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)),
      ),
    )
  );
  fc.assert(fc.property(dag, (dependencies) => {
    const nodes = dependencies.map((deps, i) => ({
      id: `n${i}`,
      dependsOn: deps.map((j) => `n${j}`),
    }));
    const layers = topologicalLayers(nodes);
    const layerOf = new Map(
      layers.flatMap((layer, index) => layer.map((id) => [id, index] as const)),
    );
    assert.equal(layers.flat().length, nodes.length);
    assert.equal(layerOf.size, nodes.length);
    for (const node of nodes) {
      for (const dependency of node.dependsOn) {
        assert.ok((layerOf.get(dependency) ?? Infinity) < (layerOf.get(node.id) ?? -1));
      }
    }
    for (const layer of layers) assert.ok(layer.length > 0);
  }));
});
