/**
 * The tool graph read from `tool_dependency`, and DAG layering.
 *
 * @module
 */

export * from "./tool_graph.ts";
export * from "./load_tool_graph.ts";
