/**
 * Builds a {@linkcode ToolGraph} from `tool_dependency`. Provenance is read from `edge_source` only: the
 * historical `source` column was dropped by migration 019 and is never named here.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import { type EdgeSource, type EdgeType, type ToolEdge, ToolGraph } from "./tool_graph.ts";

/** Options of {@linkcode loadToolGraph}. */
export interface LoadToolGraphOptions {
  /** Keep only edges at least this confident, from 0 to 1. Default 0 (every edge). */
  readonly minConfidence?: number;
  /** Keep only these edge types. Default: all. */
  readonly edgeTypes?: readonly EdgeType[];
  /** Keep only edges from these sources. Default: all. */
  readonly edgeSources?: readonly EdgeSource[];
}

// NULLs are read as the column defaults of migrations 001 and 012. The threshold is cast to `real`, the
// column's type: compared as double, a stored 0.7 (0.699999988 in float4) would fail "≥ 0.7". For the
// same reason confidences are rounded to the 6 digits a `real` holds, so 0.7 reads back as 0.7.
const EDGES_SQL = `
  SELECT from_tool_id, to_tool_id,
         COALESCE(edge_type, 'sequence') AS edge_type,
         COALESCE(edge_source, 'inferred') AS edge_source,
         ROUND(COALESCE(confidence_score, 0.5)::numeric, 6)::float8 AS confidence_score,
         COALESCE(observed_count, 1) AS observed_count
  FROM tool_dependency
  WHERE COALESCE(confidence_score, 0.5) >= $1::real
    AND ($2::text[] IS NULL OR COALESCE(edge_type, 'sequence') = ANY($2::text[]))
    AND ($3::text[] IS NULL OR COALESCE(edge_source, 'inferred') = ANY($3::text[]))
  ORDER BY from_tool_id, to_tool_id`;

/**
 * Reads the edges of `tool_dependency` that pass the filters into a {@linkcode ToolGraph}.
 *
 * @throws {RangeError} When `minConfidence` is not a number from 0 to 1.
 *
 * @example Only confident observed edges
 * ```ts
 * import { loadToolGraph } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   await db.exec(`INSERT INTO tool_dependency
 *       (from_tool_id, to_tool_id, confidence_score, edge_source)
 *     VALUES ('fs:read', 'json:parse', 0.9, 'observed'),
 *       ('json:parse', 'api:post', 0.3, 'observed')`);
 *   const graph = await loadToolGraph(db, { minConfidence: 0.5, edgeSources: ["observed"] });
 *   assert.deepEqual(graph.nodes(), ["fs:read", "json:parse"]);
 * });
 * ```
 */
export async function loadToolGraph(
  db: DbClient,
  options: LoadToolGraphOptions = {},
): Promise<ToolGraph> {
  const minConfidence = options.minConfidence ?? 0;
  if (typeof minConfidence !== "number" || !(minConfidence >= 0 && minConfidence <= 1)) {
    throw new RangeError(
      `Cannot load the tool graph as 'minConfidence' must be a number from 0 to 1: current value is ${minConfidence}`,
    );
  }
  const rows = await db.query<{
    from_tool_id: string;
    to_tool_id: string;
    edge_type: string;
    edge_source: string;
    confidence_score: number;
    observed_count: number;
  }>(EDGES_SQL, [
    minConfidence,
    options.edgeTypes === undefined ? null : [...options.edgeTypes],
    options.edgeSources === undefined ? null : [...options.edgeSources],
  ]);
  return new ToolGraph(rows.map((row): ToolEdge => ({
    from: row.from_tool_id,
    to: row.to_tool_id,
    edgeType: row.edge_type,
    edgeSource: row.edge_source,
    confidence: Number(row.confidence_score),
    observedCount: Number(row.observed_count),
  })));
}
