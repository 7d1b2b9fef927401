/**
 * The cache: Deno KV behind a narrow interface, a TTL layer that enforces expiry with an injected clock,
 * and the workflow state cache (with the deprecated workflow DAG store API on top).
 *
 * @module
 */

export type {
  KvAtomicCheck,
  KvAtomicOperation,
  KvClient,
  KvCommitError,
  KvCommitResult,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvKeyPart,
  KvListOptions,
  KvListSelector,
  KvSetOptions,
} from "./kv_client.ts";
export type { Override } from "./override.ts";
export { type Clock, FakeClock, getClock, installClock, systemClock } from "./clock.ts";
export {
  closeKv,
  DEFAULT_KV_PATH,
  getKv,
  installKv,
  type KvRuntime,
  MEMORY_KV_PATH,
  openKvClient,
  type OpenKvOptions,
  resolveKvPath,
} from "./kv.ts";
export {
  assertWorkflowId,
  encodedKeySize,
  MAX_WORKFLOW_ID_BYTES,
  WORKFLOW_CHUNK_NAMESPACE,
  WORKFLOW_NAMESPACE,
  WORKFLOW_PREFIX,
  workflowChunkKey,
  workflowKey,
} from "./keys.ts";
export {
  CacheEntryCorruptError,
  CacheError,
  type CacheErrorCode,
  KvOpenError,
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
  type WorkflowStateSize,
  WorkflowStateTooLargeError,
  type WorkflowStateVersions,
} from "./cache_error.ts";
export {
  TtlAtomic,
  type TtlEntry,
  type TtlGetOptions,
  type TtlLookup,
  type TtlSetOptions,
  TtlStore,
  type TtlStoreOptions,
  type TtlSweepOptions,
} from "./ttl_store.ts";
export {
  assertWorkflowDag,
  type DAGStructure,
  type JsonObject,
  type JsonPrimitive,
  type JsonValue,
  type WorkflowDag,
  type WorkflowTask,
} from "./workflow_dag.ts";
export {
  DEFAULT_MAX_ATTEMPTS,
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
