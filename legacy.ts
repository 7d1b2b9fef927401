/**
 * The historical workflow DAG store API of pml-store's predecessor (`saveWorkflowDAG`, `getWorkflowDAG`,
 * `getWorkflowDAGRecord`, `updateWorkflowDAG`, `deleteWorkflowDAG`, `extendWorkflowDAGExpiration`,
 * `cleanupExpiredDAGs`), deprecated: the same signatures, return shapes and error texts, on the shared
 * workflow state cache of `@pml/store`. New code uses `saveWorkflowState()` and its siblings.
 *
 * @example Code written against the historical module
 * ```ts
 * import { getWorkflowDAG, saveWorkflowDAG } from "@pml/store/legacy";
 * import { createKvFixture } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await using _fixture = await createKvFixture();
 * await saveWorkflowDAG(null, "wf-1", { tasks: [] });
 * assert.deepEqual(await getWorkflowDAG(null, "wf-1"), { tasks: [] });
 * ```
 *
 * @deprecated Use the workflow state functions of `@pml/store`.
 * @module
 */
export * from "./src/cache/legacy_workflow_dag_store.ts";
