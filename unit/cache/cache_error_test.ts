import assert from "node:assert/strict";
import { CacheError } from "../../src/cache/cache_error.ts";

Deno.test("CacheError carries its code, the given details as fields and the cause", () => {
  const cause = new TypeError("database is locked");
  const error = new CacheError("KV_BUSY", "Cannot save: locked; retry", {
    attempts: 3,
    workflowId: undefined,
    cause,
  });
  assert.ok(error instanceof Error);
  assert.equal(error.name, "CacheError");
  assert.equal(error.code, "KV_BUSY");
  assert.equal(error.message, "Cannot save: locked; retry");
  assert.equal(error.cause, cause);
  // Only details that were given become own properties, and they show in logs and JSON.
  assert.deepEqual(Object.keys(error), ["code", "name", "attempts"]);
  assert.equal(JSON.stringify(error), '{"code":"KV_BUSY","name":"CacheError","attempts":3}');
});

Deno.test("CacheError without details has no cause and no detail fields", () => {
  const error = new CacheError("WORKFLOW_STATE_NOT_FOUND", "Workflow ghost not found");
  assert.equal("cause" in error, false);
  assert.deepEqual(Object.keys(error), ["code", "name"]);
});
