/**
 * Test support: a test module that another package could have, run by `server_harness_test.ts` in a child
 * `deno test` with `PML_TEST_DATABASE_URL` set. `PROBE_MODE` picks what it does: `pass` (tests that
 * pass), `template` (clones of a template built once), `fail` (one that fails, leaving a row behind),
 * `fail-held` (one that fails while holding a connection to its database, so it cannot be renamed),
 * `hang` (one that never ends, to be killed), `served` (tests on an empty PGlite served over the wire),
 * `served-refused` (a served PGlite that holds tables is refused).
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
import { closeServerDatabases, runOnServer } from "../../fixtures/server_databases.ts";
import { IsolationError } from "../../fixtures/isolation_error.ts";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
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
    await closeServerDatabases();
  });
} else if (mode === "fail") {
  Deno.test("a failing test keeps its database", async () => {
    await withMigratedDb(async (db) => {
      await db.query("INSERT INTO notes (body) VALUES ('evidence')");
      assert.fail("deliberately failing");
    }, { migrations: NOTES });
  });
} else if (mode === "fail-held") {
  Deno.test({
    name: "a failing test whose database cannot be renamed",
    // The connection is left open on purpose, so the rename fails (PostgreSQL waits five seconds for it
    // to go first); the process's end closes it.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await withMigratedDb(async (db) => {
        const { name } =
          (await db.queryOne<{ name: string }>("SELECT current_database() AS name"))!;
        const url = new URL(Deno.env.get("PML_TEST_DATABASE_URL")!);
        url.pathname = `/${name}`;
        await openPostgres(url.toString());
        assert.fail("deliberately failing while holding a connection");
      }, { migrations: NOTES });
    },
  });
} else if (mode === "served") {
  Deno.test("withFastDb on served PGlite: migrated, isolated, statements guarded", async () => {
    await withFastDb(async (db) => {
      assert.deepEqual(await db.queryOne("SELECT count(*)::int AS n FROM adaptive_config"), {
        n: 3,
      });
      await db.query("INSERT INTO config (key, value) VALUES ('served', 'x')");
      const results = await Promise.allSettled([
        db.query("INSERT INTO config (key, value) VALUES ('a', '1')"),
        db.query("INSERT INTO config (key, value) VALUES ('a', 'duplicate')"),
        db.query("SELECT * FROM no_such_table"),
      ]);
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected"]);
      assert.deepEqual(await db.query("SELECT key FROM config ORDER BY key"), [
        { key: "a" },
        { key: "served" },
      ]);
    });
    await withFastDb(async (db) => {
      assert.deepEqual(await db.query("SELECT key FROM config"), []);
    });
  });
  Deno.test("withMigratedDb on served PGlite replays pml-store's migrations", async () => {
    await withMigratedDb(async (db) => {
      assert.deepEqual(await db.queryOne("SELECT count(*)::int AS n FROM migrations_history"), {
        n: 18,
      });
    });
  });
  Deno.test("a test that commits on served PGlite is caught, and the next starts clean", async () => {
    await assert.rejects(
      withFastDb(async (db) => {
        await db.query("INSERT INTO config (key, value) VALUES ('escaped', 'x')");
        await db.exec("COMMIT");
      }),
      {
        name: "IsolationError",
        code: "ISOLATION_ESCAPED",
        message: /\(the served database's public schema was emptied again\)/,
      },
    );
    await withFastDb(async (db) => {
      assert.deepEqual(await db.query("SELECT key FROM config"), []);
    });
    await withMigratedDb(async (db) => {
      assert.deepEqual(await db.query("SELECT key FROM config"), []);
    });
    await closeTestDatabases();
  });
} else if (mode === "served-refused") {
  Deno.test("a served PGlite that holds tables is refused before anything is written", async () => {
    for (const run of [withFastDb, withMigratedDb]) {
      const error = await run(() => Promise.resolve()).catch((e) => e);
      assert.ok(error instanceof IsolationError, String(error));
      assert.equal(error.code, "TARGET_NOT_EMPTY");
      console.log(error.message);
    }
    await closeTestDatabases();
  });
} else if (mode === "hang") {
  Deno.test("a test that is killed while it runs", async () => {
    await withMigratedDb(async () => {
      console.log("inside the test");
      await new Promise(() => setInterval(() => {}, 1000));
    }, { migrations: NOTES });
  });
} else {
  throw new Error(`PROBE_MODE must be one of those listed above, found ${mode}`);
}
