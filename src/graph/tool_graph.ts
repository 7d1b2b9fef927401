/**
 * The tool graph: tools as nodes, `tool_dependency` rows as directed, weighted edges. It answers "what
 * usually comes next" (neighbours) and "how do I get from this tool to that one" (paths), in memory and
 * deterministically; {@linkcode loadToolGraph} builds it from the database.
 *
 * @module
 */

/** Known values of `tool_dependency.edge_type`. */
export type EdgeType = "contains" | "sequence" | "dependency";

/** Known values of `tool_dependency.edge_source` (the one provenance column since migration 019). */
export type EdgeSource = "template" | "inferred" | "observed";

/** A directed edge between two tools. */
export interface ToolEdge {
  /** The tool id the edge leaves. */
  readonly from: string;
  /** The tool id the edge reaches. */
  readonly to: string;
  /** One of {@linkcode EdgeType}, as stored. */
  readonly edgeType: string;
  /** One of {@linkcode EdgeSource}, as stored. */
  readonly edgeSource: string;
  /** How sure the system is of the edge, from 0 to 1. */
  readonly confidence: number;
  /** How many times the edge was observed. */
  readonly observedCount: number;
}

/** Which edges {@linkcode ToolGraph.neighbours} follows. */
export type NeighbourDirection = "out" | "in" | "both";

/**
 * An immutable directed graph of tools.
 *
 * Neighbours are listed by decreasing confidence, then by tool id, and paths are searched in that order,
 * so equal inputs always give equal answers.
 *
 * @example Neighbours and a path
 * ```ts
 * import { ToolGraph } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const edge = { edgeType: "sequence", edgeSource: "observed", observedCount: 1 };
 * const graph = new ToolGraph([
 *   { ...edge, from: "fs:read", to: "json:parse", confidence: 0.9 },
 *   { ...edge, from: "json:parse", to: "api:post", confidence: 0.8 },
 * ]);
 * assert.deepEqual(graph.neighbours("fs:read"), ["json:parse"]);
 * assert.deepEqual(graph.shortestPath("fs:read", "api:post"), ["fs:read", "json:parse", "api:post"]);
 * assert.equal(graph.shortestPath("api:post", "fs:read"), null);
 * ```
 */
export class ToolGraph {
  readonly #edges = new Map<string, ToolEdge>();
  readonly #outgoing = new Map<string, ToolEdge[]>();
  readonly #incoming = new Map<string, ToolEdge[]>();

  /**
   * @param edges The edges; a later edge between the same two tools replaces an earlier one.
   * @throws {TypeError} When an edge has an empty endpoint or a confidence outside 0–1.
   */
  constructor(edges: Iterable<ToolEdge>) {
    for (const edge of edges) {
      if (edge.from === "" || edge.to === "") {
        throw new TypeError(
          `Cannot add an edge to the tool graph: expected two tool ids, found "${edge.from}" → "${edge.to}"`,
        );
      }
      if (!(edge.confidence >= 0 && edge.confidence <= 1)) {
        throw new TypeError(
          `Cannot add the edge "${edge.from}" → "${edge.to}" to the tool graph: expected a confidence from 0 to 1, found ${edge.confidence}`,
        );
      }
      this.#edges.set(key(edge.from, edge.to), edge);
    }
    for (const edge of this.#edges.values()) {
      append(this.#outgoing, edge.from, edge);
      append(this.#incoming, edge.to, edge);
    }
    for (const list of [...this.#outgoing.values(), ...this.#incoming.values()]) {
      list.sort(byStrength);
    }
  }

  /** The number of tools that have at least one edge. */
  get nodeCount(): number {
    return this.nodes().length;
  }

  /** The number of edges. */
  get edgeCount(): number {
    return this.#edges.size;
  }

  /** Every tool id with at least one edge, sorted. */
  nodes(): string[] {
    return [...new Set([...this.#outgoing.keys(), ...this.#incoming.keys()])].sort();
  }

  /** Every edge, ordered by source then target tool id. */
  edges(): ToolEdge[] {
    return [...this.#edges.values()].sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  }

  /** Whether `toolId` has at least one edge. */
  hasTool(toolId: string): boolean {
    return this.#outgoing.has(toolId) || this.#incoming.has(toolId);
  }

  /** The edge from `from` to `to`, or `undefined`. */
  edge(from: string, to: string): ToolEdge | undefined {
    return this.#edges.get(key(from, to));
  }

  /**
   * The tools one edge away from `toolId`: successors (`"out"`, the default), predecessors (`"in"`) or
   * both, by decreasing confidence then tool id, without duplicates. An unknown tool has none.
   */
  neighbours(toolId: string, direction: NeighbourDirection = "out"): string[] {
    const outgoing = direction === "in" ? [] : (this.#outgoing.get(toolId) ?? []);
    const incoming = direction === "out" ? [] : (this.#incoming.get(toolId) ?? []);
    const linked = [
      ...outgoing.map((edge) => ({ id: edge.to, edge })),
      ...incoming.map((edge) => ({ id: edge.from, edge })),
    ].sort((a, b) => byStrength(a.edge, b.edge) || compare(a.id, b.id));
    return [...new Set(linked.map((entry) => entry.id))];
  }

  /**
   * A path with the fewest edges from `from` to `to`, following edge directions (breadth-first; among
   * equally short paths, the one through the most confident edges first).
   *
   * @returns The tool ids from `from` to `to` inclusive, `[from]` when they are equal, or `null` when
   * `to` cannot be reached.
   */
  shortestPath(from: string, to: string): string[] | null {
    if (from === to) return [from];
    const previous = new Map<string, string>([[from, from]]);
    let frontier = [from];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const current of frontier) {
        for (const edge of this.#outgoing.get(current) ?? []) {
          if (previous.has(edge.to)) continue;
          previous.set(edge.to, current);
          if (edge.to === to) return unwind(previous, from, to);
          next.push(edge.to);
        }
      }
      frontier = next;
    }
    return null;
  }
}

function unwind(previous: ReadonlyMap<string, string>, from: string, to: string): string[] {
  const path = [to];
  for (let current = to; current !== from;) {
    current = previous.get(current) ?? from;
    path.push(current);
  }
  return path.reverse();
}

function append(index: Map<string, ToolEdge[]>, toolId: string, edge: ToolEdge): void {
  const list = index.get(toolId);
  if (list === undefined) index.set(toolId, [edge]);
  else list.push(edge);
}

/** Stronger edges first; ties broken by the endpoints so the order never depends on insertion. */
function byStrength(a: ToolEdge, b: ToolEdge): number {
  return b.confidence - a.confidence || compare(a.to, b.to) || compare(a.from, b.from);
}

function key(from: string, to: string): string {
  // JSON keeps the pair unambiguous whatever characters the ids contain.
  return JSON.stringify([from, to]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
