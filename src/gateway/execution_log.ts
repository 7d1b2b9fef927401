/**
 * The execution log: one `workflow_execution` row per workflow run, the raw material from which
 * capabilities and tool edges are learned.
 *
 * @module
 */

import { type Clock, systemClock } from "../cache/clock.ts";
import type { DbClient } from "../db/client/db_client.ts";

/** One finished workflow run. */
export interface WorkflowExecutionInput {
  /** The intent the workflow served. */
  readonly intentText?: string | null;
  /** The DAG that ran, stored as JSON. */
  readonly dagStructure: unknown;
  readonly success: boolean;
  /** Wall time of the run in milliseconds, a non-negative integer. */
  readonly executionTimeMs: number;
  readonly errorMessage?: string | null;
  /** Who ran it. Default `local`, as migration 013 backfilled. */
  readonly userId?: string;
}

/** The identity of a recorded run. */
export interface WorkflowExecutionRecord {
  /** `workflow_execution.execution_id`, a lower-case UUID. */
  readonly executionId: string;
  /** The injected clock's time when it was recorded, in Unix milliseconds. */
  readonly executedAt: number;
}

/** Options of {@linkcode recordWorkflowExecution}. */
export interface RecordWorkflowExecutionOptions {
  /** Stamps `executed_at`. Default {@linkcode systemClock}. */
  readonly clock?: Clock;
}

/**
 * Inserts one row into `workflow_execution`.
 *
 * @throws {RangeError} When `executionTimeMs` is not a non-negative integer.
 *
 * @example Usage
 * ```ts
 * import { recordWorkflowExecution } from "@pml/store";
 * import { FakeClock, withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const clock = new FakeClock(Date.UTC(2025, 0, 1));
 *   const record = await recordWorkflowExecution(db, {
 *     intentText: "read a file",
 *     dagStructure: { tasks: [{ id: "t1", tool: "fs:read" }] },
 *     success: true,
 *     executionTimeMs: 12,
 *   }, { clock });
 *   assert.equal(record.executedAt, Date.UTC(2025, 0, 1));
 * });
 * ```
 */
export async function recordWorkflowExecution(
  db: DbClient,
  execution: WorkflowExecutionInput,
  options: RecordWorkflowExecutionOptions = {},
): Promise<WorkflowExecutionRecord> {
  if (!Number.isInteger(execution.executionTimeMs) || execution.executionTimeMs < 0) {
    throw new RangeError(
      `Cannot record the workflow execution as 'executionTimeMs' must be a non-negative integer: current value is ${execution.executionTimeMs}`,
    );
  }
  const executedAt = (options.clock ?? systemClock).now();
  const userId = execution.userId ?? "local";
  const row = await db.queryOne<{ execution_id: string }>(
    `INSERT INTO workflow_execution (executed_at, intent_text, dag_structure, success,
       execution_time_ms, error_message, user_id, created_by)
     VALUES (to_timestamp($1::float8 / 1000) AT TIME ZONE 'UTC', $2, $3::jsonb, $4, $5, $6, $7, $7)
     RETURNING execution_id::text AS execution_id`,
    [
      executedAt,
      execution.intentText ?? null,
      JSON.stringify(execution.dagStructure),
      execution.success,
      execution.executionTimeMs,
      execution.errorMessage ?? null,
      userId,
    ],
  );
  if (row === null) throw new Error("Cannot record the workflow execution: no row returned");
  return { executionId: row.execution_id, executedAt };
}
