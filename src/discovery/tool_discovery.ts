/**
 * Tool discovery: asks connected MCP servers for their tools and caches them in `tool_schema`.
 *
 * Servers are reached through the narrow {@linkcode ToolLister} interface, which the MCP SDK's `Client`
 * satisfies, so discovery can be tested without a process or a network. A server that fails to answer
 * is reported, not thrown: the other servers' tools are still cached.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import { formatToolId } from "./tool_id.ts";
import { type JsonSchema, type ToolSchemaInput, upsertToolSchemas } from "./tool_schema_store.ts";

/** One tool as an MCP server lists it (`tools/list`). */
export interface ListedTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema?: JsonSchema;
}

/** The part of an MCP client that discovery needs; the SDK's `Client` satisfies it. */
export interface ToolLister {
  /** One page of `tools/list`; `nextCursor` asks for the next page. */
  listTools(
    params?: { cursor?: string },
  ): Promise<{ tools: readonly ListedTool[]; nextCursor?: string | undefined }>;
}

/** The outcome for one server. */
export type ServerDiscovery =
  | { readonly serverId: string; readonly status: "ok"; readonly toolIds: string[] }
  | { readonly serverId: string; readonly status: "error"; readonly error: Error };

/** What {@linkcode discoverTools} did. */
export interface DiscoveryResult {
  /** One entry per server, ordered by server id. */
  readonly servers: ServerDiscovery[];
  /** Tool ids added to `tool_schema`. */
  readonly inserted: string[];
  /** Tool ids whose stored description or schemas changed. */
  readonly updated: string[];
  /** Tool ids already stored exactly as listed. */
  readonly unchanged: string[];
}

/** The most pages read from one server, a guard against a server that never stops paginating. */
const MAX_PAGES = 1000;

/**
 * Lists the tools of every server and upserts them into `tool_schema` with `tool_id = "server:name"`.
 *
 * Discovering again updates rows in place and never duplicates them. Tools a server no longer lists are
 * kept: removing them is a decision for the caller.
 *
 * @param db The database to write to.
 * @param servers Connected clients keyed by server id.
 * @returns Per-server outcomes and which tools were inserted, updated or unchanged.
 * @throws {TypeError} When a server id is invalid, or a server lists one tool twice.
 *
 * @example Discovering a server twice
 * ```ts
 * import { discoverTools, type ToolLister } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const say = { name: "say", inputSchema: { type: "object" } };
 *   const echo: ToolLister = { listTools: () => Promise.resolve({ tools: [say] }) };
 *   const first = await discoverTools(db, { echo });
 *   assert.deepEqual(first.inserted, ["echo:say"]);
 *   const second = await discoverTools(db, { echo });
 *   assert.deepEqual(second.unchanged, ["echo:say"]);
 * });
 * ```
 */
export async function discoverTools(
  db: DbClient,
  servers: Readonly<Record<string, ToolLister>>,
): Promise<DiscoveryResult> {
  const serverIds = Object.keys(servers).sort();
  // Validates every server id up front: a bad id is the caller's mistake, not a server failure.
  for (const serverId of serverIds) formatToolId(serverId, "-");
  const outcomes: ServerDiscovery[] = [];
  const found: ToolSchemaInput[] = [];
  for (const serverId of serverIds) {
    const lister = servers[serverId];
    if (lister === undefined) continue;
    try {
      const tools = await listAllTools(serverId, lister);
      found.push(...tools.map((tool) => toInput(serverId, tool)));
      outcomes.push({
        serverId,
        status: "ok",
        toolIds: tools.map((tool) => formatToolId(serverId, tool.name)),
      });
    } catch (error) {
      outcomes.push({ serverId, status: "error", error: asError(error) });
    }
  }
  const written = await upsertToolSchemas(db, found);
  return { servers: outcomes, ...written };
}

async function listAllTools(serverId: string, lister: ToolLister): Promise<ListedTool[]> {
  const tools: ListedTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await lister.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (cursor === undefined) return tools;
  }
  throw new Error(
    `Cannot list the tools of server "${serverId}": expected at most ${MAX_PAGES} pages, found more`,
  );
}

function toInput(serverId: string, tool: ListedTool): ToolSchemaInput {
  return {
    serverId,
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
