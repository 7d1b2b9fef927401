/**
 * The gateway: one entry point that routes `server:tool` calls to connected MCP clients, checks them
 * against the tool cache (`tool_schema`), learns which tools follow which (`tool_dependency`, observed
 * edges) and keeps the permission audit trail.
 *
 * @module
 */

import type { Clock } from "../cache/clock.ts";
import type { DbClient } from "../db/client/db_client.ts";
import { getToolSchema } from "../discovery/tool_schema_store.ts";
import { parseToolId } from "../discovery/tool_id.ts";
import { GatewayError } from "./gateway_error.ts";
import { type ObservedEdge, recordObservedEdges } from "./observed_sequence.ts";
import {
  type PermissionAuditEntry,
  type PermissionAuditRecord,
  recordPermissionAudit,
} from "./permission_audit.ts";

/** One item of a tool result's `content` (text, image, resource, …). */
export interface ToolContent {
  readonly type: string;
  readonly text?: string;
  readonly [field: string]: unknown;
}

/** The part of an MCP client the gateway needs; the SDK's `Client` satisfies it. */
export interface ToolCaller {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<{
    content?: unknown;
    structuredContent?: unknown;
    isError?: unknown;
    [field: string]: unknown;
  }>;
}

/** Options of {@linkcode Gateway}. */
export interface GatewayOptions {
  /** Stamps observed edges and audit rows. Default the system clock. */
  readonly clock?: Clock;
  /** Makes audit row ids. Default `crypto.randomUUID()`. */
  readonly newId?: () => string;
}

/** Options of {@linkcode Gateway.callTool}. */
export interface CallToolOptions {
  /**
   * Tools whose calls this one follows in the same workflow (e.g. the task's dependencies). After a
   * successful call, an observed edge is recorded from each of them to this tool.
   */
  readonly after?: readonly string[];
}

/** The result of a successful call. */
export interface ToolCallOutcome {
  readonly toolId: string;
  readonly content: readonly ToolContent[];
  /** The concatenated `text` of the text items, one per line. */
  readonly text: string;
  readonly structuredContent?: unknown;
  /** The edges recorded because of `after`, in its order. */
  readonly observedEdges: readonly ObservedEdge[];
}

/**
 * Routes tool calls and records what it learns; see the module documentation.
 *
 * @example Calling a tool after another
 * ```ts
 * import { Gateway, upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const inputSchema = { type: "object" };
 *   await upsertToolSchemas(db, [
 *     { serverId: "echo", name: "say", inputSchema },
 *     { serverId: "echo", name: "shout", inputSchema },
 *   ]);
 *   type Call = { name: string; arguments?: Record<string, unknown> };
 *   const echo = {
 *     callTool: ({ name, arguments: args }: Call) =>
 *       Promise.resolve({ content: [{ type: "text", text: `${name}: ${String(args?.words)}` }] }),
 *   };
 *   const gateway = new Gateway(db, { echo });
 *   const outcome = await gateway.callTool("echo:shout", { words: "hi" }, { after: ["echo:say"] });
 *   assert.equal(outcome.text, "shout: hi");
 *   assert.equal(outcome.observedEdges[0]?.observedCount, 1);
 * });
 * ```
 */
export class Gateway {
  readonly #db: DbClient;
  readonly #clients: Readonly<Record<string, ToolCaller>>;
  readonly #options: GatewayOptions;

  /**
   * @param db The database holding the tool cache and the learned edges.
   * @param clients Connected MCP clients keyed by server id.
   * @param options See {@linkcode GatewayOptions}.
   */
  constructor(
    db: DbClient,
    clients: Readonly<Record<string, ToolCaller>>,
    options: GatewayOptions = {},
  ) {
    this.#db = db;
    this.#clients = clients;
    this.#options = options;
  }

  /**
   * Calls `toolId` (`"server:name"`) with `args` on its server's client.
   *
   * The tool must be connected and cached in `tool_schema`; argument validation is the server's, against
   * the schema it declared. Nothing is recorded unless the call succeeds.
   *
   * @throws {TypeError} When `toolId` or an `after` id is not `"server:name"`.
   * @throws {GatewayError} `UNKNOWN_TOOL` when no client serves the server or the tool is not in
   * `tool_schema`; `TOOL_CALL_FAILED` when the call throws or the server answers with an error;
   * `RECORDING_FAILED` when the call succeeded (the tool ran) but recording the observed edges failed,
   * with the database error as `cause`.
   */
  async callTool(
    toolId: string,
    args: Record<string, unknown> = {},
    options: CallToolOptions = {},
  ): Promise<ToolCallOutcome> {
    const { serverId, name } = parseToolId(toolId);
    const after = options.after ?? [];
    for (const previous of after) parseToolId(previous);
    const client = Object.hasOwn(this.#clients, serverId) ? this.#clients[serverId] : undefined;
    if (client === undefined) {
      const known = Object.keys(this.#clients).sort().join(", ") || "none";
      throw new GatewayError(
        "UNKNOWN_TOOL",
        `Cannot call "${toolId}": no server "${serverId}" is connected (connected: ${known})`,
        { toolId },
      );
    }
    if (await getToolSchema(this.#db, toolId) === null) {
      throw new GatewayError(
        "UNKNOWN_TOOL",
        `Cannot call "${toolId}": the tool is not in tool_schema (run discovery first)`,
        { toolId },
      );
    }
    const content = await this.#invoke(client, toolId, name, args);
    const observedEdges = await this.#recordEdges(toolId, after);
    return { toolId, ...content, observedEdges };
  }

  /**
   * Writes a permission audit row; see {@linkcode recordPermissionAudit}, with the gateway's clock and
   * id generator.
   *
   * @throws {GatewayError} `UNKNOWN_CAPABILITY` when the capability is not in `workflow_pattern`.
   */
  recordPermissionAudit(entry: PermissionAuditEntry): Promise<PermissionAuditRecord> {
    return recordPermissionAudit(this.#db, entry, {
      clock: this.#options.clock,
      newId: this.#options.newId,
    });
  }

  /** Records an edge from each of `after` to `toolId`; the call already succeeded, so say so on failure. */
  async #recordEdges(toolId: string, after: readonly string[]): Promise<readonly ObservedEdge[]> {
    try {
      return await recordObservedEdges(
        this.#db,
        after.map((from) => ({ from, to: toolId })),
        { clock: this.#options.clock },
      );
    } catch (cause) {
      throw new GatewayError(
        "RECORDING_FAILED",
        `Cannot record what "${toolId}" followed: the call to "${toolId}" succeeded but recording the observed sequence failed (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        { toolId, cause },
      );
    }
  }

  async #invoke(
    client: ToolCaller,
    toolId: string,
    name: string,
    args: Record<string, unknown>,
  ): Promise<Pick<ToolCallOutcome, "content" | "text" | "structuredContent">> {
    let result: Awaited<ReturnType<ToolCaller["callTool"]>>;
    try {
      result = await client.callTool({ name, arguments: args });
    } catch (cause) {
      throw new GatewayError(
        "TOOL_CALL_FAILED",
        `Cannot call "${toolId}": the client failed (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        { toolId, cause },
      );
    }
    const content = Array.isArray(result.content) ? result.content.filter(isContent) : [];
    const text = content.flatMap((item) => (typeof item.text === "string" ? [item.text] : [])).join(
      "\n",
    );
    if (result.isError === true) {
      throw new GatewayError(
        "TOOL_CALL_FAILED",
        `Cannot call "${toolId}": the server answered "${text}"`,
        { toolId },
      );
    }
    return result.structuredContent === undefined
      ? { content, text }
      : { content, text, structuredContent: result.structuredContent };
  }
}

function isContent(value: unknown): value is ToolContent {
  return typeof value === "object" && value !== null &&
    typeof (value as { type?: unknown }).type === "string";
}
