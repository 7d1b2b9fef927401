/**
 * The cache: workflow state in Deno KV with an exact TTL by an injected clock, the shared KV handle,
 * and the deprecated workflow DAG store API on top. Test support (`FakeClock`, `installKv`,
 * `installClock`, `createKvFixture`) is exported by `@pml/store/fixtures`.
 *
 * @module
 */

export type { KvClient, KvEntryMaybe, KvKey, KvKeyPart } from "./kv_client.ts";
export { type Clock, getClock, systemClock } from "./clock.ts";
export { closeKv, getKv } from "./kv.ts";
export { CacheError, type CacheErrorCode, type CacheErrorDetails } from "./cache_error.ts";
export type {
  DAGStructure,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  WorkflowDag,
  WorkflowTask,
} from "./workflow_dag.ts";
export {
  type UpdateWorkflowStateOptions,
  WORKFLOW_STATE_TTL_MS,
  type WorkflowDagUpdater,
  WorkflowStateCache,
  type WorkflowStateCacheOptions,
  type WorkflowStateRecord,
} from "./workflow_state_cache.ts";
export {
  deleteWorkflowState,
  getWorkflowState,
  getWorkflowStateRecord,
  refreshWorkflowState,
  saveWorkflowState,
  sweepExpiredWorkflowStates,
  updateWorkflowState,
} from "./shared_workflow_state.ts";
export {
  cleanupExpiredDAGs,
  deleteWorkflowDAG,
  extendWorkflowDAGExpiration,
  getWorkflowDAG,
  getWorkflowDAGRecord,
  saveWorkflowDAG,
  updateWorkflowDAG,
  type WorkflowDAGRecord,
} from "./legacy_workflow_dag_store.ts";
