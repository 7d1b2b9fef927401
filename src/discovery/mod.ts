/**
 * Tool discovery: listing the tools of connected MCP servers and caching them in `tool_schema`.
 *
 * @module
 */

export * from "./tool_schema_store.ts";
export * from "./tool_discovery.ts";
