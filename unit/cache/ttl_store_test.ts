import assert from "node:assert/strict";
import { FakeClock } from "../../src/cache/clock.ts";
import { CacheEntryCorruptError } from "../../src/cache/cache_error.ts";
import { TtlStore } from "../../src/cache/ttl_store.ts";
import { HookedKv, snapshot } from "./_hooked_kv.ts";

const HOUR = 3_600_000;

/** An in-memory KV wrapped for inspection, a fake clock at 0 and a store over both. */
async function setup() {
  const raw = await Deno.openKv(":memory:");
  const kv = new HookedKv(raw);
  const clock = new FakeClock(0);
  const store = new TtlStore({ kv, clock });
  return {
    kv,
    raw,
    clock,
    store,
    [Symbol.dispose]: () => raw.close(),
  };
}

Deno.test("TtlStore.get() returns the value until just before expiry and null from expiry on", async () => {
  using t = await setup();
  await t.store.set(["k"], { n: 1 }, { ttlMs: HOUR });
  t.clock.set(HOUR - 1);
  assert.deepEqual(await t.store.get(["k"]), {
    key: ["k"],
    value: { n: 1 },
    expiresAt: HOUR,
    versionstamp: (await t.raw.get(["k"])).versionstamp,
  });
  t.clock.set(HOUR);
  assert.equal(await t.store.get(["k"]), null);
});

Deno.test("TtlStore.get() returns null for an expired entry that KV still holds", async () => {
  using t = await setup();
  await t.store.set(["k"], "v", { ttlMs: 1_000 });
  t.clock.advance(5_000);
  assert.equal((await t.raw.get(["k"])).value !== null, true, "KV still holds the entry");
  assert.equal(await t.store.get(["k"]), null);
  assert.equal((await t.store.get(["k"], { includeExpired: true }))?.value, "v");
});

Deno.test("TtlStore.get() returns null for an absent key", async () => {
  using t = await setup();
  assert.equal(await t.store.get(["absent"]), null);
});

Deno.test("TtlStore.set() stores an envelope and passes expireIn to KV", async () => {
  using t = await setup();
  t.clock.set(500);
  const entry = await t.store.set(["k"], [1, 2], { ttlMs: 2_000 });
  assert.deepEqual(entry, {
    key: ["k"],
    value: [1, 2],
    expiresAt: 2_500,
    versionstamp: entry.versionstamp,
  });
  assert.deepEqual((await t.raw.get(["k"])).value, { value: [1, 2], expiresAt: 2_500 });
  assert.deepEqual(t.kv.writeOptions, [{ key: ["k"], options: { expireIn: 2_000 } }]);
});

Deno.test("TtlStore.set() refuses a TTL that is not a positive integer and writes nothing", async () => {
  using t = await setup();
  for (const ttl of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(t.store.set(["k"], 1, { ttlMs: ttl }), {
      name: "RangeError",
      message: `Cannot set cache entry: expected 'ttlMs' to be a positive integer, found ${ttl}`,
    });
  }
  assert.deepEqual(await snapshot(t.raw), []);
});

Deno.test("TtlStore.get() refuses a value it did not write", async () => {
  using t = await setup();
  await t.raw.set(["foreign"], "raw string");
  await assert.rejects(t.store.get(["foreign"]), (error: unknown) => {
    assert.ok(error instanceof CacheEntryCorruptError);
    assert.equal(error.code, "CACHE_ENTRY_CORRUPT");
    assert.equal(
      error.message,
      'Cannot read cache entry: ["foreign"] does not hold a TTL envelope: expected { value, expiresAt: number }',
    );
    return true;
  });
});

Deno.test("TtlStore.delete() removes the entry", async () => {
  using t = await setup();
  await t.store.set(["k"], 1, { ttlMs: HOUR });
  await t.store.delete(["k"]);
  await t.store.delete(["k"]);
  assert.equal(await t.store.get(["k"], { includeExpired: true }), null);
});

Deno.test("TtlAtomic.set() refuses a TTL that is not a positive integer", async () => {
  using t = await setup();
  assert.throws(() => t.store.atomic().set(["k"], 1, { ttlMs: 0 }), {
    name: "RangeError",
    message: "Cannot set cache entry: expected 'ttlMs' to be a positive integer, found 0",
  });
  assert.deepEqual(await snapshot(t.raw), []);
});

Deno.test("TtlStore.atomic() writes every entry relative to one clock reading", async () => {
  using t = await setup();
  t.clock.set(10);
  const atomic = t.store.atomic();
  t.clock.set(20);
  const result = await atomic.set(["a"], 1, { ttlMs: 100 }).set(["b"], 2, { ttlMs: 200 }).commit();
  assert.equal(result.ok, true);
  assert.equal(atomic.now, 10);
  assert.equal((await t.store.get(["a"]))?.expiresAt, 110);
  assert.equal((await t.store.get(["b"]))?.expiresAt, 210);
  assert.deepEqual(t.kv.writeOptions.map((write) => write.options), [
    { expireIn: 100 },
    { expireIn: 200 },
  ]);
});

Deno.test("TtlStore.atomic() writes nothing when a check fails", async () => {
  using t = await setup();
  await t.store.set(["a"], "first", { ttlMs: HOUR });
  const before = await snapshot(t.raw);
  const result = await t.store.atomic()
    .check({ key: ["a"], versionstamp: null })
    .set(["a"], "second", { ttlMs: HOUR })
    .set(["b"], "other", { ttlMs: HOUR })
    .delete(["a"])
    .commit();
  assert.deepEqual(result, { ok: false });
  assert.deepEqual(await snapshot(t.raw), before);
});

Deno.test("TtlStore.sweep() removes exactly the expired entries under the prefix", async () => {
  using t = await setup();
  await t.store.set(["s", "old"], 1, { ttlMs: 1_000 });
  await t.store.set(["s", "edge"], 2, { ttlMs: 2_000 });
  await t.store.set(["s", "young"], 3, { ttlMs: 2_001 });
  await t.store.set(["other", "old"], 4, { ttlMs: 1_000 });
  t.clock.set(2_000);
  assert.equal(await t.store.sweep(["s"]), 2);
  const keys = [];
  for await (const entry of t.raw.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, [["other", "old"], ["s", "young"]]);
  assert.equal(await t.store.sweep(["s"]), 0);
});

Deno.test("TtlStore.sweep() deletes the related keys in the same write", async () => {
  using t = await setup();
  await t.store.set(["s", "a"], { parts: 2 }, { ttlMs: 1_000 });
  await t.raw.set(["part", "a", 0], "x");
  await t.raw.set(["part", "a", 1], "y");
  await t.raw.set(["part", "b", 0], "z");
  t.clock.set(1_000);
  const removed = await t.store.sweep(["s"], {
    alsoDelete: (entry) => {
      const id = entry.key[1] as string;
      const { parts } = entry.value as { parts: number };
      return Array.from({ length: parts }, (_, index) => ["part", id, index]);
    },
  });
  assert.equal(removed, 1);
  const keys = [];
  for await (const entry of t.raw.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, [["part", "b", 0]]);
});

Deno.test("TtlStore.sweep() spares an entry refreshed while the sweep runs", async () => {
  using t = await setup();
  await t.store.set(["s", "a"], "old", { ttlMs: 1_000 });
  await t.store.set(["s", "b"], "old", { ttlMs: 1_000 });
  t.clock.set(1_000);
  const refresher = new TtlStore({ kv: t.raw, clock: t.clock });
  t.kv.onListed(async (entry) => {
    if (entry.key[1] === "a") await refresher.set(["s", "a"], "refreshed", { ttlMs: 1_000 });
  });
  assert.equal(await t.store.sweep(["s"]), 1);
  assert.equal((await t.store.get(["s", "a"]))?.value, "refreshed");
  assert.equal(await t.store.get(["s", "b"], { includeExpired: true }), null);
});

Deno.test("TtlStore.sweep() refuses an entry it did not write", async () => {
  using t = await setup();
  await t.raw.set(["s", "foreign"], 42);
  await assert.rejects(t.store.sweep(["s"]), {
    name: "CacheEntryCorruptError",
    message:
      'Cannot sweep cache entries: ["s","foreign"] does not hold a TTL envelope: expected { value, expiresAt: number }',
  });
});

Deno.test("TtlStore.lookup() tells an absent key, an entry and a foreign value apart", async () => {
  using t = await setup();
  await t.store.set(["mine"], "v", { ttlMs: 1_000 });
  await t.raw.set(["foreign"], "raw string");
  t.clock.set(5_000);
  assert.deepEqual(await t.store.lookup(["absent"]), { kind: "absent" });
  assert.deepEqual(await t.store.lookup(["mine"]), {
    kind: "entry",
    entry: {
      key: ["mine"],
      value: "v",
      expiresAt: 1_000,
      versionstamp: (await t.raw.get(["mine"])).versionstamp,
    },
  });
  const foreign = await t.store.lookup(["foreign"]);
  assert.equal(foreign.kind, "unreadable");
  assert.ok(foreign.kind === "unreadable");
  assert.equal(foreign.versionstamp, (await t.raw.get(["foreign"])).versionstamp);
  assert.deepEqual(foreign.key, ["foreign"]);
  assert.ok(foreign.error instanceof CacheEntryCorruptError);
  assert.equal(
    foreign.error.message,
    'Cannot read cache entry: ["foreign"] does not hold a TTL envelope: expected { value, expiresAt: number }',
  );
});

Deno.test('TtlStore.sweep() with unreadable: "delete" removes and counts foreign entries, and goes on', async () => {
  using t = await setup();
  await t.raw.set(["s", "a-foreign"], 42);
  await t.store.set(["s", "b-old"], 1, { ttlMs: 1_000 });
  await t.raw.set(["s", "c-foreign"], "x");
  await t.store.set(["s", "d-young"], 2, { ttlMs: 5_000 });
  t.clock.set(1_000);
  assert.equal(await t.store.sweep(["s"], { unreadable: "delete" }), 3);
  const keys = [];
  for await (const entry of t.raw.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, [["s", "d-young"]]);
});

Deno.test("TtlStore.sweep() treats an entry refused by isReadable as unreadable, whatever its expiry", async (t) => {
  const isReadable = (entry: { value: unknown }) => entry.value !== "bad";
  await t.step('deleting it, without alsoDelete, when unreadable is "delete"', async () => {
    using s = await setup();
    await s.store.set(["s", "bad"], "bad", { ttlMs: HOUR });
    await s.store.set(["s", "good"], "good", { ttlMs: HOUR });
    const alsoDeleted: unknown[] = [];
    const removed = await s.store.sweep(["s"], {
      isReadable,
      unreadable: "delete",
      alsoDelete: (entry) => {
        alsoDeleted.push(entry.key);
        return [];
      },
    });
    assert.equal(removed, 1);
    assert.deepEqual(alsoDeleted, []);
    assert.equal((await s.store.get(["s", "good"]))?.value, "good");
    assert.equal(await s.store.get(["s", "bad"]), null);
  });
  await t.step("throwing by default", async () => {
    using s = await setup();
    await s.store.set(["s", "bad"], "bad", { ttlMs: HOUR });
    await assert.rejects(s.store.sweep(["s"], { isReadable }), {
      name: "CacheEntryCorruptError",
      message: 'Cannot sweep cache entries: ["s","bad"] holds a value the sweep cannot read',
    });
  });
});

Deno.test("TtlStore.sweep() spares an unreadable entry replaced while the sweep runs", async () => {
  using t = await setup();
  await t.raw.set(["s", "a"], "foreign");
  const writer = new TtlStore({ kv: t.raw, clock: t.clock });
  t.kv.onListed(async (entry) => {
    if (entry.key[1] === "a") await writer.set(["s", "a"], "mine", { ttlMs: HOUR });
  });
  assert.equal(await t.store.sweep(["s"], { unreadable: "delete" }), 0);
  assert.equal((await t.store.get(["s", "a"]))?.value, "mine");
});
