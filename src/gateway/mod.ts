/**
 * The gateway: routing tool calls, learning observed edges, and recording executions, capabilities and
 * permission audits.
 *
 * @module
 */

export * from "./gateway_error.ts";
export * from "./gateway.ts";
export * from "./observed_sequence.ts";
export * from "./permission_audit.ts";
export * from "./capability_store.ts";
export * from "./execution_log.ts";
