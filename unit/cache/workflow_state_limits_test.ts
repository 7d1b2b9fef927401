import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import { WorkflowStateTooLargeError } from "../../src/cache/cache_error.ts";
import {
  encodeDag,
  layOutState,
  MAX_ATOMIC_BYTES,
  MAX_INTENT_LENGTH,
  MAX_VALUE_BYTES,
} from "../../src/cache/_workflow_state_codec.ts";
import { saveWorkflowState } from "../../src/cache/workflow-state-cache.ts";
import { paddedDag } from "./_dags.ts";
import { snapshot } from "./_hooked_kv.ts";

// The worst case for the size accounting: the longest id, and the longest intent in two-byte characters.
const LONGEST_ID = "é".repeat(128);
const LONGEST_INTENT = "é".repeat(MAX_INTENT_LENGTH);

/** The largest padding for which `fits(padding)` holds, by bisection. */
function largest(fits: (padding: number) => boolean): number {
  let low = 0;
  let high = 2 * MAX_ATOMIC_BYTES;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

function layout(padding: number) {
  const content = { bytes: encodeDag(paddedDag(padding)), intent: LONGEST_INTENT, createdAt: 0 };
  return layOutState(LONGEST_ID, content, 0);
}

Deno.test("the largest state the cache accepts is accepted by KV too, and one byte more is refused", async () => {
  await using fixture = await createKvFixture();
  const padding = largest((size) => layout(size).requiredBytes <= MAX_ATOMIC_BYTES);
  assert.ok(layout(padding).chunks.length > 10, "the boundary needs many chunks");

  await saveWorkflowState(LONGEST_ID, paddedDag(padding), LONGEST_INTENT);
  assert.deepEqual((await fixture.cache.getRecord(LONGEST_ID))?.dag, paddedDag(padding));

  const before = await snapshot(fixture.kv);
  await assert.rejects(
    saveWorkflowState(LONGEST_ID, paddedDag(padding + 1), LONGEST_INTENT),
    WorkflowStateTooLargeError,
  );
  assert.deepEqual(await snapshot(fixture.kv), before);
});

Deno.test("the largest inline state fits in one KV value", async () => {
  await using fixture = await createKvFixture();
  const padding = largest((size) => layout(size).chunks.length === 0);
  assert.ok(layout(padding).header.data !== null);
  assert.ok(layout(padding + 1).chunks.length > 0, "one byte more is chunked");

  await saveWorkflowState(LONGEST_ID, paddedDag(padding), LONGEST_INTENT);
  const header = await fixture.kv.get<{ value: { chunkCount: number } }>(["workflow", LONGEST_ID]);
  assert.equal(header.value?.value.chunkCount, 0);
  assert.deepEqual(await fixture.cache.get(LONGEST_ID), paddedDag(padding));
});

Deno.test("every header and chunk of a layout is accepted by KV as one value", async () => {
  await using fixture = await createKvFixture();
  for (const padding of [0, 32_000, 64_000, 65_536, 200_000, 700_000]) {
    const { header, chunks } = layout(padding);
    // KV refuses values above 64 KiB; store each part in the envelope the TTL layer uses.
    await fixture.kv.set(["probe", "header"], {
      value: header,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    for (const chunk of chunks) {
      await fixture.kv.set(["probe", "chunk"], {
        value: chunk,
        expiresAt: Number.MAX_SAFE_INTEGER,
      });
    }
  }
  assert.equal(MAX_VALUE_BYTES, 65_536);
});
