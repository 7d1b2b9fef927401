/**
 * E2E 02 — discovery: the tools of the three fixture MCP servers land in `tool_schema`, once, with the
 * schemas the servers declare; re-discovery updates in place.
 */
import assert from "node:assert/strict";
import { connectFixtureServers } from "../fixtures/mcp_servers.ts";
import { withMigratedDb } from "../fixtures/test_db.ts";
import { FIXTURE_TOOLS } from "../fixtures/tool_catalog.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { discoverTools, type ToolLister } from "../src/discovery/tool_discovery.ts";
import { listToolSchemas } from "../src/discovery/tool_schema_store.ts";

const FIXTURE_IDS = FIXTURE_TOOLS.map((tool) => `${tool.serverId}:${tool.name}`).sort();

async function countTools(db: DbClient): Promise<number> {
  const row = await db.queryOne<{ n: number }>("SELECT count(*)::int AS n FROM tool_schema");
  return row?.n ?? -1;
}

/** Tool id → physical row version, which changes whenever the row is rewritten. */
async function rowVersions(db: DbClient): Promise<Record<string, string>> {
  const rows = await db.query<{ tool_id: string; ctid: string }>(
    "SELECT tool_id, ctid::text AS ctid FROM tool_schema ORDER BY tool_id",
  );
  return Object.fromEntries(rows.map((row) => [row.tool_id, row.ctid]));
}

Deno.test("02 discovery: the fixture servers' tools are cached in tool_schema", async (t) => {
  await using servers = await connectFixtureServers();
  await withMigratedDb(async (db) => {
    await t.step("the first discovery inserts the 7 tools, one outcome per server", async () => {
      const result = await discoverTools(db, servers.clients);
      assert.deepEqual(result.servers.map((server) => [server.serverId, server.status]), [
        ["api", "ok"],
        ["filesystem", "ok"],
        ["json", "ok"],
      ]);
      assert.deepEqual([...result.inserted].sort(), FIXTURE_IDS);
      assert.deepEqual([result.updated, result.unchanged], [[], []]);
    });

    await t.step(
      "each row holds server, name, description and the schema the server declared",
      async () => {
        const stored = await listToolSchemas(db);
        assert.deepEqual(stored.map((tool) => tool.toolId), FIXTURE_IDS);
        for (const tool of FIXTURE_TOOLS) {
          const row = stored.find((s) => s.serverId === tool.serverId && s.name === tool.name);
          assert.ok(row, `${tool.serverId}:${tool.name} is stored`);
          // The SDK adds the draft it emits; everything else is the catalogue's schema, unchanged.
          const { $schema, ...inputSchema } = row.inputSchema;
          assert.equal($schema, "http://json-schema.org/draft-07/schema#");
          assert.deepEqual(
            { description: row.description, inputSchema, outputSchema: row.outputSchema },
            { description: tool.description, inputSchema: tool.inputSchema, outputSchema: null },
          );
        }
      },
    );

    await t.step("filesystem:read requires a path string", async () => {
      const [read] = await listToolSchemas(db, { serverId: "filesystem" }).then((tools) =>
        tools.filter((tool) => tool.name === "read")
      );
      assert.deepEqual(read?.inputSchema.required, ["path"]);
      assert.deepEqual(
        (read?.inputSchema.properties as Record<string, { type: string }>).path?.type,
        "string",
      );
    });

    await t.step("discovering again changes nothing and duplicates nothing", async () => {
      // The harness runs each test in one transaction, where NOW() never moves, so timestamps cannot show
      // a rewrite; a row's physical location (ctid) does: every UPDATE writes a new row version.
      const before = await rowVersions(db);
      const result = await discoverTools(db, servers.clients);
      assert.deepEqual([result.inserted, result.updated, [...result.unchanged].sort()], [
        [],
        [],
        FIXTURE_IDS,
      ]);
      assert.equal(await countTools(db), 7);
      assert.deepEqual(await rowVersions(db), before);
    });

    await t.step("a changed description is updated in place", async () => {
      const renamed: ToolLister = {
        listTools: async () => {
          const { tools } = await servers.clients.json.listTools();
          return {
            tools: tools.map((tool) =>
              tool.name === "parse" ? { ...tool, description: "Parse a JSON document" } : tool
            ),
          };
        },
      };
      const before = await rowVersions(db);
      const result = await discoverTools(db, { json: renamed });
      assert.deepEqual([result.inserted, result.updated], [[], ["json:parse"]]);
      assert.equal(await countTools(db), 7);
      const after = await rowVersions(db);
      const rewritten = Object.keys(after).filter((toolId) => after[toolId] !== before[toolId]);
      assert.deepEqual(rewritten, ["json:parse"]);
      const row = await db.queryOne(
        "SELECT description FROM tool_schema WHERE tool_id = 'json:parse'",
      );
      assert.deepEqual(row, { description: "Parse a JSON document" });
    });
  });
});

Deno.test("02 discovery: a failing server is reported and the others are still cached", async () => {
  await using servers = await connectFixtureServers();
  await withMigratedDb(async (db) => {
    const broken: ToolLister = { listTools: () => Promise.reject(new Error("connection reset")) };
    const result = await discoverTools(db, { ...servers.clients, broken });
    const failure = result.servers.find((server) => server.serverId === "broken");
    assert.equal(failure?.status, "error");
    assert.equal(failure?.status === "error" && failure.error.message, "connection reset");
    assert.equal(result.inserted.length, 7);
    assert.equal(await countTools(db), 7);
  });
});

Deno.test("02 discovery: every page of a paginated tools/list is cached", async () => {
  await withMigratedDb(async (db) => {
    const inputSchema = { type: "object" };
    const paged: ToolLister = {
      listTools: (params) =>
        Promise.resolve(
          params?.cursor === "2"
            ? { tools: [{ name: "second", inputSchema }] }
            : { tools: [{ name: "first", inputSchema }], nextCursor: "2" },
        ),
    };
    const result = await discoverTools(db, { paged });
    assert.deepEqual(result.inserted, ["paged:first", "paged:second"]);
  });
});

Deno.test("02 discovery: a server listing one tool twice is refused and nothing is written", async () => {
  await withMigratedDb(async (db) => {
    const inputSchema = { type: "object" };
    const twice: ToolLister = {
      listTools: () =>
        Promise.resolve({ tools: [{ name: "x", inputSchema }, { name: "x", inputSchema }] }),
    };
    await assert.rejects(discoverTools(db, { twice }), {
      name: "TypeError",
      message: 'Cannot upsert tool schemas: the tool "twice:x" appears more than once',
    });
    assert.equal(await countTools(db), 0);
  });
});
