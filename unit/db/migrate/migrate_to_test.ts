import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open_database.ts";
import { migrations } from "../../../src/db/schema/migrations.ts";
import { migrate, rollback } from "../../../src/db/migrate/migrator.ts";
import { status } from "../../../src/db/migrate/migration_status.ts";
import { MigrationError } from "../../../src/db/migrate/migration_error.ts";
import type { Migration } from "../../../src/db/migrate/migration.ts";
import type { DbClient } from "../../../src/db/client/db_client.ts";

// Three small migrations keep this fast; the registry's own list is exercised through `to` once.
const list: Migration[] = [1, 2, 3].map((version) => ({
  version,
  name: `table_${version}`,
  up: `CREATE TABLE t${version} (id INT);`,
  down: `DROP TABLE t${version};`,
}));

async function historyTableExists(db: DbClient): Promise<boolean> {
  const row = await db.queryOne<{ t: string | null }>(
    "SELECT to_regclass('migrations_history')::text AS t",
  );
  return row?.t != null;
}

Deno.test("migrate({ to }) applies up to and including to, and later runs continue from there", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const first = await migrate(db, { migrations: list, to: 2 });
  assert.equal(first.error, undefined);
  assert.deepEqual(first.results.map((r) => [r.version, r.status]), [[1, "applied"], [
    2,
    "applied",
  ]]);
  assert.equal((await status(db, { migrations: list })).pendingCount, 1);
  assert.deepEqual(await migrate(db, { migrations: list, to: 2 }), { results: [] });
  const rest = await migrate(db, { migrations: list });
  assert.deepEqual(rest.results.map((r) => r.version), [3]);
});

Deno.test("migrate({ to }) refuses a version the list does not hold before anything is written", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  for (const to of [4, 0, 1.5]) {
    await assert.rejects(migrate(db, { migrations: list, to }), {
      name: "RangeError",
      message:
        `Cannot migrate to version ${to}: the migration list has no such version (it holds ` +
        "1, 2, 3); pass one of them, or leave out to for the last",
    });
  }
  assert.equal(await historyTableExists(db), false);
});

Deno.test("migrate({ to }) below the current version returns MIGRATION_TARGET_INVALID and runs nothing", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  await migrate(db, { migrations: list });
  const { results, error } = await migrate(db, { migrations: list, to: 1 });
  assert.deepEqual(results, []);
  assert.ok(error instanceof MigrationError);
  assert.equal(error.code, "MIGRATION_TARGET_INVALID");
  assert.equal(error.version, 1);
  assert.equal(
    error.message,
    "Cannot migrate to version 1: the database is at version 3 already; use rollback({ to: 1 }) to go down",
  );
  assert.equal((await status(db, { migrations: list })).currentVersion, 3);
  // rollback() is the way down, and its own refusals are returned the same way.
  assert.deepEqual(
    (await rollback(db, { migrations: list, to: 1 })).results.map((r) => r.version),
    [
      3,
      2,
    ],
  );
  const refused = await rollback(db, { migrations: list, to: 2 });
  assert.equal(refused.error?.code, "ROLLBACK_TARGET_INVALID");
});

Deno.test("migrate({ to }) on pml-store's registry stops at that version", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const to = migrations[2]!.version;
  const { results, error } = await migrate(db, { to });
  assert.equal(error, undefined);
  assert.deepEqual(results.map((r) => r.version), migrations.slice(0, 3).map((m) => m.version));
  const state = await status(db);
  assert.equal(state.currentVersion, to);
  assert.equal(state.pendingCount, migrations.length - 3);
});

Deno.test("status() and verify() refuse the old positional list with what to write", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  await assert.rejects(status(db, list as never), {
    name: "TypeError",
    message:
      "Cannot status: the migrations are an option now, found an array; write status(db, { migrations })",
  });
});
