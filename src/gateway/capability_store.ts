/**
 * Capabilities: reusable workflows stored in `workflow_pattern`, identified by a hash of their DAG. Each
 * run of a capability is recorded here, so usage and success statistics accumulate on one row, and
 * permission audit rows have a `pattern_id` to point at.
 *
 * @module
 */

import { type Clock, systemClock } from "../cache/clock.ts";
import type { DbClient } from "../db/client/db_client.ts";
import { toVectorLiteral } from "../embeddings/vector_literal.ts";
import type { PermissionSet } from "./permission_audit.ts";

/** One run of a capability. */
export interface CapabilityUse {
  /** Identifies the capability (`workflow_pattern.pattern_hash`), e.g. a hash of its DAG. */
  readonly patternHash: string;
  /** The DAG, stored as JSON on the first use. */
  readonly dagStructure: unknown;
  /** The embedded intent, 1024 dimensions, stored on the first use. */
  readonly intentEmbedding: readonly number[];
  readonly success: boolean;
  /** How long the run took, in milliseconds. Default 0. */
  readonly durationMs?: number;
  readonly name?: string | null;
  readonly description?: string | null;
  /** Stored on the first use. Default `minimal`. */
  readonly permissionSet?: PermissionSet;
}

/** The statistics of a capability after a use. */
export interface CapabilityStats {
  /** `workflow_pattern.pattern_id`, a lower-case UUID. */
  readonly patternId: string;
  readonly usageCount: number;
  readonly successCount: number;
  /** `successCount / usageCount`, rounded to 6 digits. */
  readonly successRate: number;
  /** The mean duration of all uses, in whole milliseconds. */
  readonly avgDurationMs: number;
}

/** Options of {@linkcode recordCapabilityUse}. */
export interface RecordCapabilityUseOptions {
  /** Stamps `last_used`. Default {@linkcode systemClock}. */
  readonly clock?: Clock;
}

const USE_SQL = `
  INSERT INTO workflow_pattern AS p (pattern_hash, dag_structure, intent_embedding, usage_count,
    success_count, success_rate, avg_duration_ms, last_used, name, description, permission_set)
  VALUES ($1, $2::jsonb, $3::vector, 1, $4::int, $4::int::real, $5::int,
    to_timestamp($6::float8 / 1000) AT TIME ZONE 'UTC', $7, $8, $9)
  ON CONFLICT (pattern_hash) DO UPDATE SET
    usage_count = COALESCE(p.usage_count, 0) + 1,
    success_count = COALESCE(p.success_count, 0) + EXCLUDED.success_count,
    success_rate = (COALESCE(p.success_count, 0) + EXCLUDED.success_count)::real
      / (COALESCE(p.usage_count, 0) + 1),
    avg_duration_ms = ROUND((COALESCE(p.avg_duration_ms, 0)::numeric * COALESCE(p.usage_count, 0)
      + EXCLUDED.avg_duration_ms) / (COALESCE(p.usage_count, 0) + 1)),
    last_used = EXCLUDED.last_used
  RETURNING pattern_id::text AS pattern_id, usage_count, success_count,
    ROUND(success_rate::numeric, 6)::float8 AS success_rate, avg_duration_ms`;

/**
 * Records one run of a capability: creates its `workflow_pattern` row on the first use, otherwise adds
 * to its usage and success counts.
 *
 * @throws {EmbeddingDimensionError} When `intentEmbedding` does not have 1024 dimensions.
 * @throws {RangeError} When `durationMs` is not a non-negative integer.
 *
 * @example Two runs, one successful
 * ```ts
 * import { HashingEmbedder, recordCapabilityUse } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const use = {
 *     patternHash: "read-then-parse",
 *     dagStructure: { tasks: ["fs:read", "json:parse"] },
 *     intentEmbedding: await new HashingEmbedder().embed("read and parse a file"),
 *   };
 *   const first = await recordCapabilityUse(db, { ...use, success: true, durationMs: 10 });
 *   const second = await recordCapabilityUse(db, { ...use, success: false, durationMs: 30 });
 *   assert.equal(second.patternId, first.patternId);
 *   assert.deepEqual({ ...second, patternId: "" }, {
 *     patternId: "", usageCount: 2, successCount: 1, successRate: 0.5, avgDurationMs: 20,
 *   });
 * });
 * ```
 */
export async function recordCapabilityUse(
  db: DbClient,
  use: CapabilityUse,
  options: RecordCapabilityUseOptions = {},
): Promise<CapabilityStats> {
  const durationMs = use.durationMs ?? 0;
  if (!Number.isInteger(durationMs) || durationMs < 0) {
    throw new RangeError(
      `Cannot record the capability use as 'durationMs' must be a non-negative integer: current value is ${durationMs}`,
    );
  }
  const embedding = toVectorLiteral(use.intentEmbedding, {
    action: `record the capability "${use.patternHash}"`,
  });
  const row = await db.queryOne<{
    pattern_id: string;
    usage_count: number;
    success_count: number;
    success_rate: number;
    avg_duration_ms: number;
  }>(USE_SQL, [
    use.patternHash,
    JSON.stringify(use.dagStructure),
    embedding,
    use.success ? 1 : 0,
    durationMs,
    (options.clock ?? systemClock).now(),
    use.name ?? null,
    use.description ?? null,
    use.permissionSet ?? "minimal",
  ]);
  if (row === null) {
    throw new Error(`Cannot record the capability "${use.patternHash}": no row returned`);
  }
  return {
    patternId: row.pattern_id,
    usageCount: Number(row.usage_count),
    successCount: Number(row.success_count),
    successRate: Number(row.success_rate),
    avgDurationMs: Number(row.avg_duration_ms),
  };
}
