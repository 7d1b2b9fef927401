/**
 * The workflow state functions: {@linkcode WorkflowStateCache} with its defaults over the KV and the
 * clock shared at the time of each call ({@linkcode getKv}, {@linkcode getClock}), which tests
 * replace with `createKvFixture()` from `@pml/store/fixtures`. Each throws as its method does.
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

/**
 * Stores `dag` for `workflowId` for one hour; see {@linkcode WorkflowStateCache.save}.
 *
 * @example Saving and reading back
 * ```ts
 * import { getWorkflowState, saveWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * const dag = { tasks: [{ id: "a", tool: "t", arguments: {}, dependsOn: [] }] };
 * await saveWorkflowState("wf-1", dag, "demo");
 * assert.deepEqual(await getWorkflowState("wf-1"), dag);
 * ```
 */
export async function saveWorkflowState(
  workflowId: string,
  dag: WorkflowDag,
  intent?: string | null,
): Promise<void> {
  await (await sharedCache()).save(workflowId, dag, intent);
}

/**
 * The DAG of `workflowId`, or `null` when none is live; see {@linkcode WorkflowStateCache.get}.
 *
 * @example A miss is `null`
 * ```ts
 * import { getWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * assert.equal(await getWorkflowState("nobody"), null);
 * ```
 */
export async function getWorkflowState(workflowId: string): Promise<WorkflowDag | null> {
  return await (await sharedCache()).get(workflowId);
}

/**
 * The state of `workflowId` with its metadata, or `null`; see {@linkcode WorkflowStateCache.getRecord}.
 *
 * @example Reading the expiry
 * ```ts
 * import { getWorkflowStateRecord, saveWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture({ startMs: 1_000 });
 * await saveWorkflowState("wf-1", { tasks: [] });
 * assert.equal((await getWorkflowStateRecord("wf-1"))?.expires_at.getTime(), 3_601_000);
 * ```
 */
export async function getWorkflowStateRecord(
  workflowId: string,
): Promise<WorkflowStateRecord | null> {
  return await (await sharedCache()).getRecord(workflowId);
}

/**
 * Changes the DAG of a live state and restarts its TTL; see {@linkcode WorkflowStateCache.update}.
 *
 * @example Concurrent appends with an updater function are all kept
 * ```ts
 * import { getWorkflowState, saveWorkflowState, updateWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const append = (id: string) =>
 *   updateWorkflowState("wf-1", (dag) => ({
 *     ...dag,
 *     tasks: [...dag.tasks, { id, tool: "t", arguments: {}, dependsOn: [] }],
 *   }));
 * await Promise.all([append("a"), append("b")]);
 * const ids = (await getWorkflowState("wf-1"))?.tasks.map((task) => task.id).sort();
 * assert.deepEqual(ids, ["a", "b"]);
 * ```
 */
export async function updateWorkflowState(
  workflowId: string,
  next: WorkflowDag | WorkflowDagUpdater,
  options?: UpdateWorkflowStateOptions,
): Promise<void> {
  await (await sharedCache()).update(workflowId, next, options);
}

/**
 * Restarts the TTL of a live state; `false` when none is live.
 *
 * @example Refreshing a missing workflow
 * ```ts
 * import { refreshWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * assert.equal(await refreshWorkflowState("ghost"), false);
 * ```
 */
export async function refreshWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).refresh(workflowId);
}

/**
 * Deletes the state of `workflowId`; `true` when a live state was deleted.
 *
 * @example Deleting
 * ```ts
 * import { deleteWorkflowState, saveWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await saveWorkflowState("wf-1", { tasks: [] });
 * assert.equal(await deleteWorkflowState("wf-1"), true);
 * ```
 */
export async function deleteWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).delete(workflowId);
}

/**
 * Deletes expired and unreadable states; returns how many. See {@linkcode WorkflowStateCache.sweepExpired}.
 *
 * @example Sweeping after expiry
 * ```ts
 * import { saveWorkflowState, sweepExpiredWorkflowStates } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using fixture = await createKvFixture();
 * await saveWorkflowState("wf-1", { tasks: [] });
 * fixture.clock.advance(3_600_000);
 * assert.equal(await sweepExpiredWorkflowStates(), 1);
 * ```
 */
export async function sweepExpiredWorkflowStates(): Promise<number> {
  return await (await sharedCache()).sweepExpired();
}
