/**
 * The cache at its historical kebab-case path, for imports written against it; only re-exports.
 *
 * @module
 */

export * from "./cache_error.ts";
export * from "./workflow_state_cache.ts";
export * from "./shared_workflow_state.ts";
export * from "./legacy_workflow_dag_store.ts";
