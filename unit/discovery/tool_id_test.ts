import assert from "node:assert/strict";
import fc from "fast-check";
import { formatToolId, parseToolId } from "../../src/discovery/tool_id.ts";

Deno.test("formatToolId() joins server and name with a colon", () => {
  assert.equal(formatToolId("filesystem", "read"), "filesystem:read");
});

Deno.test("parseToolId() splits at the first colon, so names may contain colons", () => {
  assert.deepEqual(parseToolId("db:query:raw"), { serverId: "db", name: "query:raw" });
});

Deno.test("parseToolId() inverts formatToolId()", () => {
  const serverId = fc.string({ minLength: 1 }).filter((value) => !value.includes(":"));
  fc.assert(fc.property(serverId, fc.string({ minLength: 1 }), (server, name) => {
    assert.deepEqual(parseToolId(formatToolId(server, name)), { serverId: server, name });
  }));
});

Deno.test("formatToolId() rejects a server id that could not be split back", () => {
  assert.throws(() => formatToolId("a:b", "read"), {
    name: "TypeError",
    message: 'Cannot build a tool id: expected a non-empty server id without ":", found "a:b"',
  });
  assert.throws(() => formatToolId("fs", ""), {
    name: "TypeError",
    message: 'Cannot build a tool id for server "fs": expected a non-empty tool name, found ""',
  });
});

Deno.test("parseToolId() rejects ids without a server or a name", async (t) => {
  for (const id of ["read", ":read", "fs:", ""]) {
    await t.step(JSON.stringify(id), () => {
      assert.throws(() => parseToolId(id), {
        name: "TypeError",
        message: `Cannot parse the tool id: expected "<server_id>:<name>", found ${
          JSON.stringify(id)
        }`,
      });
    });
  }
});
