/**
 * The historical workflow DAG store API, kept so existing call sites compile unchanged. It used to run
 * SQL against the `workflow_dags` table (dropped by migration 019); it now delegates to the workflow state
 * cache over the shared KV and shared clock. The first argument, once the database handle, is ignored.
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

/** @deprecated The historical name of {@linkcode WorkflowStateRecord}. */
export type WorkflowDAGRecord = WorkflowStateRecord;

/**
 * Saves a workflow DAG for one hour.
 *
 * @deprecated Use `saveWorkflowState(workflowId, dag, intent)`.
 * @param _db Ignored (was the database handle).
 *
 * @example Saving through the legacy API
 * ```ts
 * import { getWorkflowDAG, installKv, saveWorkflowDAG } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowDAG(null, "wf-1", { tasks: [] }, "demo");
 * assert.deepEqual(await getWorkflowDAG(null, "wf-1"), { tasks: [] });
 * kv.close();
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

/**
 * The DAG of a live workflow, or `null`.
 *
 * @deprecated Use `getWorkflowState(workflowId)`.
 * @param _db Ignored (was the database handle).
 *
 * @example A miss is `null`
 * ```ts
 * import { getWorkflowDAG, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * assert.equal(await getWorkflowDAG(null, "ghost"), null);
 * kv.close();
 * ```
 */
export async function getWorkflowDAG(
  _db: unknown,
  workflowId: string,
): Promise<WorkflowDag | null> {
  return await getWorkflowState(workflowId);
}

/**
 * The state of a live workflow with `created_at` and `expires_at`, or `null`.
 *
 * @deprecated Use `getWorkflowStateRecord(workflowId)`.
 * @param _db Ignored (was the database handle).
 *
 * @example Reading the record
 * ```ts
 * import { getWorkflowDAGRecord, installKv, saveWorkflowDAG } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowDAG(null, "wf-1", { tasks: [] });
 * assert.equal((await getWorkflowDAGRecord(null, "wf-1"))?.intent, null);
 * kv.close();
 * ```
 */
export async function getWorkflowDAGRecord(
  _db: unknown,
  workflowId: string,
): Promise<WorkflowDAGRecord | null> {
  return await getWorkflowStateRecord(workflowId);
}

/**
 * Replaces the DAG of a live workflow and restarts its TTL.
 *
 * @deprecated Use `updateWorkflowState(workflowId, dag)`.
 * @param _db Ignored (was the database handle).
 * @throws {WorkflowStateNotFoundError} When no live state has this id.
 *
 * @example Updating a missing workflow fails
 * ```ts
 * import { installKv, updateWorkflowDAG } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await assert.rejects(updateWorkflowDAG(null, "ghost", { tasks: [] }), { code: "WORKFLOW_STATE_NOT_FOUND" });
 * kv.close();
 * ```
 */
export async function updateWorkflowDAG(
  _db: unknown,
  workflowId: string,
  dag: WorkflowDag,
): Promise<void> {
  await updateWorkflowState(workflowId, dag);
}

/**
 * Deletes a workflow's state; deleting a missing one is harmless.
 *
 * @deprecated Use `deleteWorkflowState(workflowId)`.
 * @param _db Ignored (was the database handle).
 *
 * @example Deleting twice
 * ```ts
 * import { deleteWorkflowDAG, getWorkflowDAG, installKv, saveWorkflowDAG } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await saveWorkflowDAG(null, "wf-1", { tasks: [] });
 * await deleteWorkflowDAG(null, "wf-1");
 * await deleteWorkflowDAG(null, "wf-1");
 * assert.equal(await getWorkflowDAG(null, "wf-1"), null);
 * kv.close();
 * ```
 */
export async function deleteWorkflowDAG(_db: unknown, workflowId: string): Promise<void> {
  await deleteWorkflowState(workflowId);
}

/**
 * Restarts the TTL of a live workflow; like the historical SQL `UPDATE`, a missing workflow is a no-op.
 *
 * @deprecated Use `refreshWorkflowState(workflowId)`, which reports whether the workflow was live.
 * @param _db Ignored (was the database handle).
 *
 * @example Extending a missing workflow does nothing
 * ```ts
 * import { extendWorkflowDAGExpiration, getWorkflowDAG, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * await extendWorkflowDAGExpiration(null, "ghost");
 * assert.equal(await getWorkflowDAG(null, "ghost"), null);
 * kv.close();
 * ```
 */
export async function extendWorkflowDAGExpiration(_db: unknown, workflowId: string): Promise<void> {
  await refreshWorkflowState(workflowId);
}

/**
 * Deletes every expired workflow state and returns how many.
 *
 * @deprecated Use `sweepExpiredWorkflowStates()`.
 * @param _db Ignored (was the database handle).
 *
 * @example Nothing to clean
 * ```ts
 * import { cleanupExpiredDAGs, installKv } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * using _kv = installKv(kv);
 * assert.equal(await cleanupExpiredDAGs(null), 0);
 * kv.close();
 * ```
 */
export async function cleanupExpiredDAGs(_db: unknown): Promise<number> {
  return await sweepExpiredWorkflowStates();
}
