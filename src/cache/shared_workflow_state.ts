/**
 * The workflow state functions: each runs the {@linkcode WorkflowStateCache} method of the same name,
 * with its defaults, over the KV and the clock shared at the time of the call ({@linkcode getKv},
 * {@linkcode getClock}), and throws as that method does. Tests install their own with
 * `createKvFixture()` from `@pml/store/fixtures`. Each function is one line over its method, so one
 * example shows them together rather than seven that would repeat the methods' own.
 *
 * @example A workflow's state from save to sweep
 * ```ts
 * import * as store from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using fixture = await createKvFixture({ startMs: 0 });
 * await store.saveWorkflowState("wf-1", { tasks: [] }, "demo");
 * const append = (id: string) =>
 *   store.updateWorkflowState("wf-1", (dag) => ({
 *     ...dag,
 *     tasks: [...dag.tasks, { id, tool: "t", arguments: {}, dependsOn: [] }],
 *   }));
 * await Promise.all([append("a"), append("b")]); // An updater function loses no concurrent update.
 * const ids = (await store.getWorkflowState("wf-1"))?.tasks.map((task) => task.id).sort();
 * assert.deepEqual(ids, ["a", "b"]);
 * fixture.clock.advance(1_000);
 * assert.equal(await store.refreshWorkflowState("wf-1"), true);
 * const record = await store.getWorkflowStateRecord("wf-1");
 * assert.equal(record?.expires_at.getTime(), 1_000 + store.WORKFLOW_STATE_TTL_MS);
 * assert.equal(await store.deleteWorkflowState("wf-1"), true);
 * assert.equal(await store.getWorkflowState("wf-1"), null);
 * await store.saveWorkflowState("wf-2", { tasks: [] });
 * fixture.clock.advance(store.WORKFLOW_STATE_TTL_MS);
 * assert.equal(await store.sweepExpiredWorkflowStates(), 1);
 * ```
 *
 * @module
 */

import { getClock } from "./clock.ts";
import { getKv } from "./kv.ts";
import type { WorkflowDag } from "./workflow_dag.ts";
import {
  type UpdateWorkflowStateOptions,
  type WorkflowDagUpdater,
  WorkflowStateCache,
  type WorkflowStateRecord,
} from "./workflow_state_cache.ts";

async function sharedCache(): Promise<WorkflowStateCache> {
  return new WorkflowStateCache({ kv: await getKv(), clock: getClock() });
}

/** Stores `dag` for `workflowId` for one hour; see {@linkcode WorkflowStateCache.save}. */
export async function saveWorkflowState(
  workflowId: string,
  dag: WorkflowDag,
  intent?: string | null,
): Promise<void> {
  await (await sharedCache()).save(workflowId, dag, intent);
}

/** The DAG of `workflowId`, or `null` when none is live; see {@linkcode WorkflowStateCache.get}. */
export async function getWorkflowState(workflowId: string): Promise<WorkflowDag | null> {
  return await (await sharedCache()).get(workflowId);
}

/** The state with its metadata, or `null`; see {@linkcode WorkflowStateCache.getRecord}. */
export async function getWorkflowStateRecord(
  workflowId: string,
): Promise<WorkflowStateRecord | null> {
  return await (await sharedCache()).getRecord(workflowId);
}

/** Changes the DAG of a live state and restarts its TTL; see {@linkcode WorkflowStateCache.update}. */
export async function updateWorkflowState(
  workflowId: string,
  next: WorkflowDag | WorkflowDagUpdater,
  options?: UpdateWorkflowStateOptions,
): Promise<void> {
  await (await sharedCache()).update(workflowId, next, options);
}

/** Restarts the TTL of a live state, `false` if none; see {@linkcode WorkflowStateCache.refresh}. */
export async function refreshWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).refresh(workflowId);
}

/** Deletes the state, `true` if one was live; see {@linkcode WorkflowStateCache.delete}. */
export async function deleteWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).delete(workflowId);
}

/** Deletes expired and unreadable states, how many; see {@linkcode WorkflowStateCache.sweepExpired}. */
export async function sweepExpiredWorkflowStates(): Promise<number> {
  return await (await sharedCache()).sweepExpired();
}
