/**
 * E2E 07 — gateway: `server:tool` calls are routed to the fixture MCP servers for tools cached in
 * `tool_schema`; observed sequences become `tool_dependency` edges; permission audit rows are tied to a
 * capability of `workflow_pattern`. Refused calls record nothing.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../fixtures/fake_clock.ts";
import { connectFixtureServers, type FixtureServers } from "../fixtures/mcp_servers.ts";
import { withMigratedDb } from "../fixtures/test_db.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { DbError } from "../src/db/client/db_error.ts";
import { discoverTools } from "../src/discovery/tool_discovery.ts";
import { upsertToolSchemas } from "../src/discovery/tool_schema_store.ts";
import { HashingEmbedder } from "../src/embeddings/hashing_embedder.ts";
import { recordCapabilityUse } from "../src/gateway/capability_store.ts";
import { Gateway } from "../src/gateway/gateway.ts";
import { GatewayError } from "../src/gateway/gateway_error.ts";

const START = Date.UTC(2025, 0, 1, 12);

async function setUp(db: DbClient, servers: FixtureServers) {
  await discoverTools(db, servers.clients);
  const clock = new FakeClock(START);
  let ids = 0;
  const gateway = new Gateway(db, servers.clients, { clock, newId: () => `audit-${++ids}` });
  return { gateway, clock };
}

async function dependencyRows(db: DbClient) {
  return await db.query(
    `SELECT from_tool_id, to_tool_id, observed_count, ROUND(confidence_score::numeric, 4)::float8 AS confidence,
            edge_type, edge_source, last_observed
     FROM tool_dependency ORDER BY from_tool_id, to_tool_id`,
  );
}

async function count(db: DbClient, table: string): Promise<number> {
  const row = await db.queryOne<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row?.n ?? -1;
}

Deno.test("07 gateway: calls are routed to the MCP servers and sequences are learned", async (t) => {
  await using servers = await connectFixtureServers();
  await withMigratedDb(async (db) => {
    const { gateway, clock } = await setUp(db, servers);

    await t.step("a call reaches the server and returns its result", async () => {
      const outcome = await gateway.callTool("filesystem:read", { path: "/data/config.json" });
      assert.deepEqual(outcome, {
        toolId: "filesystem:read",
        content: [{ type: "text", text: '{"service":"pml-store","retries":3}' }],
        text: '{"service":"pml-store","retries":3}',
        observedEdges: [],
      });
    });

    await t.step("a call after another records an observed sequence edge", async () => {
      const outcome = await gateway.callTool("json:parse", { text: '{"a":1}' }, {
        after: ["filesystem:read"],
      });
      assert.equal(outcome.text, '{"a":1}');
      assert.deepEqual(outcome.observedEdges, [{
        from: "filesystem:read",
        to: "json:parse",
        observedCount: 1,
        confidence: 0.5,
        edgeType: "sequence",
        edgeSource: "observed",
      }]);
      assert.deepEqual(await dependencyRows(db), [{
        from_tool_id: "filesystem:read",
        to_tool_id: "json:parse",
        observed_count: 1,
        confidence: 0.5,
        edge_type: "sequence",
        edge_source: "observed",
        last_observed: new Date(START),
      }]);
    });

    await t.step("observing it again raises the count and the confidence", async () => {
      clock.advance(60_000);
      await gateway.callTool("json:parse", { text: "[]" }, { after: ["filesystem:read"] });
      clock.advance(60_000);
      const { observedEdges } = await gateway.callTool("json:parse", { text: "[]" }, {
        after: ["filesystem:read"],
      });
      assert.deepEqual(
        observedEdges.map((e) => [e.observedCount, e.confidence]),
        [[3, 0.75]],
      );
      const [row] = await dependencyRows(db);
      assert.deepEqual(row?.last_observed, new Date(START + 120_000));
    });

    await t.step("a call after several tools records one edge from each", async () => {
      const { observedEdges } = await gateway.callTool("api:post", {
        url: "https://api.example.com/items",
        body: { a: 1 },
      }, { after: ["json:parse", "api:get"] });
      assert.deepEqual(observedEdges.map((e) => `${e.from}>${e.to}`), [
        "json:parse>api:post",
        "api:get>api:post",
      ]);
      assert.deepEqual(servers.requests.at(-1), {
        method: "POST",
        url: "https://api.example.com/items",
        body: { a: 1 },
      });
    });

    await t.step(
      "observing an edge a template declared keeps its type and higher confidence",
      async () => {
        await db.query(
          `INSERT INTO tool_dependency (from_tool_id, to_tool_id, edge_type, edge_source, confidence_score)
         VALUES ('json:stringify', 'filesystem:write', 'dependency', 'template', 0.9)`,
        );
        const { observedEdges } = await gateway.callTool("filesystem:write", {
          path: "/out.json",
          content: "{}",
        }, { after: ["json:stringify"] });
        assert.deepEqual(observedEdges, [{
          from: "json:stringify",
          to: "filesystem:write",
          observedCount: 2,
          confidence: 0.9,
          edgeType: "dependency",
          edgeSource: "observed",
        }]);
        assert.equal(servers.files.get("/out.json"), "{}");
      },
    );
  });
});

Deno.test("07 gateway: refused calls are clear errors and record nothing", async (t) => {
  await using servers = await connectFixtureServers();
  await withMigratedDb(async (db) => {
    const { gateway } = await setUp(db, servers);
    const after = { after: ["filesystem:read"] };

    await t.step("a server that is not connected", async () => {
      await assert.rejects(gateway.callTool("mail:send", {}, after), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.deepEqual([error.code, error.toolId, error.message], [
          "UNKNOWN_TOOL",
          "mail:send",
          'Cannot call "mail:send": no server "mail" is connected (connected: api, filesystem, json)',
        ]);
        return true;
      });
    });

    await t.step("a tool that is not in tool_schema", async () => {
      await assert.rejects(gateway.callTool("filesystem:delete", { path: "/x" }, after), {
        name: "GatewayError",
        message:
          'Cannot call "filesystem:delete": the tool is not in tool_schema (run discovery first)',
      });
    });

    await t.step("a cached tool the server does not have", async () => {
      await upsertToolSchemas(db, [{
        serverId: "json",
        name: "validate",
        inputSchema: { type: "object" },
      }]);
      await assert.rejects(gateway.callTool("json:validate", {}, after), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, "TOOL_CALL_FAILED");
        assert.match(
          error.message,
          /^Cannot call "json:validate": the server answered ".*Tool validate not found"$/,
        );
        return true;
      });
    });

    await t.step("arguments that break the tool's schema", async () => {
      await assert.rejects(
        gateway.callTool("filesystem:read", { file: "/x" }, after),
        (error: unknown) => {
          assert.ok(error instanceof GatewayError);
          assert.equal(error.code, "TOOL_CALL_FAILED");
          assert.match(error.message, /Input validation error/);
          return true;
        },
      );
    });

    await t.step("a tool that answers with an error", async () => {
      await assert.rejects(gateway.callTool("filesystem:read", { path: "/missing" }, after), {
        name: "GatewayError",
        message:
          'Cannot call "filesystem:read": the server answered "Cannot read "/missing": no such file"',
      });
    });

    await t.step("a malformed tool id", async () => {
      await assert.rejects(gateway.callTool("read", {}), {
        name: "TypeError",
        message: 'Cannot parse the tool id: expected "<server_id>:<name>", found "read"',
      });
    });

    await t.step("none of them left an edge", async () => {
      assert.equal(await count(db, "tool_dependency"), 0);
    });
  });
});

Deno.test("07 gateway: permission audit rows are tied to a capability", async (t) => {
  await using servers = await connectFixtureServers();
  await withMigratedDb(async (db) => {
    const { gateway } = await setUp(db, servers);
    const capability = await recordCapabilityUse(db, {
      patternHash: "read-parse",
      dagStructure: { tasks: ["filesystem:read", "json:parse"] },
      intentEmbedding: await new HashingEmbedder().embed("read and parse a file"),
      success: true,
      permissionSet: "minimal",
    });

    await t.step(
      "an audit row for a known capability is written with the gateway's clock and id",
      async () => {
        const record = await gateway.recordPermissionAudit({
          capabilityId: capability.patternId.toUpperCase(),
          fromSet: "minimal",
          toSet: "filesystem",
          approved: true,
          approvedBy: "ops",
          detectedOperation: "filesystem:write",
        });
        const expected = {
          id: "audit-1",
          timestamp: START,
          capabilityId: capability.patternId,
          fromSet: "minimal",
          toSet: "filesystem",
          approved: true,
          approvedBy: "ops",
          reason: null,
          detectedOperation: "filesystem:write",
        };
        assert.deepEqual(record, expected);
        const row = await db.queryOne(
          `SELECT id, timestamp::float8 AS timestamp, capability_id::text AS capability_id, from_set, to_set,
                approved, approved_by, reason, detected_operation FROM permission_audit_log`,
        );
        assert.deepEqual(row, {
          id: "audit-1",
          timestamp: START,
          capability_id: capability.patternId,
          from_set: "minimal",
          to_set: "filesystem",
          approved: 1,
          approved_by: "ops",
          reason: null,
          detected_operation: "filesystem:write",
        });
      },
    );

    await t.step(
      "an audit row for an unknown capability fails naming the foreign key",
      async () => {
        await assert.rejects(
          gateway.recordPermissionAudit({
            capabilityId: "00000000-0000-4000-8000-000000000000",
            fromSet: "minimal",
            toSet: "trusted",
            approved: false,
          }),
          (error: unknown) => {
            assert.ok(error instanceof GatewayError);
            assert.equal(error.code, "UNKNOWN_CAPABILITY");
            assert.equal(
              error.message,
              'Cannot record the permission audit: foreign key fk_permission_audit_capability rejects capability "00000000-0000-4000-8000-000000000000", which is not a workflow_pattern.pattern_id',
            );
            assert.ok(error.cause instanceof DbError);
            assert.equal(error.cause.sqlState, "23503");
            return true;
          },
        );
        assert.equal(await count(db, "permission_audit_log"), 1);
      },
    );

    await t.step(
      "an audited capability cannot be deleted, and the error names the constraint",
      async () => {
        const error = await db.transaction((tx) =>
          tx.query("DELETE FROM workflow_pattern WHERE pattern_id = $1::uuid", [
            capability.patternId,
          ])
        ).catch((e: unknown) => e);
        assert.ok(error instanceof DbError);
        assert.equal(error.constraint, "fk_permission_audit_capability");
        assert.equal(await count(db, "workflow_pattern"), 1);
      },
    );

    await t.step(
      "a capability id that is not a UUID and an unknown permission set are refused",
      async () => {
        const entry = {
          capabilityId: "cap-1",
          fromSet: "minimal",
          toSet: "trusted",
          approved: false,
        } as const;
        await assert.rejects(gateway.recordPermissionAudit(entry), {
          name: "TypeError",
          message:
            'Cannot record the permission audit: expected the capability id to be a UUID, found "cap-1"',
        });
        await assert.rejects(
          gateway.recordPermissionAudit({
            ...entry,
            capabilityId: capability.patternId,
            toSet: "root" as "trusted",
          }),
          {
            name: "RangeError",
            message:
              "Cannot record the permission audit as 'toSet' must be one of minimal, readonly, filesystem, network-api, mcp-standard, trusted: current value is \"root\"",
          },
        );
        assert.equal(await count(db, "permission_audit_log"), 1);
      },
    );
  });
});
