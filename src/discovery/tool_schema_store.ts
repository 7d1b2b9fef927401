/**
 * Reads and writes `tool_schema`, the one table of known tools (migration 019 dropped the historical
 * duplicate). Writes are upserts keyed by the tool id, so storing the same catalogue twice
 * changes nothing and a changed schema is updated in place.
 *
 * @module
 */

import type { DbClient } from "../db/client/db_client.ts";
import { formatToolId } from "./tool_id.ts";

/** A JSON Schema object, as MCP servers declare tool arguments. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A tool as stored in `tool_schema`, before it has an id. */
export interface ToolSchemaInput {
  /** The server providing the tool (`tool_schema.server_id`). */
  readonly serverId: string;
  /** The tool's name on that server. */
  readonly name: string;
  /** What the tool does; used for search. */
  readonly description?: string | null;
  /** The JSON Schema of the tool's arguments. */
  readonly inputSchema: JsonSchema;
  /** The JSON Schema of the tool's structured result, when the server declares one. */
  readonly outputSchema?: JsonSchema | null;
}

/** A row of `tool_schema`. */
export interface ToolSchema {
  /** `"<serverId>:<name>"`. */
  readonly toolId: string;
  readonly serverId: string;
  readonly name: string;
  readonly description: string | null;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema | null;
}

/** What {@linkcode upsertToolSchemas} did, as tool ids in input order. */
export interface UpsertToolSchemasResult {
  /** Tools that were not in `tool_schema`. */
  readonly inserted: string[];
  /** Tools whose server, name, description or schemas changed. */
  readonly updated: string[];
  /** Tools stored exactly as given already; their `updated_at` is left alone. */
  readonly unchanged: string[];
}

/** Rows per statement: keeps each JSON parameter far below any message-size limit. */
const BATCH_SIZE = 500;

const UPSERT_SQL = `
  INSERT INTO tool_schema AS t (tool_id, server_id, name, description, input_schema, output_schema)
  SELECT r.tool_id, r.server_id, r.name, r.description, r.input_schema, r.output_schema
  FROM jsonb_to_recordset($1::jsonb) AS r(
    tool_id TEXT, server_id TEXT, name TEXT, description TEXT, input_schema JSONB, output_schema JSONB)
  ON CONFLICT (tool_id) DO UPDATE SET
    server_id = EXCLUDED.server_id, name = EXCLUDED.name, description = EXCLUDED.description,
    input_schema = EXCLUDED.input_schema, output_schema = EXCLUDED.output_schema, updated_at = NOW()
  WHERE (t.server_id, t.name, t.description, t.input_schema, t.output_schema)
    IS DISTINCT FROM
    (EXCLUDED.server_id, EXCLUDED.name, EXCLUDED.description, EXCLUDED.input_schema, EXCLUDED.output_schema)
  RETURNING t.tool_id, (t.xmax = 0) AS inserted`;

/**
 * Inserts or updates tools in `tool_schema`, in one transaction.
 *
 * Rows that are identical are left untouched (reported as `unchanged`), so running discovery twice is
 * observable as "nothing changed" rather than as a wave of updates.
 *
 * @throws {TypeError} When a tool has an invalid server id or name, a non-object input schema, or when
 * two tools share one id.
 *
 * @example Storing a tool twice changes nothing the second time
 * ```ts
 * import { upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const tool = { serverId: "json", name: "parse", inputSchema: { type: "object" } };
 *   assert.deepEqual(await upsertToolSchemas(db, [tool]), {
 *     inserted: ["json:parse"], updated: [], unchanged: [],
 *   });
 *   assert.deepEqual(await upsertToolSchemas(db, [tool]), {
 *     inserted: [], updated: [], unchanged: ["json:parse"],
 *   });
 * });
 * ```
 */
export async function upsertToolSchemas(
  db: DbClient,
  tools: readonly ToolSchemaInput[],
): Promise<UpsertToolSchemasResult> {
  const rows = toRows(tools);
  const written = new Map<string, boolean>();
  await db.transaction(async (tx) => {
    for (let start = 0; start < rows.length; start += BATCH_SIZE) {
      const batch = JSON.stringify(rows.slice(start, start + BATCH_SIZE));
      const returned = await tx.query<{ tool_id: string; inserted: boolean }>(UPSERT_SQL, [batch]);
      for (const row of returned) written.set(row.tool_id, row.inserted);
    }
  });
  const result: UpsertToolSchemasResult = { inserted: [], updated: [], unchanged: [] };
  for (const { tool_id } of rows) {
    const inserted = written.get(tool_id);
    const bucket = inserted === undefined ? "unchanged" : inserted ? "inserted" : "updated";
    result[bucket].push(tool_id);
  }
  return result;
}

/**
 * Reads one tool from `tool_schema`.
 *
 * @returns The tool, or `null` when no tool has this id.
 *
 * @example Usage
 * ```ts
 * import { getToolSchema, upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   await upsertToolSchemas(db, [
 *     { serverId: "api", name: "get", inputSchema: { type: "object" } },
 *   ]);
 *   assert.equal((await getToolSchema(db, "api:get"))?.name, "get");
 *   assert.equal(await getToolSchema(db, "api:delete"), null);
 * });
 * ```
 */
export async function getToolSchema(db: DbClient, toolId: string): Promise<ToolSchema | null> {
  const row = await db.queryOne<ToolSchemaRow>(
    `SELECT tool_id, server_id, name, description, input_schema, output_schema
     FROM tool_schema WHERE tool_id = $1`,
    [toolId],
  );
  return row === null ? null : fromRow(row);
}

/**
 * Lists the tools of `tool_schema` ordered by tool id, optionally those of one server only.
 *
 * @example Usage
 * ```ts
 * import { listToolSchemas, upsertToolSchemas } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   await upsertToolSchemas(db, [
 *     { serverId: "api", name: "post", inputSchema: { type: "object" } },
 *     { serverId: "json", name: "parse", inputSchema: { type: "object" } },
 *   ]);
 *   const tools = await listToolSchemas(db, { serverId: "api" });
 *   assert.deepEqual(tools.map((tool) => tool.toolId), ["api:post"]);
 * });
 * ```
 */
export async function listToolSchemas(
  db: DbClient,
  options: { readonly serverId?: string } = {},
): Promise<ToolSchema[]> {
  const rows = await db.query<ToolSchemaRow>(
    `SELECT tool_id, server_id, name, description, input_schema, output_schema
     FROM tool_schema WHERE $1::text IS NULL OR server_id = $1 ORDER BY tool_id`,
    [options.serverId ?? null],
  );
  return rows.map(fromRow);
}

interface ToolSchemaRow extends Record<string, unknown> {
  tool_id: string;
  server_id: string;
  name: string;
  description: string | null;
  input_schema: JsonSchema;
  output_schema: JsonSchema | null;
}

function fromRow(row: ToolSchemaRow): ToolSchema {
  return {
    toolId: row.tool_id,
    serverId: row.server_id,
    name: row.name,
    description: row.description,
    inputSchema: row.input_schema,
    outputSchema: row.output_schema,
  };
}

function toRows(tools: readonly ToolSchemaInput[]) {
  const seen = new Set<string>();
  return tools.map((tool) => {
    const toolId = formatToolId(tool.serverId, tool.name);
    if (seen.has(toolId)) {
      throw new TypeError(
        `Cannot upsert tool schemas: the tool "${toolId}" appears more than once`,
      );
    }
    seen.add(toolId);
    if (!isObject(tool.inputSchema)) {
      throw new TypeError(
        `Cannot upsert the tool "${toolId}": expected a JSON Schema object as input schema, found ${
          JSON.stringify(tool.inputSchema)
        }`,
      );
    }
    return {
      tool_id: toolId,
      server_id: tool.serverId,
      name: tool.name,
      description: tool.description ?? null,
      input_schema: tool.inputSchema,
      output_schema: tool.outputSchema ?? null,
    };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
