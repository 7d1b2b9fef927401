/**
 * The workflow state cache at its historical path.
 *
 * This file exists because the issue tracker and the README name `src/cache/workflow-state-cache.ts`,
 * and because existing imports of it must keep compiling. The code lives in one file per concept:
 * {@linkcode WorkflowStateCache} and its types in `workflow_state_cache.ts`, and the functions over the
 * shared KV and clock (`saveWorkflowState`, …) in `shared_workflow_state.ts`. New code imports from
 * `mod.ts`; this file only re-exports.
 *
 * @module
 */

export * from "./workflow_state_cache.ts";
export * from "./shared_workflow_state.ts";
