import assert from "node:assert/strict";
import { FakeClock } from "../../fixtures/fake_clock.ts";
import { Gateway, type ToolCaller } from "../../src/gateway/gateway.ts";
import { GatewayError } from "../../src/gateway/gateway_error.ts";
import { stubDb } from "../stub_db.ts";

/** Every tool exists in tool_schema; observed edges come back as inserted. */
function catalogueDb() {
  return stubDb((sql, params) => {
    if (sql.includes("FROM tool_schema")) {
      return [{ tool_id: params[0], server_id: "s", name: "n" }];
    }
    if (sql.includes("INSERT INTO tool_dependency")) {
      return [{
        from_tool_id: params[0],
        to_tool_id: params[1],
        observed_count: 1,
        confidence_score: 0.5,
        edge_type: "sequence",
      }];
    }
    return [];
  });
}

function caller(result: Awaited<ReturnType<ToolCaller["callTool"]>> | Error) {
  const calls: { name: string; arguments?: Record<string, unknown> }[] = [];
  const client: ToolCaller = {
    callTool: (params) => {
      calls.push(params);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
  return { client, calls };
}

const wroteEdges = (calls: { sql: string }[]) =>
  calls.some((c) => c.sql.includes("tool_dependency"));

Deno.test("Gateway.callTool() sends the tool's own name and arguments to its server's client", async () => {
  const { db } = catalogueDb();
  const fs = caller({ content: [{ type: "text", text: "hello" }] });
  const gateway = new Gateway(db, { fs: fs.client });
  const outcome = await gateway.callTool("fs:read", { path: "/a" });
  assert.deepEqual(fs.calls, [{ name: "read", arguments: { path: "/a" } }]);
  assert.deepEqual(outcome, {
    toolId: "fs:read",
    content: [{ type: "text", text: "hello" }],
    text: "hello",
    observedEdges: [],
  });
});

Deno.test("Gateway.callTool() joins text items, keeps other content and structured content", async () => {
  const { db } = catalogueDb();
  const content = [
    { type: "text", text: "one" },
    { type: "image", data: "AAAA", mimeType: "image/png" },
    { type: "text", text: "two" },
  ];
  const gateway = new Gateway(db, {
    fs: caller({ content, structuredContent: { lines: 2 } }).client,
  });
  const outcome = await gateway.callTool("fs:read", {});
  assert.equal(outcome.text, "one\ntwo");
  assert.deepEqual(outcome.content, content);
  assert.deepEqual(outcome.structuredContent, { lines: 2 });
});

Deno.test("Gateway.callTool() refuses a server without a client before touching the database", async () => {
  const { db, calls } = catalogueDb();
  const gateway = new Gateway(db, { fs: caller({ content: [] }).client });
  await assert.rejects(gateway.callTool("toString:x", {}), {
    name: "GatewayError",
    message: 'Cannot call "toString:x": no server "toString" is connected (connected: fs)',
  });
  assert.deepEqual(calls, []);
});

Deno.test("Gateway.callTool() refuses a tool missing from tool_schema without calling it", async () => {
  const { db } = stubDb();
  const fs = caller({ content: [] });
  const gateway = new Gateway(db, { fs: fs.client });
  await assert.rejects(gateway.callTool("fs:read", {}), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.deepEqual([error.code, error.toolId], ["UNKNOWN_TOOL", "fs:read"]);
    return true;
  });
  assert.deepEqual(fs.calls, []);
});

Deno.test("Gateway.callTool() turns an error answer into TOOL_CALL_FAILED and records nothing", async () => {
  const { db, calls } = catalogueDb();
  const gateway = new Gateway(db, {
    fs: caller({ content: [{ type: "text", text: "disk full" }], isError: true }).client,
  });
  await assert.rejects(gateway.callTool("fs:write", {}, { after: ["fs:read"] }), {
    name: "GatewayError",
    message: 'Cannot call "fs:write": the server answered "disk full"',
  });
  assert.equal(wroteEdges(calls), false);
});

Deno.test("Gateway.callTool() wraps a failing client, keeping the cause", async () => {
  const { db, calls } = catalogueDb();
  const cause = new Error("transport closed");
  const gateway = new Gateway(db, { fs: caller(cause).client });
  await assert.rejects(
    gateway.callTool("fs:read", {}, { after: ["fs:list"] }),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, "TOOL_CALL_FAILED");
      assert.equal(error.message, 'Cannot call "fs:read": the client failed (transport closed)');
      assert.equal(error.cause, cause);
      return true;
    },
  );
  assert.equal(wroteEdges(calls), false);
});

Deno.test("Gateway.callTool() checks every 'after' id before calling", async () => {
  const { db, calls } = catalogueDb();
  const fs = caller({ content: [] });
  const gateway = new Gateway(db, { fs: fs.client });
  await assert.rejects(gateway.callTool("fs:read", {}, { after: ["nocolon"] }), TypeError);
  assert.deepEqual([calls, fs.calls], [[], []]);
});

Deno.test("Gateway.callTool() records an edge from each 'after' tool, stamped by the injected clock", async () => {
  const { db, calls } = catalogueDb();
  const clock = new FakeClock(Date.UTC(2025, 5, 1));
  const gateway = new Gateway(db, { fs: caller({ content: [] }).client }, { clock });
  const outcome = await gateway.callTool("fs:write", {}, {
    after: ["fs:read", "fs:write", "fs:list"],
  });
  assert.deepEqual(outcome.observedEdges.map((e) => `${e.from}>${e.to}`), [
    "fs:read>fs:write",
    "fs:list>fs:write",
  ]);
  const inserts = calls.filter((c) => c.sql.includes("INSERT INTO tool_dependency"));
  assert.deepEqual(inserts.map((c) => c.params), [
    ["fs:read", "fs:write", Date.UTC(2025, 5, 1)],
    ["fs:list", "fs:write", Date.UTC(2025, 5, 1)],
  ]);
});

Deno.test("Gateway.callTool() reports RECORDING_FAILED when the call succeeded but recording its edges failed", async () => {
  const cause = new Error("could not write tool_dependency");
  const { db, calls } = stubDb((sql, params) => {
    if (sql.includes("FROM tool_schema")) {
      return [{ tool_id: params[0], server_id: "s", name: "n" }];
    }
    if (sql.includes("INSERT INTO tool_dependency")) throw cause;
    return [];
  });
  const fs = caller({ content: [{ type: "text", text: "written" }] });
  const gateway = new Gateway(db, { fs: fs.client });
  await assert.rejects(
    gateway.callTool("fs:write", { path: "/a" }, { after: ["fs:read"] }),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.deepEqual([error.code, error.toolId, error.cause], [
        "RECORDING_FAILED",
        "fs:write",
        cause,
      ]);
      assert.equal(
        error.message,
        'Cannot record what "fs:write" followed: the call to "fs:write" succeeded but recording the observed sequence failed (could not write tool_dependency)',
      );
      return true;
    },
  );
  assert.deepEqual(fs.calls, [{ name: "write", arguments: { path: "/a" } }], "the tool did run");
  assert.equal(wroteEdges(calls), true);
});
