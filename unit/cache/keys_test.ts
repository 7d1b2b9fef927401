import assert from "node:assert/strict";
import {
  assertWorkflowId,
  encodedKeySize,
  MAX_WORKFLOW_ID_BYTES,
  WORKFLOW_PREFIX,
  workflowChunkKey,
  workflowKey,
} from "../../src/cache/keys.ts";

Deno.test("workflowKey() and workflowChunkKey() build namespaced array keys", () => {
  assert.deepEqual(WORKFLOW_PREFIX, ["workflow"]);
  assert.deepEqual(workflowKey("wf-1"), ["workflow", "wf-1"]);
  assert.deepEqual(workflowChunkKey("wf-1", 0), ["workflow_chunk", "wf-1", 0]);
});

Deno.test("workflowChunkKey() refuses an index that is not a non-negative integer", () => {
  for (const index of [-1, 1.5, Number.NaN]) {
    assert.throws(() => workflowChunkKey("wf-1", index), {
      name: "RangeError",
      message:
        `Cannot build workflow chunk key: expected a non-negative integer index, found ${index}`,
    });
  }
});

Deno.test("assertWorkflowId() refuses bad ids with a clear message", async (t) => {
  const cases: [string, unknown, string, string][] = [
    ["a number", 42, "TypeError", "expected the workflow id to be a string, found number"],
    ["an empty string", "", "RangeError", 'expected a non-empty workflow id, found ""'],
    [
      "a lone surrogate",
      "wf-\uD800",
      "RangeError",
      "expected the workflow id to be well-formed Unicode, found a lone surrogate",
    ],
    [
      "257 ASCII characters",
      "x".repeat(257),
      "RangeError",
      "expected a workflow id of at most 256 bytes in UTF-8, found 257 bytes",
    ],
    [
      "129 two-byte characters",
      "é".repeat(129),
      "RangeError",
      "expected a workflow id of at most 256 bytes in UTF-8, found 258 bytes",
    ],
  ];
  for (const [label, id, name, reason] of cases) {
    await t.step(label, () => {
      assert.throws(() => assertWorkflowId(id), {
        name,
        message: `Cannot build workflow key: ${reason}`,
      });
      assert.throws(() => workflowKey(id as string), { name });
    });
  }
});

Deno.test("assertWorkflowId() accepts ids up to the limit, Unicode included", () => {
  assertWorkflowId("x".repeat(MAX_WORKFLOW_ID_BYTES));
  assertWorkflowId("é".repeat(128));
  assertWorkflowId("🦕 workflow");
});

Deno.test("encodedKeySize() matches KV's own key-size limit exactly", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // KV refuses keys above 2048 bytes, so the largest accepted key measures exactly 2048.
    for (const makeKey of [(n: number) => ["x".repeat(n)], (n: number) => ["\0".repeat(n)]]) {
      let n = 1;
      while (encodedKeySize(makeKey(n + 1)) <= 2048) n++;
      assert.equal(encodedKeySize(makeKey(n)), 2048);
      await kv.set(makeKey(n), 1);
      await assert.rejects(kv.set(makeKey(n + 1), 1));
    }
    assert.equal(encodedKeySize(["a", 1]), 3 + 9);
  } finally {
    kv.close();
  }
});
