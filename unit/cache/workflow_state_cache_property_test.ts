import assert from "node:assert/strict";
import fc from "fast-check";
import { createKvFixture } from "../../fixtures/kv_fixture.ts";
import { WorkflowStateTooLargeError } from "../../src/cache/cache_error.ts";
import { MAX_WORKFLOW_ID_BYTES } from "../../src/cache/keys.ts";
import type { JsonObject, JsonValue, WorkflowDag } from "../../src/cache/workflow_dag.ts";
import { snapshot } from "./_hooked_kv.ts";

const utf8 = new TextEncoder();

/** JSON has no negative zero: it reads back as 0, so generated data avoids it. */
function withoutNegativeZero(value: JsonValue): JsonValue {
  if (typeof value === "number") return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === "object") {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, {
        value: withoutNegativeZero(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

const text = (maxLength: number) => fc.string({ unit: "binary", minLength: 1, maxLength });
const json = fc.jsonValue({ maxDepth: 3, noUnicodeString: false })
  .map((value) => withoutNegativeZero(value as JsonValue));
const jsonObject = fc.dictionary(fc.string({ unit: "binary", maxLength: 10 }), json, {
  maxKeys: 4,
  noNullPrototype: true,
}).map((object) => withoutNegativeZero(object) as JsonObject);

const workflowId = text(80).filter((id) => utf8.encode(id).length <= MAX_WORKFLOW_ID_BYTES);

const dag: fc.Arbitrary<WorkflowDag> = fc.uniqueArray(text(12), { maxLength: 12 }).chain((ids) =>
  fc.tuple(
    ...ids.map((id) =>
      fc.record({
        tool: text(20),
        arguments: jsonObject,
        dependsOn: fc.subarray(ids),
        note: fc.option(json, { nil: undefined }),
      }).map(({ tool, arguments: args, dependsOn, note }) => ({
        id,
        tool,
        arguments: args,
        dependsOn,
        ...(note === undefined ? {} : { note }),
      }))
    ),
  ).map((tasks) => ({ tasks }))
);

const intent = fc.option(fc.string({ unit: "binary", maxLength: 200 }), { nil: undefined });

Deno.test("save then get round-trips any valid DAG, id and intent exactly", async () => {
  await using fixture = await createKvFixture();
  await fc.assert(
    fc.asyncProperty(workflowId, dag, intent, async (id, value, givenIntent) => {
      await fixture.cache.save(id, value, givenIntent);
      const record = await fixture.cache.getRecord(id);
      assert.deepStrictEqual(record?.dag, value);
      assert.equal(
        record?.intent,
        givenIntent === undefined || givenIntent === "" ? null : givenIntent,
      );
      assert.equal(record?.workflow_id, id);
    }),
    { numRuns: 150 },
  );
});

Deno.test("update then get returns the new DAG exactly and keeps the intent", async () => {
  await using fixture = await createKvFixture();
  await fc.assert(
    fc.asyncProperty(workflowId, dag, dag, async (id, first, second) => {
      await fixture.cache.save(id, first, "kept");
      fixture.clock.advance(1_000);
      await fixture.cache.update(id, second);
      const record = await fixture.cache.getRecord(id);
      assert.deepStrictEqual(record?.dag, second);
      assert.equal(record?.intent, "kept");
    }),
    { numRuns: 100 },
  );
});

Deno.test("a large DAG either round-trips exactly or is refused leaving the previous state intact", async () => {
  await using fixture = await createKvFixture();
  const large = fc.record({
    piece: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
    repeat: fc.integer({ min: 1_000, max: 60_000 }),
  });
  await fc.assert(
    fc.asyncProperty(workflowId, large, async (id, { piece, repeat }) => {
      const previous: WorkflowDag = { tasks: [] };
      await fixture.cache.save(id, previous);
      const before = await snapshot(fixture.kv);
      const value: WorkflowDag = {
        tasks: [{
          id: "t",
          tool: "tool",
          arguments: { payload: piece.repeat(repeat) },
          dependsOn: [],
        }],
      };
      try {
        await fixture.cache.save(id, value);
      } catch (error) {
        assert.ok(error instanceof WorkflowStateTooLargeError, String(error));
        assert.deepEqual(await snapshot(fixture.kv), before);
        assert.deepStrictEqual(await fixture.cache.get(id), previous);
        return;
      }
      assert.deepStrictEqual(await fixture.cache.get(id), value);
    }),
    { numRuns: 40 },
  );
});

Deno.test("ids with a lone surrogate or over 256 UTF-8 bytes are refused and nothing is written", async () => {
  await using fixture = await createKvFixture();
  const loneSurrogate = fc.tuple(
    fc.string({ unit: "binary", maxLength: 10 }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.string({ unit: "binary", maxLength: 10 }),
  ).map(([before, code, after]) => before + String.fromCharCode(code) + after);
  const tooLong = fc.string({ unit: "binary", minLength: 65, maxLength: 300 })
    .filter((id) => utf8.encode(id).length > MAX_WORKFLOW_ID_BYTES);
  await fc.assert(
    fc.asyncProperty(fc.oneof(loneSurrogate, tooLong), dag, async (id, value) => {
      await assert.rejects(fixture.cache.save(id, value), RangeError);
      await assert.rejects(fixture.cache.get(id), RangeError);
      assert.deepEqual(await snapshot(fixture.kv), []);
    }),
    { numRuns: 100 },
  );
});
