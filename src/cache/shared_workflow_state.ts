/**
 * The workflow state functions of the library: {@linkcode WorkflowStateCache} over the shared KV
 * ({@linkcode getKv}) and the shared clock ({@linkcode getClock}), with its default TTL and retry
 * budget. Each call picks up whatever KV and clock are installed at that moment, so tests replace them
 * with `createKvFixture()` (or `installKv` / `installClock`) from `@pml/store/fixtures`.
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

/** The cache over the shared KV and the shared clock, as the module-level functions use it. */
async function sharedCache(): Promise<WorkflowStateCache> {
  return new WorkflowStateCache({ kv: await getKv(), clock: getClock() });
}

/**
 * Stores `dag` for `workflowId` in the shared KV for one hour; see {@linkcode WorkflowStateCache.save}.
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
 * The DAG of `workflowId` from the shared KV, or `null` when none is live.
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
 * The state of `workflowId` with `created_at`, `expires_at` and `version`, or `null` when none is live.
 *
 * @example Reading the expiry
 * ```ts
 * import { getWorkflowStateRecord, saveWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture({ startMs: 1_000 });
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const record = await getWorkflowStateRecord("wf-1");
 * assert.equal(record?.expires_at.getTime(), 1_000 + 3_600_000);
 * ```
 */
export async function getWorkflowStateRecord(
  workflowId: string,
): Promise<WorkflowStateRecord | null> {
  return await (await sharedCache()).getRecord(workflowId);
}

/**
 * Changes the DAG of a live state in the shared KV and restarts its TTL; see
 * {@linkcode WorkflowStateCache.update}. A DAG replaces the stored one; an updater function or
 * `expectedVersion` makes it a read-modify-write.
 *
 * @throws {CacheError} `WORKFLOW_STATE_NOT_FOUND` (`Workflow <id> not found`), `WORKFLOW_STATE_CONFLICT`.
 *
 * @example Appending a task with an updater function, so concurrent appends are all kept
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
 *
 * @example Refusing to overwrite a version other than the one read
 * ```ts
 * import { getWorkflowStateRecord, saveWorkflowState, updateWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await saveWorkflowState("wf-1", { tasks: [] });
 * const read = await getWorkflowStateRecord("wf-1");
 * await updateWorkflowState("wf-1", { tasks: [], step: 1 }); // another writer
 * await assert.rejects(
 *   updateWorkflowState("wf-1", { tasks: [], step: 2 }, { expectedVersion: read?.version }),
 *   { code: "WORKFLOW_STATE_CONFLICT" },
 * );
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
 * import { deleteWorkflowState, getWorkflowState, saveWorkflowState } from "@pml/store";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await saveWorkflowState("wf-1", { tasks: [] });
 * assert.equal(await deleteWorkflowState("wf-1"), true);
 * assert.equal(await getWorkflowState("wf-1"), null);
 * ```
 */
export async function deleteWorkflowState(workflowId: string): Promise<boolean> {
  return await (await sharedCache()).delete(workflowId);
}

/**
 * Deletes every expired or unreadable workflow state from the shared KV and returns how many.
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
