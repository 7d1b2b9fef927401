import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import { CacheError } from "../../src/cache/cache_error.ts";
import {
  MAX_TTL_MS,
  WORKFLOW_STATE_TTL_MS,
  WorkflowStateCache,
} from "../../src/cache/workflow_state_cache.ts";
import type { WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { chainDag, paddedDag } from "./_dags.ts";
import { keysUnder, snapshot } from "./_hooked_kv.ts";
import { test } from "../dual_runtime.ts";

test("a state saved at t is there at t + 3,599,999 ms and gone at t + 3,600,000 ms", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, clock, kv } = fixture;
  await cache.save("wf-1", chainDag(2), "plan");
  clock.set(WORKFLOW_STATE_TTL_MS - 1);
  const record = await cache.getRecord("wf-1");
  assert.ok(record);
  assert.deepEqual(record, {
    workflow_id: "wf-1",
    dag: chainDag(2),
    intent: "plan",
    created_at: new Date(0),
    expires_at: new Date(WORKFLOW_STATE_TTL_MS),
    version: (await kv.get(["workflow", "wf-1"])).versionstamp,
  });
  clock.set(WORKFLOW_STATE_TTL_MS);
  assert.equal(await cache.get("wf-1"), null);
  assert.equal(await cache.getRecord("wf-1"), null);
  assert.ok((await kv.get(["workflow", "wf-1"])).versionstamp, "KV still holds it: expiry is ours");
  await assert.rejects(cache.update("wf-1", chainDag(1)), { code: "WORKFLOW_STATE_NOT_FOUND" });
  assert.equal(await cache.refresh("wf-1"), false);
});

test("`save()` replaces a state with a fresh created_at; an empty intent is stored as null", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await fixture.cache.save("wf-1", chainDag(1), "first");
  fixture.clock.set(500);
  await fixture.cache.save("wf-1", chainDag(3), "");
  const record = await fixture.cache.getRecord("wf-1");
  assert.deepEqual(
    [record?.dag, record?.intent, record?.created_at.getTime(), record?.expires_at.getTime()],
    [chainDag(3), null, 500, 500 + WORKFLOW_STATE_TTL_MS],
  );
});

test("`update()` keeps intent and created_at and restarts the TTL", async (t) => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, clock } = fixture;
  await cache.save("wf-1", chainDag(1), "plan");
  clock.set(1_000);
  await t.step("with a DAG", async () => {
    await cache.update("wf-1", chainDag(2, "b"));
    assert.deepEqual(await cache.get("wf-1"), chainDag(2, "b"));
  });
  await t.step("with an updater function", async () => {
    await cache.update("wf-1", (dag) => ({ ...dag, step: 2 }));
    assert.deepEqual(await cache.get("wf-1"), { ...chainDag(2, "b"), step: 2 });
  });
  const record = await cache.getRecord("wf-1");
  assert.deepEqual(
    [record?.intent, record?.created_at.getTime(), record?.expires_at.getTime()],
    ["plan", 0, 1_000 + WORKFLOW_STATE_TTL_MS],
  );
  await assert.rejects(cache.update("ghost", chainDag(1)), {
    name: "CacheError",
    code: "WORKFLOW_STATE_NOT_FOUND",
    message: "Workflow ghost not found",
    workflowId: "ghost",
  });
});

test("`refresh()` restarts the TTL of a live state, chunks included", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, clock } = fixture;
  await cache.save("wf-1", chainDag(2_000), "plan");
  const before = await cache.getRecord("wf-1");
  clock.set(1_000);
  assert.equal(await cache.refresh("wf-1"), true);
  const after = await cache.getRecord("wf-1");
  assert.deepEqual({ ...after, version: undefined }, {
    ...before,
    expires_at: new Date(1_000 + WORKFLOW_STATE_TTL_MS),
    version: undefined,
  });
  assert.notEqual(after?.version, before?.version);
  assert.equal(await cache.refresh("ghost"), false);
});

test("`delete()` reports whether a live state was deleted and removes chunks", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, clock, kv } = fixture;
  await cache.save("big", chainDag(2_000));
  await cache.save("old", chainDag(1));
  assert.equal(await cache.delete("big"), true);
  assert.deepEqual(await keysUnder(kv, "workflow_chunk"), []);
  assert.equal(await cache.delete("big"), false);
  clock.set(WORKFLOW_STATE_TTL_MS);
  assert.equal(await cache.delete("old"), false, "an expired leftover is removed but not live");
  assert.deepEqual(await snapshot(kv), []);
});

test("`sweepExpired()` deletes expired and unreadable states and orphan chunks", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, clock, kv } = fixture;
  await cache.save("expired", chainDag(2_000));
  clock.set(10);
  await cache.save("live", chainDag(2_000));
  await kv.set(["workflow", "historical"], { dag: chainDag(1), intent: "x" });
  await kv.set(["workflow_chunk", "nobody", 0], { writeId: "w", tasks: [] });
  clock.set(WORKFLOW_STATE_TTL_MS);
  assert.equal(await cache.sweepExpired(), 2);
  assert.deepEqual(await keysUnder(kv, "workflow"), ['["workflow","live"]']);
  const liveChunks = (await keysUnder(kv, "workflow_chunk")).map((key) => JSON.parse(key)[1]);
  assert.ok(liveChunks.length > 0 && liveChunks.every((id: string) => id === "live"));
  assert.deepEqual(await cache.get("live"), chainDag(2_000));
});

test("an inline save over a chunked state leaves chunks no read returns, until the sweep", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, kv } = fixture;
  await cache.save("wf", chainDag(2_000), "big");
  const chunks = await keysUnder(kv, "workflow_chunk");
  assert.ok(chunks.length > 1);
  await cache.save("wf", chainDag(1), "small");
  assert.deepEqual(
    await keysUnder(kv, "workflow_chunk"),
    chunks,
    "save does not read, so it keeps them",
  );
  assert.deepEqual(await cache.get("wf"), chainDag(1));
  assert.equal((await cache.getRecord("wf"))?.intent, "small");
  assert.equal(await cache.sweepExpired(), 0);
  assert.deepEqual(await keysUnder(kv, "workflow_chunk"), []);
  assert.deepEqual(await cache.get("wf"), chainDag(1));
  await cache.save("wf", chainDag(2_000));
  await cache.save("wf", chainDag(1));
  assert.equal(await cache.delete("wf"), true);
  assert.deepEqual(await snapshot(kv), [], "delete() removes every chunk slot");
});

test("large states are chunked and read back whole", async (t) => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, kv } = fixture;
  await t.step("a 2,000-task DAG", async () => {
    await cache.save("wf-1", { ...chainDag(2_000), note: "kept" }, "big");
    assert.deepEqual(await cache.get("wf-1"), { ...chainDag(2_000), note: "kept" });
    assert.ok((await keysUnder(kv, "workflow_chunk")).length > 1);
  });
  await t.step("shrinking to an inline state deletes every chunk", async () => {
    await cache.update("wf-1", chainDag(1));
    assert.deepEqual(await keysUnder(kv, "workflow_chunk"), []);
    assert.deepEqual(await cache.get("wf-1"), chainDag(1));
  });
  await t.step("one task larger than a KV value", async () => {
    const dag = paddedDag(150_000, "é");
    await cache.save("wf-1", dag);
    assert.deepEqual(await cache.get("wf-1"), dag);
  });
});

test("a state too large for a header and 9 chunks is refused before anything is written", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, kv } = fixture;
  await cache.save("wf-1", chainDag(3));
  const before = await snapshot(kv);
  for (
    const write of [
      () => cache.save("wf-1", paddedDag(700_000)),
      () => cache.update("wf-1", paddedDag(700_000)),
    ]
  ) {
    await assert.rejects(write(), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, "WORKFLOW_STATE_TOO_LARGE");
      assert.equal(error.size?.limitBytes, 655_360);
      assert.ok(error.size!.requiredBytes > 700_000);
      assert.match(
        error.message,
        /^Cannot (save|update) workflow state "wf-1": .*nothing was written/,
      );
      return true;
    });
  }
  assert.deepEqual(await snapshot(kv), before);
  assert.deepEqual(await cache.get("wf-1"), chainDag(3));
});

test("an unreadable entry fails reads as corrupt, but save, delete and expiry still work", async (t) => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, kv, clock } = fixture;
  const corrupt = {
    name: "CacheError",
    code: "CACHE_ENTRY_CORRUPT",
    message:
      'Cannot read workflow state: ["workflow","wf-1"] does not hold a workflow state header of format 2; save or delete the workflow to replace it',
  };
  await t.step("the historical { dag, intent } format", async () => {
    await kv.set(["workflow", "wf-1"], { dag: chainDag(1), intent: "old" });
    await assert.rejects(cache.get("wf-1"), corrupt);
    await assert.rejects(cache.update("wf-1", (dag) => dag), corrupt);
    await assert.rejects(cache.refresh("wf-1"), corrupt);
    await cache.save("wf-1", chainDag(2));
    assert.deepEqual(await cache.get("wf-1"), chainDag(2));
  });
  await t.step("deleted as live", async () => {
    await kv.set(["workflow", "wf-1"], "garbage");
    assert.equal(await cache.delete("wf-1"), true);
  });
  await t.step("an older format with an expiry is gone once expired", async () => {
    await kv.set(["workflow", "wf-1"], { value: {}, expiresAt: 100 });
    await assert.rejects(cache.get("wf-1"), corrupt);
    clock.set(100);
    assert.equal(await cache.get("wf-1"), null);
  });
  await t.step("a chunk damaged in place", async () => {
    await cache.save("wf-2", chainDag(2_000));
    await kv.set(["workflow_chunk", "wf-2", 1], { writeId: "another", tasks: [] });
    await assert.rejects(cache.get("wf-2"), {
      code: "CACHE_ENTRY_CORRUPT",
      message: /\["workflow","wf-2"\] has chunk 1 of \d missing or from another write/,
    });
  });
});

test("bad input is refused with TypeError or RangeError and nothing is written", async (t) => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const { cache, kv } = fixture;
  await cache.save("wf-1", chainDag(1));
  const before = await snapshot(kv);
  let deep: unknown = {};
  for (let level = 0; level < 100_000; level++) deep = { deep };
  const withGetter = chainDag(1);
  let reads = 0;
  Object.defineProperty(withGetter.tasks[0]!.arguments, "path", {
    enumerable: true,
    get: () => `read ${++reads}`,
  });
  const cyclic: WorkflowDag = {
    tasks: ["a", "b", "c"].map((id, index, ids) => ({
      id,
      tool: "t",
      arguments: {},
      dependsOn: [ids[(index + 1) % 3]!],
    })),
  };
  const cases: [string, () => Promise<unknown>, RegExp, typeof Error][] = [
    [
      "nesting deeper than 64 levels",
      () => cache.save("wf-1", { tasks: [], deep } as unknown as WorkflowDag),
      /^Cannot save workflow state: expected at most 64 levels of nested arrays and objects, found deeper nesting at dag(\.deep)+$/,
      RangeError,
    ],
    [
      "a getter",
      () => cache.update("wf-1", withGetter),
      /^Cannot update workflow state: expected plain JSON data at dag\.tasks\[0\]\.arguments\.path, found an accessor property \(get\/set\)$/,
      TypeError,
    ],
    [
      "a cycle, named",
      () => cache.save("wf-1", cyclic),
      /^Cannot save workflow state: expected dependsOn to form no cycle, found "a" → "b" → "c" → "a"$/,
      TypeError,
    ],
    [
      "an updater returning a cycle",
      () => cache.update("wf-1", () => cyclic),
      /found "a" → "b" → "c" → "a"$/,
      TypeError,
    ],
    [
      "a clock returning NaN",
      () => new WorkflowStateCache({ kv, clock: { now: () => NaN } }).save("wf-1", chainDag(2)),
      /^Cannot save workflow state: expected 'clock\.now\(\)' to be a finite number of epoch milliseconds, found NaN$/,
      RangeError,
    ],
    [
      "an empty id",
      () => cache.save("", chainDag(1)),
      /^Cannot save workflow state: expected a non-empty workflow id, found ""$/,
      RangeError,
    ],
  ];
  for (const [name, write, message, type] of cases) {
    await t.step(name, async () => {
      await assert.rejects(write(), (error: unknown) => {
        assert.ok(error instanceof type, String(error));
        assert.match((error as Error).message, message);
        return true;
      });
    });
  }
  assert.equal(reads, 0, "a getter is never called");
  assert.deepEqual(await snapshot(kv), before);
  await t.step("a TTL KV cannot take", () => {
    for (const ttlMs of [Number.MAX_SAFE_INTEGER, MAX_TTL_MS + 1, 0, 1.5]) {
      assert.throws(() => new WorkflowStateCache({ kv, ttlMs }), {
        name: "RangeError",
        message:
          `Cannot create workflow state cache: expected 'ttlMs' to be an integer from 1 to ${MAX_TTL_MS}, found ${ttlMs}`,
      });
    }
  });
  await t.step("the longest TTL is accepted by KV", async () => {
    const longest = new WorkflowStateCache({ kv, ttlMs: MAX_TTL_MS });
    await longest.save("wf-max", chainDag(1));
    assert.deepEqual(await longest.get("wf-max"), chainDag(1));
  });
});
