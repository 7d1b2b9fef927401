/**
 * The cache: workflow state in Deno KV with an exact TTL by an injected clock, and the shared KV
 * handle. The deprecated workflow DAG store API on top is exported by `@pml/store/legacy`; test
 * support (`FakeClock`, `installKv`, `installClock`, `getClock`, `createKvFixture`) by
 * `@pml/store/fixtures`.
 *
 * @module
 */

export type { KvClient, KvEntryMaybe, KvKey, KvKeyPart } from "./kv_client.ts";
export { type Clock, systemClock } from "./clock.ts";
export { closeKv, getKv } from "./kv.ts";
export type {
  DAGStructure,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  WorkflowDag,
  WorkflowTask,
} from "./workflow_dag.ts";
export { CacheError, type CacheErrorCode, type CacheErrorDetails } from "./cache_error.ts";
export {
  type UpdateWorkflowStateOptions,
  WORKFLOW_STATE_TTL_MS,
  type WorkflowDagUpdater,
  WorkflowStateCache,
  type WorkflowStateCacheOptions,
  type WorkflowStateRecord,
} from "./workflow_state_cache.ts";
export * from "./shared_workflow_state.ts";
