import assert from "node:assert/strict";
import { assertMigrationsIdempotent, withMigratedDb } from "@pml/store/fixtures/db";
import { consumerMigrations } from "./mod.ts";

Deno.test("the consumer's own migrations are idempotent", async () => {
  const report = await assertMigrationsIdempotent(consumerMigrations);
  assert.equal(report.applied, 1);
  assert.match(report.fingerprint.schema, /^table tool_notes$/m);
});

Deno.test("the consumer tests against pml-store's migrated schema", async () => {
  await withMigratedDb(async (db) => {
    const row = await db.queryOne<{ n: number }>("SELECT count(*)::int AS n FROM adaptive_config");
    assert.equal(row?.n, 3);
  });
});
