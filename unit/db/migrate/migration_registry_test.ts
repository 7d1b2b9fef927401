import assert from "node:assert/strict";
import { defineMigrations } from "../../../src/db/migrate/migration_registry.ts";
import { migrations, MISSING_VERSIONS } from "../../../src/db/schema/migrations.ts";
import { MigrationError } from "../../../src/db/migrate/migration_error.ts";
import type { Migration } from "../../../src/db/migrate/migration.ts";
import { test } from "../../dual_runtime.ts";

const m = (version: number, name = `m${version}`): Migration => ({
  version,
  name,
  up: "",
  down: "",
});

test("migrations registry holds every version from 001 to the last one but 005, ascending, frozen", () => {
  const latest = migrations.at(-1)!.version;
  assert.deepEqual(
    migrations.map((x) => x.version),
    Array.from({ length: latest }, (_, i) => i + 1).filter((v) => !MISSING_VERSIONS.includes(v)),
  );
  assert.deepEqual(MISSING_VERSIONS, [5]);
  assert.equal(migrations[0]?.name, "initial_schema");
  assert.equal(migrations.find((x) => x.version === 19)?.name, "db_schema_cleanup");
  assert.ok(Object.isFrozen(migrations) && migrations.every(Object.isFrozen));
});

test("defineMigrations() rejects duplicate versions naming both migrations", () => {
  assert.throws(() => defineMigrations([m(1, "a"), m(1, "b")]), {
    name: "MigrationError",
    code: "MIGRATION_REGISTRY_INVALID",
    message:
      "Cannot use migration list: version 1 is used twice ('a' and 'b'), expected unique versions",
  });
});

test("defineMigrations() rejects out-of-order versions", () => {
  assert.throws(() => defineMigrations([m(2, "b"), m(1, "a")]), {
    code: "MIGRATION_REGISTRY_INVALID",
    message:
      "Cannot use migration list: version 1 (a) comes after 2 (b), expected ascending versions",
  });
});

test("defineMigrations() rejects bad versions, names and SQL", () => {
  assert.throws(
    () => defineMigrations([m(0)]),
    /entry 0 has version 0, expected a positive integer/,
  );
  assert.throws(() => defineMigrations([m(1.5)]), /version 1.5, expected a positive integer/);
  assert.throws(() => defineMigrations([m(1, "Bad Name")]), /name "Bad Name", expected snake_case/);
  const noSql = { version: 1, name: "a", up: 1 } as unknown as Migration;
  assert.throws(
    () => defineMigrations([noSql]),
    /must have 'up' and 'down', each SQL text or an async function/,
  );
});

test("defineMigrations() accepts only declared gaps", () => {
  assert.throws(() => defineMigrations([m(1), m(3)], { missingVersions: [] }), {
    message:
      "Cannot use migration list: version 2 is missing, expected every version up to 3 or a declared gap",
  });
  assert.throws(
    () => defineMigrations([m(1), m(2)], { missingVersions: [2] }),
    /version 2 is declared missing but is present/,
  );
  assert.equal(defineMigrations([m(1), m(3)], { missingVersions: [2] }).length, 2);
  assert.throws(() => defineMigrations([m(2), m(2)]), (error) => {
    assert.ok(error instanceof MigrationError);
    assert.equal(error.version, 2);
    return true;
  });
});

test("defineMigrations() refuses transaction control in a migration, naming it and the statement", async (t) => {
  const refused: Array<[string, string, RegExp]> = [
    [
      "CREATE TABLE p1 (id INT); COMMIT; CREATE TABLE p2 (id INT); SELEC 1;",
      "up",
      /migration 1 \(m1\) has the transaction-control statement 'COMMIT' in its up SQL; .* remove the COMMIT$/,
    ],
    [
      "CREATE TABLE r1 (id INT); ROLLBACK; CREATE TABLE r2 (id INT);",
      "up",
      /'ROLLBACK' in its up SQL/,
    ],
    ["begin; CREATE TABLE t (id INT);", "up", /'begin' in its up SQL; .* remove the BEGIN$/],
    ["START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "up", /remove the START TRANSACTION$/],
    ["SAVEPOINT s1; RELEASE s1", "down", /'SAVEPOINT s1' in its down SQL/],
    ["/* a /* nested */ comment */ END", "up", /'END' in its up SQL/],
    ["SELECT 1; abort", "down", /'abort' in its down SQL; .* remove the ABORT$/],
    ["START /* why */ TRANSACTION", "up", /remove the START TRANSACTION$/],
    ["PREPARE\n  TRANSACTION 'tx1'", "up", /'PREPARE TRANSACTION 'tx1'' in its up SQL/],
    ["COMMIT PREPARED 'tx1'", "down", /remove the COMMIT$/],
    ["ROLLBACK TO SAVEPOINT s1", "up", /remove the ROLLBACK$/],
    ["SELECT 1; -- a comment\nRELEASE SAVEPOINT s1", "up", /'RELEASE SAVEPOINT s1' in its up/],
  ];
  for (const [sql, direction, message] of refused) {
    await t.step(sql, () => {
      const migration = { ...m(1), [direction]: sql };
      assert.throws(() => defineMigrations([migration]), (error: unknown) => {
        assert.ok(error instanceof MigrationError);
        assert.equal(error.code, "MIGRATION_REGISTRY_INVALID");
        assert.equal(error.version, 1);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  await t.step("in the report SQL", () => {
    assert.throws(() => defineMigrations([{ ...m(1), report: "COMMIT; SELECT 'done'" }]), {
      code: "MIGRATION_REGISTRY_INVALID",
      message:
        "Cannot use migration list: migration 1 (m1) has the transaction-control statement 'COMMIT' " +
        "in its report SQL; the runner runs each migration in one transaction of its own, so remove " +
        "the COMMIT",
    });
  });
  const accepted = [
    "DO $$ BEGIN PERFORM 1; END $$; SELECT 'COMMIT'; -- ROLLBACK\n/* COMMIT; */ SELECT 1",
    "DO $body$ BEGIN\n  PERFORM 1;\nEND $body$",
    "CREATE FUNCTION f() RETURNS INT AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
    "/* outer /* inner */ COMMIT; still the comment */ SELECT 1",
    "SELECT \"commit\" FROM t; SELECT E'\\'; COMMIT'",
    "PREPARE plan AS SELECT 1; EXECUTE plan; DEALLOCATE plan",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "CREATE TABLE savepoints (id INT); INSERT INTO savepoints VALUES (1)",
  ];
  for (const up of accepted) {
    await t.step(`accepted: ${up}`, () => {
      assert.equal(defineMigrations([{ ...m(1), up, down: up }]).length, 1);
    });
  }
});
