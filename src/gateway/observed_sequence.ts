/**
 * Learning from use: when one tool is called after another, the pair is recorded in `tool_dependency` as
 * an edge with `edge_source = 'observed'`. Repeated observations raise the count and the confidence.
 *
 * @module
 */

import { type Clock, systemClock } from "../cache/clock.ts";
import type { DbClient } from "../db/client/db_client.ts";
import { parseToolId } from "../discovery/tool_id.ts";

/** An edge of `tool_dependency` after an observation. */
export interface ObservedEdge {
  readonly from: string;
  readonly to: string;
  /** How many times the pair was seen, this observation included. */
  readonly observedCount: number;
  /** `n / (n + 1)` for `n` observations, or the edge's earlier confidence if that was higher. */
  readonly confidence: number;
  /** Kept from an existing edge (a `dependency` stays one); `sequence` for a new edge. */
  readonly edgeType: string;
  /** Always `observed` after an observation. */
  readonly edgeSource: "observed";
}

/** Options of {@linkcode recordObservedSequence} and {@linkcode recordObservedEdges}. */
export interface RecordObservedSequenceOptions {
  /** Stamps `last_observed`. Default {@linkcode systemClock}. */
  readonly clock?: Clock;
}

// confidence = n / (n + 1): 0.5 after one sighting, 0.67 after two, approaching 1, so a pair seen often
// outweighs one seen once. GREATEST keeps a confidence set higher by a template or by inference.
// last_observed is a TIMESTAMP without time zone, so the clock's instant is stored as UTC wall time.
const OBSERVE_SQL = `
  INSERT INTO tool_dependency AS d
    (from_tool_id, to_tool_id, observed_count, confidence_score, last_observed, edge_type, edge_source)
  VALUES ($1, $2, 1, 0.5, to_timestamp($3::float8 / 1000) AT TIME ZONE 'UTC', 'sequence', 'observed')
  ON CONFLICT (from_tool_id, to_tool_id) DO UPDATE SET
    observed_count = COALESCE(d.observed_count, 0) + 1,
    confidence_score = GREATEST(
      COALESCE(d.confidence_score, 0),
      (COALESCE(d.observed_count, 0) + 1)::real / (COALESCE(d.observed_count, 0) + 2)),
    last_observed = EXCLUDED.last_observed,
    edge_source = 'observed'
  RETURNING from_tool_id, to_tool_id, observed_count,
    ROUND(confidence_score::numeric, 6)::float8 AS confidence_score,
    COALESCE(edge_type, 'sequence') AS edge_type`;

/**
 * Records that the tools of `toolIds` ran one after the other: one observation per consecutive pair,
 * in one transaction. A tool following itself is not an edge and is skipped.
 *
 * @returns The edges as they are after this observation, in sequence order.
 * @throws {TypeError} When an element is not a `"server:name"` tool id.
 *
 * @example Seeing a pair twice
 * ```ts
 * import { recordObservedSequence } from "@pml/store";
 * import { FakeClock, withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const clock = new FakeClock(Date.UTC(2025, 0, 1));
 *   await recordObservedSequence(db, ["fs:read", "json:parse"], { clock });
 *   const [edge] = await recordObservedSequence(db, ["fs:read", "json:parse"], { clock });
 *   assert.equal(edge?.observedCount, 2);
 *   assert.equal(edge?.confidence, 0.666667);
 * });
 * ```
 */
export function recordObservedSequence(
  db: DbClient,
  toolIds: readonly string[],
  options: RecordObservedSequenceOptions = {},
): Promise<ObservedEdge[]> {
  const pairs = toolIds.slice(1).map((to, index) => ({ from: toolIds[index] ?? "", to }));
  return recordObservedEdges(db, pairs, options);
}

/**
 * Records one observation of each `from` → `to` pair (e.g. each dependency of a task that just ran), in
 * one transaction. Pairs whose two ends are the same tool are skipped.
 *
 * @returns The edges as they are after this observation, in input order.
 * @throws {TypeError} When an end is not a `"server:name"` tool id; nothing is recorded.
 *
 * @example Two predecessors of one tool
 * ```ts
 * import { recordObservedEdges } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const edges = await recordObservedEdges(db, [
 *     { from: "fs:read", to: "api:post" },
 *     { from: "json:parse", to: "api:post" },
 *   ]);
 *   assert.deepEqual(edges.map((edge) => [edge.from, edge.observedCount]), [
 *     ["fs:read", 1],
 *     ["json:parse", 1],
 *   ]);
 * });
 * ```
 */
export async function recordObservedEdges(
  db: DbClient,
  pairs: readonly { readonly from: string; readonly to: string }[],
  options: RecordObservedSequenceOptions = {},
): Promise<ObservedEdge[]> {
  for (const { from, to } of pairs) {
    parseToolId(from);
    parseToolId(to);
  }
  const edges = pairs.filter(({ from, to }) => from !== to);
  if (edges.length === 0) return [];
  const now = (options.clock ?? systemClock).now();
  return await db.transaction(async (tx) => {
    const recorded: ObservedEdge[] = [];
    for (const { from, to } of edges) {
      const row = await tx.queryOne<{
        from_tool_id: string;
        to_tool_id: string;
        observed_count: number;
        confidence_score: number;
        edge_type: string;
      }>(OBSERVE_SQL, [from, to, now]);
      if (row === null) {
        throw new Error(`Cannot record the edge "${from}" → "${to}": no row returned`);
      }
      recorded.push({
        from: row.from_tool_id,
        to: row.to_tool_id,
        observedCount: Number(row.observed_count),
        confidence: Number(row.confidence_score),
        edgeType: row.edge_type,
        edgeSource: "observed",
      });
    }
    return recorded;
  });
}
