import assert from "node:assert/strict";
import { openDatabase } from "../../../src/db/open_database.ts";
import { migrate, rollback } from "../../../src/db/migrate/migrator.ts";
import { status, verify } from "../../../src/db/migrate/migration_status.ts";
import { MigrationError } from "../../../src/db/migrate/migration_error.ts";
import type { Migration, MigrationContext } from "../../../src/db/migrate/migration.ts";
import type { DbClient } from "../../../src/db/client/db_client.ts";

const notes: Migration = {
  version: 1,
  name: "create_notes",
  up: "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);",
  down: "DROP TABLE notes;",
};

/** A code migration that fills notes from the context's clock. */
function backfill(checksum?: string): Migration {
  return {
    version: 2,
    name: "backfill_notes",
    up: async (db: DbClient, context: MigrationContext) => {
      await db.query("INSERT INTO notes VALUES (1, $1)", [`at ${context.clock?.now()}`]);
    },
    down: async (db: DbClient) => {
      await db.exec("DELETE FROM notes;");
    },
    ...(checksum === undefined ? {} : { checksum }),
  };
}

async function history(db: DbClient) {
  const exists = await db.queryOne<{ t: string | null }>(
    "SELECT to_regclass('migrations_history')::text AS t",
  );
  if (exists?.t == null) return [];
  return await db.query<{ version: number; checksum: string }>(
    "SELECT version, checksum FROM migrations_history ORDER BY version",
  );
}

Deno.test("a code migration runs with its context and records the checksum its author declared", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const list = [notes, backfill("backfill-v1")];
  const { results, error } = await migrate(db, {
    migrations: list,
    context: { clock: { now: () => 42 } },
  });
  assert.equal(error, undefined);
  assert.deepEqual(results.map((r) => [r.version, r.status]), [[1, "applied"], [2, "applied"]]);
  assert.deepEqual(await db.query("SELECT id, body FROM notes"), [{ id: 1, body: "at 42" }]);
  assert.equal((await history(db))[1]?.checksum, "backfill-v1");
  assert.deepEqual(await verify(db, { migrations: list }), { ok: true, problems: [] });
  // A new checksum for changed code is drift, as an edit to SQL is.
  const edited = [notes, backfill("backfill-v2")];
  assert.deepEqual((await verify(db, { migrations: edited })).problems.map((p) => p.kind), [
    "drifted",
  ]);
  // Its down is code too.
  const back = await rollback(db, { migrations: list, to: 1 });
  assert.equal(back.error, undefined);
  assert.deepEqual(await db.query("SELECT id FROM notes"), []);
});

Deno.test("a code migration without a checksum is recorded, shown and verified as unchecked", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const list = [notes, backfill()];
  assert.equal((await migrate(db, { migrations: list })).error, undefined);
  assert.equal((await history(db))[1]?.checksum, "unchecked");
  const entry = (await status(db, { migrations: list })).entries[1];
  assert.equal(entry?.state, "applied");
  assert.equal(entry?.unchecked, true);
  assert.deepEqual(await verify(db, { migrations: list }), {
    ok: true,
    problems: [],
    unchecked: [{ version: 2, name: "backfill_notes" }],
  });
});

Deno.test("a code migration that throws half-way leaves nothing and records nothing", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const halfWay: Migration = {
    version: 2,
    name: "half_way",
    up: async (db: DbClient) => {
      await db.exec("CREATE TABLE half (id INT); INSERT INTO notes VALUES (9, 'x');");
      throw new Error("the source data is not what I expected");
    },
    down: "DROP TABLE IF EXISTS half;",
    checksum: "half-v1",
  };
  const { results, error } = await migrate(db, { migrations: [notes, halfWay] });
  assert.deepEqual(results.map((r) => [r.version, r.status]), [[1, "applied"], [2, "failed"]]);
  assert.ok(error instanceof MigrationError);
  assert.equal(error.code, "MIGRATION_FAILED");
  assert.equal(error.version, 2);
  assert.equal(
    error.message,
    "Cannot apply migration 2 (half_way): its code failed: the source data is not what I expected; " +
      "nothing of it was kept",
  );
  assert.equal((error.cause as Error).message, "the source data is not what I expected");
  assert.deepEqual((await history(db)).map((r) => r.version), [1]);
  assert.deepEqual(await db.query("SELECT to_regclass('half')::text AS t"), [{ t: null }]);
  assert.deepEqual(await db.query("SELECT id FROM notes"), []);
});

Deno.test("a code migration may not commit or roll back its transaction, nor outlive it", async () => {
  for (const sql of ["COMMIT", "ROLLBACK", "BEGIN", "SAVEPOINT x", "release savepoint x"]) {
    await using db = await openDatabase({ path: ":memory:" });
    const escaping: Migration = {
      version: 2,
      name: "escaping",
      up: async (db: DbClient) => {
        await db.exec("INSERT INTO notes VALUES (1, 'kept?')");
        await db.exec(sql);
      },
      down: "",
      checksum: "escaping-v1",
    };
    const { error } = await migrate(db, { migrations: [notes, escaping] });
    assert.equal(error?.code, "MIGRATION_FAILED", sql);
    assert.match(
      error.message,
      /^Cannot run '.+' in migration 2 \(escaping\): the runner runs each migration in one transaction of its own/,
    );
    assert.deepEqual(await db.query("SELECT id FROM notes"), [], sql);
    assert.deepEqual((await history(db)).map((r) => r.version), [1], sql);
  }
  await using db = await openDatabase({ path: ":memory:" });
  let kept: DbClient | undefined;
  const leaky: Migration = {
    version: 2,
    name: "leaky",
    up: (db: DbClient) => {
      kept = db;
      return Promise.resolve();
    },
    down: "",
    checksum: "leaky-v1",
  };
  assert.equal((await migrate(db, { migrations: [notes, leaky] })).error, undefined);
  await assert.rejects(kept!.query("SELECT 1"), { code: "DB_TRANSACTION_ENDED" });
});

Deno.test("a bad checksum is refused before anything is written, naming the migration", async () => {
  await using db = await openDatabase({ path: ":memory:" });
  const cases: Array<[Migration, RegExp]> = [
    [
      backfill(""),
      /^Cannot use migration list: migration 2 \(backfill_notes\) declares checksum "", expected non-empty text; change it whenever the migration's code changes$/,
    ],
    [
      { ...backfill(), checksum: 7 as unknown as string },
      /declares checksum 7, expected non-empty text/,
    ],
    [
      { ...notes, version: 2, name: "sql_with_checksum", checksum: "mine" },
      /^Cannot use migration list: migration 2 \(sql_with_checksum\) is SQL and declares a checksum; remove it/,
    ],
  ];
  for (const [bad, message] of cases) {
    await assert.rejects(migrate(db, { migrations: [notes, bad] }), {
      code: "MIGRATION_REGISTRY_INVALID",
      version: 2,
      message,
    });
  }
  assert.deepEqual(await history(db), []);
});
