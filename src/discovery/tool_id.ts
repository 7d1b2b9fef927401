/**
 * Tool ids: `"<server_id>:<name>"`, the primary key of `tool_schema` and the address a gateway routes.
 * Built and split in one place so every module agrees on the format.
 *
 * @module
 */

/** The two parts of a tool id. */
export interface ToolAddress {
  /** The MCP server that provides the tool; never contains `:`. */
  readonly serverId: string;
  /** The tool's name on that server; may contain `:`. */
  readonly name: string;
}

/**
 * Builds the tool id `"<serverId>:<name>"`.
 *
 * @throws {TypeError} When `serverId` is empty or contains `:` (the id could not be split back), or
 * `name` is empty.
 *
 * @example Usage
 * ```ts
 * import { formatToolId } from "./tool_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatToolId("filesystem", "read"), "filesystem:read");
 * ```
 */
export function formatToolId(serverId: string, name: string): string {
  if (typeof serverId !== "string" || serverId === "" || serverId.includes(":")) {
    throw new TypeError(
      `Cannot build a tool id: expected a non-empty server id without ":", found ${
        JSON.stringify(serverId)
      }`,
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot build a tool id for server "${serverId}": expected a non-empty tool name, found ${
        JSON.stringify(name)
      }`,
    );
  }
  return `${serverId}:${name}`;
}

/**
 * Splits a tool id at its first `:`.
 *
 * @throws {TypeError} When `toolId` has no `:` or an empty part.
 *
 * @example Usage
 * ```ts
 * import { parseToolId } from "./tool_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseToolId("json:parse"), { serverId: "json", name: "parse" });
 * assert.throws(() => parseToolId("parse"), TypeError);
 * ```
 */
export function parseToolId(toolId: string): ToolAddress {
  const separator = typeof toolId === "string" ? toolId.indexOf(":") : -1;
  if (separator <= 0 || separator === toolId.length - 1) {
    throw new TypeError(
      `Cannot parse the tool id: expected "<server_id>:<name>", found ${JSON.stringify(toolId)}`,
    );
  }
  return { serverId: toolId.slice(0, separator), name: toolId.slice(separator + 1) };
}
