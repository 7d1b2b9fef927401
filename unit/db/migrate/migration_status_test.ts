import assert from "node:assert/strict";
import { withFastDb } from "../../../fixtures/test_db.ts";
import { migrations } from "../../../src/db/schema/migrations.ts";
import { migrated } from "../migrated.ts";
import { checkStatus, status, verify } from "../../../src/db/migrate/migration_status.ts";
import type { DbClient } from "../../../src/db/client/db_client.ts";
import { test } from "../../dual_runtime.ts";

async function insertHistory(db: DbClient, version: number, name: string): Promise<void> {
  await db.query(
    "INSERT INTO migrations_history (version, name, checksum) VALUES ($1, $2, 'edited by hand')",
    [version, name],
  );
}

test("verify() checks the name of each history row, saying what it expected and found", async () => {
  await withFastDb(async (db) => {
    await db.query("UPDATE migrations_history SET name = 'edited' WHERE version = 3");
    const current = await status(db);
    assert.deepEqual(
      current.entries.filter((e) => e.version === 3).map((e) => [e.state, e.name, e.recordedName]),
      [["renamed", "error_logging", "edited"]],
    );
    assert.deepEqual((await verify(db)).problems, [{
      version: 3,
      name: "error_logging",
      kind: "renamed",
      message:
        "migration 3 (error_logging) is recorded in migrations_history under the name 'edited', " +
        "expected 'error_logging'; restore the name in migrations_history (the history was edited)",
    }]);
    await assert.rejects(migrated(db), {
      code: "MIGRATION_DRIFT",
      message:
        /^Cannot apply migrations: migration 3 \(error_logging\) is recorded in migrations_history/,
    });
  });
});

test("verify() names both the changed SQL and the changed name of a drifted migration", async () => {
  await withFastDb(async (db) => {
    await db.query("UPDATE migrations_history SET name = 'edited' WHERE version = 3");
    const edited = migrations.map((m) => m.version === 3 ? { ...m, up: `${m.up}\n-- edited` } : m);
    const [problem] = (await verify(db, { migrations: edited })).problems;
    assert.equal(problem?.kind, "drifted");
    assert.match(problem?.message ?? "", /\(its history row also records the name 'edited'\)$/);
  });
});

test("verify() reports history rows with a negative version, or one the list lacks, clearly", async (t) => {
  const latest = migrations.at(-1)!.version;
  const future = latest + 1;
  await withFastDb(async (db) => {
    await insertHistory(db, -1, "negative");
    await insertHistory(db, 5, "never_existed");
    await insertHistory(db, future, "from_the_future");
    const current = await status(db);
    assert.deepEqual(
      current.entries.filter((e) => e.state === "unknown").map((e) => [e.version, e.name]),
      [[-1, "negative"], [5, "never_existed"], [future, "from_the_future"]],
    );
    assert.equal(current.currentVersion, future);
    const { ok, problems } = await verify(db);
    assert.equal(ok, false);
    await t.step("a negative version is not a migration version", () => {
      assert.deepEqual(problems[0], {
        version: -1,
        name: "negative",
        kind: "unknown",
        message:
          "migrations_history holds version -1 (negative), expected a positive integer: no " +
          "migration has that version, so the history was edited; delete or correct that row",
      });
    });
    await t.step("a version inside the list's range that the list lacks", () => {
      assert.deepEqual(problems[1], {
        version: 5,
        name: "never_existed",
        kind: "unknown",
        message:
          "migration 5 (never_existed) is applied but not in the migration list, which has no " +
          `version 5 although it goes up to ${latest}; restore the migration in the list, or delete the ` +
          "history row if it was edited",
      });
    });
    await t.step("a version above the list: the database is newer than the code", () => {
      assert.deepEqual(problems[2], {
        version: future,
        name: "from_the_future",
        kind: "unknown",
        message:
          `migration ${future} (from_the_future) is applied but not in the migration list; the ` +
          "database is newer than this code",
      });
    });
    await t.step("migrate() refuses, naming the first problem", async () => {
      await assert.rejects(migrated(db), {
        code: "MIGRATION_DRIFT",
        version: -1,
        message:
          /^Cannot apply migrations: migrations_history holds version -1 .* \(and 2 more problem\(s\)\)$/,
      });
    });
  });
});

test("checkStatus() reports an unknown version by its place relative to the list", () => {
  const { problems } = checkStatus({
    entries: [
      { version: 1, name: "a", state: "applied" },
      { version: 2, name: "gone", state: "unknown" },
      { version: 3, name: "c", state: "applied" },
    ],
    currentVersion: 3,
    pendingCount: 0,
  });
  assert.deepEqual(problems.map((p) => [p.version, p.kind]), [[2, "unknown"]]);
  assert.match(problems[0]?.message ?? "", /which has no version 2 although it goes up to 3/);
});
