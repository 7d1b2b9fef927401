/**
 * Test support: a test module that another package could have, run by `server_harness_test.ts` in a child
 * `deno test` with `PML_TEST_DATABASE_URL` set. `PROBE_MODE` picks what it does: `pass` (tests that pass), `template` (clones of a template built once),
 * `fail` (one that fails, leaving a row behind), `hang` (one that never ends, to be killed).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  assertMigrationsIdempotent,
  closeTestDatabases,
  withFastDb,
  withMigratedDb,
} from "../../fixtures/mod.ts";
import { runOnServer } from "../../fixtures/server_databases.ts";
import { NOTES } from "./notes.ts";

const mode = Deno.env.get("PROBE_MODE");

if (mode === "pass") {
  Deno.test("withMigratedDb replays and proves a migration list on the server", async () => {
    await withMigratedDb(async (db) => {
      const name = await db.queryOne<{ name: string }>("SELECT current_database() AS name");
      assert.match(name!.name, /^pml_test_/);
      await db.query("INSERT INTO notes (body) VALUES ($1)", ["second"]);
      const rows = await db.query<{ body: string }>("SELECT body FROM notes ORDER BY id");
      assert.deepEqual(rows.map((r) => r.body), ["first", "second"]);
    }, { migrations: NOTES });
  });
  Deno.test("each test has a database of its own", async () => {
    await withMigratedDb(async (db) => {
      assert.deepEqual(await db.query("SELECT body FROM notes"), [{ body: "first" }]);
    }, { migrations: NOTES });
  });
  Deno.test("assertMigrationsIdempotent proves a list on the server", async () => {
    const report = await assertMigrationsIdempotent(NOTES);
    assert.equal(report.applied, 3);
  });
  Deno.test("withFastDb needs pgvector: the template build names what is missing", async () => {
    await assert.rejects(withFastDb(() => Promise.resolve()), {
      code: "MIGRATION_REQUIREMENT_MISSING",
      message:
        /^Cannot build the test template on 127\.0\.0\.1:\d+\/postgres as postgres: Cannot apply migrations: migration 1 \(initial_schema\) needs the PostgreSQL extension 'vector'/,
    });
  });
} else if (mode === "template") {
  Deno.test("a database cloned from a template migrated once", async () => {
    const url = Deno.env.get("PML_TEST_DATABASE_URL")!;
    for (let i = 0; i < 3; i += 1) {
      await runOnServer(url, "migrated", async (db) => {
        assert.deepEqual(await db.query("SELECT body FROM notes"), [{ body: "first" }]);
        await db.query("INSERT INTO notes (body) VALUES ('mine')");
      }, NOTES);
    }
    await closeTestDatabases();
  });
} else if (mode === "fail") {
  Deno.test("a failing test keeps its database", async () => {
    await withMigratedDb(async (db) => {
      await db.query("INSERT INTO notes (body) VALUES ('evidence')");
      assert.fail("deliberately failing");
    }, { migrations: NOTES });
  });
} else if (mode === "hang") {
  Deno.test("a test that is killed while it runs", async () => {
    await withMigratedDb(async () => {
      console.log("inside the test");
      await new Promise(() => setInterval(() => {}, 1000));
    }, { migrations: NOTES });
  });
} else {
  throw new Error(`PROBE_MODE must be pass, fail or hang, found ${mode}`);
}
