import assert from "node:assert/strict";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import {
  WorkflowStateConflictError,
  WorkflowStateNotFoundError,
} from "../../src/cache/cache_error.ts";
import { WorkflowStateCache } from "../../src/cache/workflow-state-cache.ts";
import { chainDag } from "./_dags.ts";
import { HookedKv } from "./_hooked_kv.ts";

/** A fixture plus a cache over a hooked view of its KV, to force interleavings. */
async function setup(maxAttempts?: number) {
  const fixture = await createKvFixture({ startMs: 0 });
  const kv = new HookedKv(fixture.kv);
  const cache = new WorkflowStateCache({ kv, clock: fixture.clock, maxAttempts });
  const other = new WorkflowStateCache({ kv: fixture.kv, clock: fixture.clock });
  return { fixture, kv, cache, other, [Symbol.asyncDispose]: () => fixture[Symbol.asyncDispose]() };
}

Deno.test("two concurrent updates are applied in sequence: the one that lost the check retries", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"), "plan");
  // Update B runs to completion between update A's read and A's commit.
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B")));
  await t.cache.update("wf-1", chainDag(3, "A"));
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(3, "A"));
  assert.equal((await t.other.getRecord("wf-1"))?.intent, "plan");
});

Deno.test("an update that loses every attempt fails with a conflict and writes nothing", async () => {
  await using t = await setup(2);
  await t.other.save("wf-1", chainDag(1, "initial"));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B1")));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2, "B2")));
  await assert.rejects(t.cache.update("wf-1", chainDag(3, "A")), (error: unknown) => {
    assert.ok(error instanceof WorkflowStateConflictError);
    assert.equal(error.code, "WORKFLOW_STATE_CONFLICT");
    assert.equal(
      error.message,
      'Cannot update workflow state "wf-1": the state changed concurrently on each of 2 attempt(s) (versionstamp check failed); nothing was written by this call',
    );
    return true;
  });
  assert.deepEqual(t.kv.commits, ["check failed", "check failed"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2, "B2"), "the winning update is kept");
});

Deno.test("concurrent updates never silently lose one: each is committed or fails loudly", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1, "initial"));
  const labels = ["A", "B", "C", "D"];
  const outcomes = await Promise.allSettled(
    labels.map((label) => t.cache.update("wf-1", chainDag(2, label))),
  );
  const okCommits = t.kv.commits.filter((commit) => commit === "ok").length;
  const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      assert.ok(outcome.reason instanceof WorkflowStateConflictError, String(outcome.reason));
    }
  }
  // Every update that resolved was committed exactly once; the others failed loudly.
  assert.equal(okCommits, fulfilled);
  assert.ok(fulfilled >= 1);
  const final = await t.other.get("wf-1");
  const winners = labels.filter((_, index) => outcomes[index]!.status === "fulfilled");
  assert.ok(
    winners.some((label) => JSON.stringify(final) === JSON.stringify(chainDag(2, label))),
    "the final state is one of the applied updates",
  );
});

Deno.test("an update racing a delete does not bring the workflow back", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(1));
  t.kv.beforeNextCommit(async () => {
    await t.other.delete("wf-1");
  });
  await assert.rejects(t.cache.update("wf-1", chainDag(2)), WorkflowStateNotFoundError);
  assert.equal(await t.other.get("wf-1"), null);
});

Deno.test("a reader never sees a mix of two writes of a chunked state", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(2_000, "old"));
  const header = await t.fixture.kv.get<{ value: { chunkCount: number } }>(["workflow", "wf-1"]);
  const last = header.value!.value.chunkCount - 1;
  assert.ok(last >= 1);
  // The reader gets the first chunks of the old write; a writer of the same size replaces the state
  // before the last chunk is read, so that chunk comes from the new write.
  t.kv.beforeNextGet(
    (key) => key[0] === "workflow_chunk" && key[2] === last,
    () => t.other.update("wf-1", chainDag(2_000, "new")),
  );
  assert.deepEqual(await t.cache.get("wf-1"), chainDag(2_000, "new"));
});

Deno.test("a refresh racing an update keeps the update", async () => {
  await using t = await setup();
  await t.other.save("wf-1", chainDag(2_000, "old"));
  t.kv.beforeNextCommit(() => t.other.update("wf-1", chainDag(2_000, "new")));
  assert.equal(await t.cache.refresh("wf-1"), true);
  assert.deepEqual(t.kv.commits, ["check failed", "ok"]);
  assert.deepEqual(await t.other.get("wf-1"), chainDag(2_000, "new"));
});
