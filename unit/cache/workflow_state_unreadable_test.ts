import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import { CacheEntryCorruptError } from "../../src/cache/cache_error.ts";
import type { KvClient } from "../../src/cache/kv_client.ts";
import { WORKFLOW_STATE_TTL_MS, WorkflowStateCache } from "../../src/cache/workflow-state-cache.ts";
import { chainDag } from "./_dags.ts";
import { HookedKv, snapshot } from "./_hooked_kv.ts";

// Entries at ["workflow", id] that this code cannot read: the story's historical format, and a TTL
// envelope around something that is not a header. Reads must report them; writes must not jam on them.

const MINUTE = 60_000;

/** The historical format: the DAG and intent as they are, with KV's own expiry and no header. */
async function writeHistorical(kv: KvClient, id: string): Promise<void> {
  await kv.set(["workflow", id], { dag: chainDag(1, "historical"), intent: "old" }, {
    expireIn: WORKFLOW_STATE_TTL_MS,
  });
}

/** A TTL envelope expiring at `expiresAt` around a value that is not a header. */
async function writeBadHeader(kv: KvClient, id: string, expiresAt: number): Promise<void> {
  await kv.set(["workflow", id], { value: { format: 0, dag: "?" }, expiresAt });
}

async function keysOf(kv: KvClient): Promise<unknown[][]> {
  const keys: unknown[][] = [];
  for await (const entry of kv.list({ prefix: [] })) keys.push([...entry.key]);
  return keys;
}

const HISTORICAL_MESSAGE =
  'Cannot read cache entry: ["workflow","wf-1"] does not hold a TTL envelope: expected { value, expiresAt: number }';
const BAD_HEADER_MESSAGE =
  'Cannot read workflow state: ["workflow","wf-1"] does not hold a workflow state header of format 1';

const unreadableKinds = [
  ["the historical format", (kv: KvClient) => writeHistorical(kv, "wf-1"), HISTORICAL_MESSAGE],
  [
    "a corrupt header",
    (kv: KvClient) => writeBadHeader(kv, "wf-1", 2 * WORKFLOW_STATE_TTL_MS),
    BAD_HEADER_MESSAGE,
  ],
] as const;

Deno.test("reads, updates and refreshes of an unreadable entry fail with CacheEntryCorruptError", async (t) => {
  for (const [label, write, message] of unreadableKinds) {
    await t.step(label, async () => {
      await using fixture = await createKvFixture({ startMs: 0 });
      await write(fixture.kv);
      const before = await snapshot(fixture.kv);
      const corrupt = (error: unknown) => {
        assert.ok(error instanceof CacheEntryCorruptError);
        assert.equal(error.code, "CACHE_ENTRY_CORRUPT");
        assert.equal(error.message, message);
        return true;
      };
      await assert.rejects(fixture.cache.get("wf-1"), corrupt);
      await assert.rejects(fixture.cache.getRecord("wf-1"), corrupt);
      await assert.rejects(fixture.cache.update("wf-1", chainDag(1)), corrupt);
      await assert.rejects(fixture.cache.update("wf-1", (dag) => dag), corrupt);
      await assert.rejects(fixture.cache.refresh("wf-1"), corrupt);
      assert.deepEqual(await snapshot(fixture.kv), before);
    });
  }
});

Deno.test("save() replaces an unreadable entry", async (t) => {
  for (const [label, write] of unreadableKinds) {
    await t.step(label, async () => {
      await using fixture = await createKvFixture({ startMs: 0 });
      await write(fixture.kv);
      await fixture.cache.save("wf-1", chainDag(2, "new"), "fresh");
      const record = await fixture.cache.getRecord("wf-1");
      assert.deepEqual([record?.dag, record?.intent], [chainDag(2, "new"), "fresh"]);
    });
  }
});

Deno.test("save() over an unreadable entry is still guarded by its versionstamp", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  const kv = new HookedKv(fixture.kv);
  const cache = new WorkflowStateCache({ kv, clock: fixture.clock });
  await writeHistorical(fixture.kv, "wf-1");
  // Another writer replaces the entry between the save's read and its commit.
  kv.beforeNextCommit(() => writeHistorical(fixture.kv, "wf-1"));
  await cache.save("wf-1", chainDag(1, "new"));
  assert.deepEqual(kv.commits, ["check failed", "ok"]);
  assert.deepEqual(await cache.get("wf-1"), chainDag(1, "new"));
});

Deno.test("delete() removes an unreadable entry and reports whether get() would have seen it", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await writeHistorical(fixture.kv, "historical");
  await writeBadHeader(fixture.kv, "bad-live", 10 * MINUTE);
  await writeBadHeader(fixture.kv, "bad-expired", 1 * MINUTE);
  fixture.clock.set(5 * MINUTE);
  assert.equal(await fixture.cache.get("bad-expired"), null, "an expired envelope is gone anyway");
  assert.equal(await fixture.cache.delete("historical"), true);
  assert.equal(await fixture.cache.delete("bad-live"), true);
  assert.equal(await fixture.cache.delete("bad-expired"), false);
  assert.deepEqual(await snapshot(fixture.kv), []);
});

Deno.test("sweepExpired() deletes and counts unreadable entries, and goes on past them", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await writeHistorical(fixture.kv, "a-historical");
  await fixture.cache.save("b-expired", chainDag(2_000, "expired"));
  await writeBadHeader(fixture.kv, "c-bad-header", 10 * WORKFLOW_STATE_TTL_MS);
  await fixture.kv.set(["workflow", "d-not-an-envelope"], "junk");
  fixture.clock.set(30 * MINUTE);
  await fixture.cache.save("e-live", chainDag(2_000, "live"));
  await writeHistorical(fixture.kv, "f-historical");
  // Garbage under the chunk namespace: an expired orphan chunk, and a value that is no envelope.
  await fixture.kv.set(["workflow_chunk", "orphan", 0], { value: "x", expiresAt: 1 });
  await fixture.kv.set(["workflow_chunk", "junk", 0], "junk");
  fixture.clock.set(WORKFLOW_STATE_TTL_MS);

  assert.equal(await fixture.cache.sweepExpired(), 5);
  const keys = await keysOf(fixture.kv);
  assert.ok(keys.length > 1);
  assert.ok(
    keys.every((key) => key.includes("e-live")),
    `only the live state and its chunks remain: ${JSON.stringify(keys)}`,
  );
  assert.deepEqual(await fixture.cache.get("e-live"), chainDag(2_000, "live"));
  assert.equal(await fixture.cache.sweepExpired(), 0);
});

Deno.test("refresh() of a state with a chunk missing fails like get(), not with a false conflict", async () => {
  await using fixture = await createKvFixture({ startMs: 0 });
  await fixture.cache.save("wf-1", chainDag(2_000));
  await fixture.kv.delete(["workflow_chunk", "wf-1", 1]);
  const before = await snapshot(fixture.kv);
  const message =
    'Cannot read workflow state: ["workflow","wf-1"] has chunks missing or from another write on each of 3 attempt(s)';
  const corrupt = (error: unknown) => {
    assert.ok(error instanceof CacheEntryCorruptError, String(error));
    assert.equal(error.message, message);
    assert.deepEqual(error.key, ["workflow", "wf-1"]);
    return true;
  };
  await assert.rejects(fixture.cache.get("wf-1"), corrupt);
  await assert.rejects(fixture.cache.refresh("wf-1"), corrupt);
  await assert.rejects(fixture.cache.update("wf-1", (dag) => dag), corrupt);
  assert.deepEqual(await snapshot(fixture.kv), before);
  // A save replaces the damaged state; the plain-DAG update does not need the old chunks either.
  await fixture.cache.update("wf-1", chainDag(3));
  assert.deepEqual(await fixture.cache.get("wf-1"), chainDag(3));
});
