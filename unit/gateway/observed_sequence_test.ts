import assert from "node:assert/strict";
import { FakeClock } from "../../fixtures/fake_clock.ts";
import {
  recordObservedEdges,
  recordObservedSequence,
} from "../../src/gateway/observed_sequence.ts";
import { stubDb } from "../stub_db.ts";

function edgeDb() {
  return stubDb((_sql, params) => [{
    from_tool_id: params[0],
    to_tool_id: params[1],
    observed_count: 4,
    confidence_score: 0.8,
    edge_type: "dependency",
  }]);
}

Deno.test("recordObservedSequence() observes each consecutive pair once, in order", async () => {
  const { db, calls } = edgeDb();
  const clock = new FakeClock(5_000);
  const edges = await recordObservedSequence(db, ["a:1", "b:2", "c:3"], { clock });
  assert.deepEqual(calls.map((c) => c.params), [["a:1", "b:2", 5_000], ["b:2", "c:3", 5_000]]);
  assert.deepEqual(edges[0], {
    from: "a:1",
    to: "b:2",
    observedCount: 4,
    confidence: 0.8,
    edgeType: "dependency",
    edgeSource: "observed",
  });
});

Deno.test("recordObservedSequence() skips a tool following itself and short sequences", async () => {
  const { db, calls } = edgeDb();
  assert.deepEqual(await recordObservedSequence(db, ["a:1"]), []);
  assert.deepEqual(await recordObservedSequence(db, []), []);
  await recordObservedSequence(db, ["a:1", "a:1", "b:2"]);
  assert.deepEqual(calls.map((c) => c.params.slice(0, 2)), [["a:1", "b:2"]]);
});

Deno.test("recordObservedEdges() checks every id before writing anything", async () => {
  const { db, calls } = edgeDb();
  await assert.rejects(
    recordObservedEdges(db, [{ from: "a:1", to: "b:2" }, { from: "bad", to: "b:2" }]),
    {
      name: "TypeError",
      message: 'Cannot parse the tool id: expected "<server_id>:<name>", found "bad"',
    },
  );
  assert.deepEqual(calls, []);
});
