/**
 * The historical workflow DAG store API, with its signatures, return shapes (`Date` fields, `null`
 * for a miss) and error texts (`Workflow <id> not found`, now with a `code`). It ran SQL against
 * `workflow_dags` (dropped by migration 019); now each function delegates to its successor in
 * `shared_workflow_state.ts`, named in its `@deprecated` tag, and ignores its first argument, once
 * the database handle.
 *
 * @deprecated Use `saveWorkflowState()` and the other functions of `shared_workflow_state.ts`.
 * @module
 */

import {
  deleteWorkflowState,
  getWorkflowState,
  getWorkflowStateRecord,
  refreshWorkflowState,
  saveWorkflowState,
  sweepExpiredWorkflowStates,
  updateWorkflowState,
} from "./shared_workflow_state.ts";
import type { WorkflowStateRecord } from "./workflow_state_cache.ts";
import type { WorkflowDag } from "./workflow_dag.ts";

/** @deprecated The historical record: a {@linkcode WorkflowStateRecord} without `version`. */
export type WorkflowDAGRecord = Omit<WorkflowStateRecord, "version">;

/**
 * Saves a workflow DAG for one hour; an empty intent (the default) is stored as `null`.
 *
 * @deprecated Use `saveWorkflowState(workflowId, dag, intent)`.
 *
 * @example The historical results and error texts
 * ```ts
 * import { getWorkflowDAGRecord, saveWorkflowDAG, updateWorkflowDAG } from "@pml/store/legacy";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture({ startMs: 0 });
 * await saveWorkflowDAG(null, "wf-1", { tasks: [] }, "demo");
 * await assert.rejects(updateWorkflowDAG(null, "ghost", { tasks: [] }), {
 *   message: "Workflow ghost not found",
 * });
 * assert.deepEqual(await getWorkflowDAGRecord(null, "wf-1"), {
 *   workflow_id: "wf-1",
 *   dag: { tasks: [] },
 *   intent: "demo",
 *   created_at: new Date(0),
 *   expires_at: new Date(3_600_000),
 * });
 * ```
 */
export async function saveWorkflowDAG(
  _db: unknown,
  workflowId: string,
  dag: WorkflowDag,
  intent: string = "",
): Promise<void> {
  await saveWorkflowState(workflowId, dag, intent);
}

/** The DAG of a live workflow, or `null`. @deprecated Use `getWorkflowState(workflowId)`. */
export async function getWorkflowDAG(
  _db: unknown,
  workflowId: string,
): Promise<WorkflowDag | null> {
  return await getWorkflowState(workflowId);
}

/** The state of a live workflow, or `null`. @deprecated Use `getWorkflowStateRecord(workflowId)`. */
export async function getWorkflowDAGRecord(
  _db: unknown,
  workflowId: string,
): Promise<WorkflowDAGRecord | null> {
  const record = await getWorkflowStateRecord(workflowId);
  if (record === null) return null;
  const { version: _version, ...historical } = record;
  return historical;
}

/**
 * Replaces the DAG of a live workflow and restarts its TTL.
 *
 * @deprecated Use `updateWorkflowState(workflowId, dag)`.
 * @throws {CacheError} `WORKFLOW_STATE_NOT_FOUND` with the historical message `Workflow <id> not found`.
 */
export async function updateWorkflowDAG(
  _db: unknown,
  workflowId: string,
  dag: WorkflowDag,
): Promise<void> {
  await updateWorkflowState(workflowId, dag);
}

/** Deletes a workflow's state, if any. @deprecated Use `deleteWorkflowState(workflowId)`. */
export async function deleteWorkflowDAG(_db: unknown, workflowId: string): Promise<void> {
  await deleteWorkflowState(workflowId);
}

/** Restarts the TTL of a live workflow, if any. @deprecated Use `refreshWorkflowState(workflowId)`. */
export async function extendWorkflowDAGExpiration(_db: unknown, workflowId: string): Promise<void> {
  await refreshWorkflowState(workflowId);
}

/** Deletes expired workflow states; returns how many. @deprecated Use `sweepExpiredWorkflowStates()`. */
export async function cleanupExpiredDAGs(_db: unknown): Promise<number> {
  return await sweepExpiredWorkflowStates();
}
