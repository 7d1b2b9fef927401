/**
 * The historical location of the workflow DAG store. Its data moved from the `workflow_dags` table
 * (dropped by migration 019) to Deno KV; these functions keep their old signatures, ignore their first
 * (database) argument and delegate to the workflow state cache.
 *
 * @deprecated Import `saveWorkflowState()` and friends from the cache instead.
 * @module
 */

export {
  cleanupExpiredDAGs,
  deleteWorkflowDAG,
  extendWorkflowDAGExpiration,
  getWorkflowDAG,
  getWorkflowDAGRecord,
  saveWorkflowDAG,
  updateWorkflowDAG,
  type WorkflowDAGRecord,
} from "../cache/legacy_workflow_dag_store.ts";
export type { DAGStructure } from "../cache/workflow_dag.ts";
