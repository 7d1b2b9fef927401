/**
 * The workflow state cache at its historical path (named by story 11.0 and the issue tracker), for
 * imports written against it. Code in this repository imports `workflow_state_cache.ts` and
 * `shared_workflow_state.ts` directly; this file only re-exports.
 *
 * @module
 */

export * from "./workflow_state_cache.ts";
export * from "./shared_workflow_state.ts";
export * from "./legacy_workflow_dag_store.ts";
