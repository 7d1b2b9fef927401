import assert from "node:assert/strict";
// The runner on a migrated database: the fast path is enough (the replay is proven in test_db_test.ts
// and migrations_test.ts).
import { withFastDb, withMigratedDb } from "../../../fixtures/test_db.ts";
import { diffLines, readFingerprint } from "../../../fixtures/fingerprint.ts";
import { migrations } from "../../../src/db/schema/migrations.ts";
import { migrate, rollback } from "../../../src/db/migrate/migrator.ts";
import { MigrationError } from "../../../src/db/migrate/migration_error.ts";
import { status, verify } from "../../../src/db/migrate/migration_status.ts";
import type { Migration } from "../../../src/db/migrate/migration.ts";
import type { DbClient } from "../../../src/db/client/db_client.ts";
import { test } from "../../dual_runtime.ts";

// The registry's last two versions, so these tests follow the registry when a migration is added; the
// test-only migrations come after the last one.
const latest = migrations.at(-1)!.version;
const previous = migrations.at(-2)!.version;

const halfWay: Migration = {
  version: latest + 1,
  name: "fails_half_way",
  up:
    "CREATE TABLE half_done (id INT);\nINSERT INTO half_done VALUES (1);\nSELECT * FROM no_such_table;",
  down: "DROP TABLE IF EXISTS half_done;",
};
const later: Migration = {
  version: latest + 2,
  name: "after_failure",
  up: "CREATE TABLE IF NOT EXISTS later (id INT);",
  down: "DROP TABLE IF EXISTS later;",
};

async function tableExists(db: DbClient, name: string): Promise<boolean> {
  const row = await db.queryOne<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [name]);
  return row?.t != null;
}

async function historyVersions(db: DbClient): Promise<number[]> {
  const rows = await db.query<{ version: number }>(
    "SELECT version FROM migrations_history ORDER BY version",
  );
  return rows.map((row) => row.version);
}

test("migrate() on a migrated database applies nothing", async () => {
  await withFastDb(async (db) => {
    assert.deepEqual(await migrate(db), { results: [] });
    const current = await status(db);
    assert.equal(current.currentVersion, latest);
    assert.equal(current.pendingCount, 0);
    assert.ok(current.entries.every((entry) => entry.state === "applied"));
  });
});

test("migrate() stops at a failing migration, names it, and leaves nothing of it behind", async () => {
  await withFastDb(async (db) => {
    const { results, error } = await migrate(db, { migrations: [...migrations, halfWay, later] });
    assert.ok(error !== undefined);
    assert.equal(error.name, "MigrationError");
    assert.equal(error.code, "MIGRATION_FAILED");
    assert.equal(error.version, halfWay.version);
    assert.equal(error.migrationName, "fails_half_way");
    assert.equal("sql" in error && error.sql, "SELECT * FROM no_such_table");
    assert.equal(
      error.message,
      `Cannot apply migration ${halfWay.version} (fails_half_way): relation "no_such_table" does ` +
        "not exist; " +
        "failing statement: SELECT * FROM no_such_table",
    );
    assert.deepEqual(results.map((r) => [r.version, r.status]), [[halfWay.version, "failed"], [
      later.version,
      "not_executed",
    ]]);
    assert.equal(await tableExists(db, "half_done"), false);
    assert.equal(await tableExists(db, "later"), false);
    assert.deepEqual((await historyVersions(db)).slice(-2), [previous, latest]);
  });
});

test("migrate() keeps earlier migrations of the same run when a later one fails", async () => {
  await withFastDb(async (db) => {
    const { results, error } = await migrate(db, {
      migrations: [...migrations, later, { ...halfWay, version: latest + 3 }],
    });
    assert.equal(error?.code, "MIGRATION_FAILED");
    assert.deepEqual(results.map((r) => [r.version, r.status]), [
      [later.version, "applied"],
      [latest + 3, "failed"],
    ]);
    assert.equal(await tableExists(db, "later"), true);
    assert.deepEqual((await historyVersions(db)).slice(-2), [latest, later.version]);
  });
});

test("migrate() returns a result per migration with its time", async () => {
  await withFastDb(async (db) => {
    const seen: number[] = [];
    const { results, error } = await migrate(db, {
      migrations: [...migrations, later],
      onResult: (r) => seen.push(r.version),
    });
    assert.equal(error, undefined);
    assert.equal(results.length, 1);
    const [result] = results;
    assert.deepEqual({ ...result, ms: 0 }, {
      version: later.version,
      name: "after_failure",
      status: "applied",
      ms: 0,
    });
    assert.ok(typeof result?.ms === "number" && result.ms >= 0);
    assert.deepEqual(seen, [later.version]);
    const row = await db.queryOne<{ checksum: string; execution_ms: number }>(
      "SELECT checksum, execution_ms FROM migrations_history WHERE version = $1",
      [later.version],
    );
    assert.match(row?.checksum ?? "", /^[0-9a-f]{64}$/);
    assert.ok(Number.isInteger(row?.execution_ms));
  });
});

test("verify() reports an edited migration, and migrate() refuses to run", async () => {
  await withFastDb(async (db) => {
    const edited = migrations.map((m) =>
      m.version === 18 ? { ...m, up: `${m.up}\n-- edited after it was applied` } : m
    );
    const result = await verify(db, { migrations: [...edited, later] });
    assert.deepEqual(result, {
      ok: false,
      problems: [{
        version: 18,
        name: "permission_audit_log",
        kind: "drifted",
        message:
          "migration 18 (permission_audit_log) was applied with different SQL: its checksum in " +
          "migrations_history no longer matches the code; restore the original SQL, or add a new " +
          "migration for the change",
      }],
    });
    const { results, error } = await migrate(db, { migrations: [...edited, later] });
    assert.deepEqual(results, []);
    assert.equal(error?.code, "MIGRATION_DRIFT");
    assert.match(
      error.message,
      /^Cannot apply migrations: migration 18 \(permission_audit_log\) was applied with/,
    );
    assert.equal(await tableExists(db, "later"), false);
  });
});

test("verify() reports applied versions unknown to the registry and out-of-order ones", async () => {
  await withFastDb(async (db) => {
    const withoutEight = migrations.filter((m) => m.version !== 8);
    const unknown = await verify(db, { migrations: withoutEight });
    assert.deepEqual(
      unknown.problems.map((p) => [p.version, p.kind]),
      [[8, "unknown"]],
    );
    await db.query("DELETE FROM migrations_history WHERE version = 8");
    const outOfOrder = await verify(db);
    assert.deepEqual(outOfOrder.problems.map((p) => [p.version, p.kind]), [[8, "out_of_order"]]);
    const run = await migrate(db);
    assert.deepEqual(run.results, []);
    assert.equal(run.error?.code, "MIGRATION_DRIFT");
    assert.match(run.error.message, /^Cannot apply migrations: migration 8 /);
  });
});

test("rollback() reverts newer migrations in reverse order and forgets them", async () => {
  // The schema of a database migrated only up to the second-to-last migration.
  const atPrevious = await withMigratedDb(async (db) => (await readFingerprint(db)).schema, {
    migrations: migrations.slice(0, -1),
  });
  await withFastDb(async (db) => {
    assert.equal((await migrate(db, { migrations: [...migrations, later] })).error, undefined);
    const { results, error } = await rollback(db, {
      to: previous,
      migrations: [...migrations, later],
    });
    assert.equal(error, undefined);
    assert.deepEqual(results.map((r) => [r.version, r.status]), [[later.version, "rolled_back"], [
      latest,
      "rolled_back",
    ]]);
    assert.equal(await tableExists(db, "later"), false);
    assert.equal(diffLines(atPrevious, (await readFingerprint(db)).schema), "");
    assert.deepEqual((await historyVersions(db)).slice(-1), [previous]);
    assert.equal((await migrate(db)).results.length, 1);
  });
});

test("rollback() to a version that is not applied is a clear error and changes nothing", async () => {
  await withFastDb(async (db) => {
    const applied = migrations.map((m) => m.version).join(", ");
    const { results, error } = await rollback(db, { to: 5 });
    assert.deepEqual(results, []);
    assert.ok(error instanceof MigrationError);
    assert.equal(error.code, "ROLLBACK_TARGET_INVALID");
    assert.equal(error.version, 5);
    assert.equal(
      error.message,
      `Cannot roll back to version 5: it is not applied (applied: ${applied}); choose an applied ` +
        "version, or 0 to revert everything",
    );
    for (const to of [-1, 1.5, Number.NaN, undefined]) {
      await assert.rejects(rollback(db, { to } as { to: number }), {
        name: "RangeError",
        message:
          `Cannot roll back: the target version must be a non-negative integer, found ${to}; ` +
          "pass { to: N } with an applied version, or 0 to revert everything",
      });
    }
    assert.equal((await historyVersions(db)).length, migrations.length);
  });
});

test("rollback() to 0 reverts everything, leaving only the history table", async () => {
  await withFastDb(async (db) => {
    const { results, error } = await rollback(db, { to: 0 });
    assert.equal(error, undefined);
    assert.equal(results.length, migrations.length);
    const tables = await db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
    );
    assert.deepEqual(tables, [{ name: "migrations_history" }]);
    const extensions = await db.query("SELECT extname FROM pg_extension WHERE extname = 'vector'");
    assert.deepEqual(extensions, []);
  });
});

test("migrate() reports a failure after the SQL ran (recording history) as that migration's failure", async () => {
  await withFastDb(async (db) => {
    const dropsHistory: Migration = {
      version: latest + 1,
      name: "drops_history",
      up: "DROP TABLE migrations_history;",
      down: "",
    };
    const { results, error } = await migrate(db, { migrations: [...migrations, dropsHistory] });
    assert.ok(error !== undefined);
    assert.equal(error.name, "MigrationError");
    assert.equal(error.code, "MIGRATION_FAILED");
    assert.equal(error.version, dropsHistory.version);
    assert.match(
      error.message,
      new RegExp(
        `^Cannot apply migration ${dropsHistory.version} \\(drops_history\\): Cannot run query: ` +
          'relation "migrations_history" does not exist',
      ),
    );
    assert.equal((error.cause as Error).name, "DbError");
    assert.deepEqual(results.map((r) => r.status), ["failed"]);
    assert.equal(await tableExists(db, "migrations_history"), true);
    assert.equal((await historyVersions(db)).length, migrations.length);
  });
});

test("verify() reports a history row whose name was edited, and migrate() refuses to run", async () => {
  await withFastDb(async (db) => {
    await db.query("UPDATE migrations_history SET name = 'renamed_by_hand' WHERE version = 12");
    const result = await verify(db);
    assert.deepEqual(result.problems, [{
      version: 12,
      name: migrations.find((m) => m.version === 12)?.name,
      kind: "renamed",
      message: `migration 12 (${
        migrations.find((m) => m.version === 12)?.name
      }) is recorded in migrations_history under the name 'renamed_by_hand', expected '${
        migrations.find((m) => m.version === 12)?.name
      }'; restore the name in migrations_history (the history was edited)`,
    }]);
    assert.equal((await migrate(db)).error?.code, "MIGRATION_DRIFT");
  });
});

test("migrate() refuses a migration that controls the transaction before anything runs", async (t) => {
  await withFastDb(async (db) => {
    const cases: Array<[Migration, string]> = [
      [{
        version: latest + 1,
        name: "commits_half_way",
        up: "CREATE TABLE p1 (id INT); COMMIT; CREATE TABLE p2 (id INT); SELEC 1;",
        down: "",
      }, "COMMIT"],
      [{
        version: latest + 1,
        name: "rolls_back",
        up: "CREATE TABLE r1 (id INT); ROLLBACK; CREATE TABLE r2 (id INT);",
        down: "",
      }, "ROLLBACK"],
    ];
    for (const [migration, statement] of cases) {
      await t.step(migration.name, async () => {
        await assert.rejects(migrate(db, { migrations: [...migrations, later, migration] }), {
          name: "MigrationError",
          code: "MIGRATION_REGISTRY_INVALID",
          version: migration.version,
          migrationName: migration.name,
          message:
            `Cannot use migration list: migration ${migration.version} (${migration.name}) has the ` +
            `transaction-control statement '${statement}' in its up SQL; the runner runs each ` +
            `migration in one transaction of its own, so remove the ${statement}`,
        });
        for (const table of ["p1", "p2", "r1", "r2", "later"]) {
          assert.equal(await tableExists(db, table), false, `${table} was created`);
        }
        assert.deepEqual((await historyVersions(db)).slice(-1), [latest]);
      });
    }
  });
});

test("rollback() refuses a down that controls the transaction before reverting anything", async () => {
  await withFastDb(async (db) => {
    assert.equal((await migrate(db, { migrations: [...migrations, later] })).error, undefined);
    const laterDown = { ...later, down: "DROP TABLE IF EXISTS later; ROLLBACK" };
    await assert.rejects(rollback(db, { to: previous, migrations: [...migrations, laterDown] }), {
      code: "MIGRATION_REGISTRY_INVALID",
      message: new RegExp(
        `migration ${later.version} \\(after_failure\\) has the transaction-control statement ` +
          "'ROLLBACK' in its down SQL",
      ),
    });
    assert.equal(await tableExists(db, "later"), true);
    assert.deepEqual((await historyVersions(db)).slice(-2), [latest, later.version]);
  });
});
