/**
 * Orders the tasks of a DAG into layers: every task runs after all the tasks it depends on, and the
 * tasks of one layer are independent of each other, so a layer can run in parallel.
 *
 * @module
 */

/** A node of a DAG: an id and the ids it depends on. */
export interface DagNode {
  readonly id: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Groups `nodes` into layers (Kahn's algorithm). Layer 0 holds the nodes without dependencies; layer n
 * the nodes whose dependencies are all in earlier layers. Within a layer, nodes keep their input order,
 * so the result is deterministic.
 *
 * @returns The ids, layer by layer; `[]` for no nodes.
 * @throws {TypeError} When two nodes share an id, a node depends on an unknown id, or the dependencies
 * form a cycle (the message lists the nodes left unordered).
 *
 * @example Two independent reads, then a merge
 * ```ts
 * import { topologicalLayers } from "./topological_layers.ts";
 * import assert from "node:assert/strict";
 *
 * const layers = topologicalLayers([
 *   { id: "merge", dependsOn: ["a", "b"] },
 *   { id: "a" },
 *   { id: "b" },
 * ]);
 * assert.deepEqual(layers, [["a", "b"], ["merge"]]);
 * ```
 */
export function topologicalLayers(nodes: readonly DagNode[]): string[][] {
  const remaining = new Map<string, Set<string>>();
  for (const node of nodes) {
    if (remaining.has(node.id)) {
      throw new TypeError(
        `Cannot order the DAG: the id "${node.id}" is used by more than one node`,
      );
    }
    remaining.set(node.id, new Set(node.dependsOn ?? []));
  }
  for (const node of nodes) {
    for (const dependency of node.dependsOn ?? []) {
      if (!remaining.has(dependency)) {
        throw new TypeError(
          `Cannot order the DAG: "${node.id}" depends on "${dependency}", which is not a node`,
        );
      }
    }
  }
  const layers: string[][] = [];
  while (remaining.size > 0) {
    const layer = [...remaining].filter(([, deps]) => deps.size === 0).map(([id]) => id);
    if (layer.length === 0) {
      throw new TypeError(
        `Cannot order the DAG: a dependency cycle leaves these nodes unordered: ${
          [...remaining.keys()].map((id) => `"${id}"`).join(", ")
        }`,
      );
    }
    for (const id of layer) remaining.delete(id);
    for (const deps of remaining.values()) for (const id of layer) deps.delete(id);
    layers.push(layer);
  }
  return layers;
}
