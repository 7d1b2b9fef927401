/**
 * The end-to-end journeys and the migration tests through the wire client: a child `deno test` of
 * `e2e/0*_test.ts`, `unit/db/migrate/migrator_test.ts`, `unit/db/schema/migrations_test.ts` and `unit/db/schema/migrations/`
 * with `PML_TEST_DATABASE_URL` naming PGlite (which has pgvector) served over the socket, so every harness
 * database of those tests is reached through postgres.js — after a `withFastDb` run has left its
 * migrated schema in the served database, which the replaying tests must not see.
 */
import assert from "node:assert/strict";
import { openPglite } from "../../src/db/embedded/open_embedded.ts";
import { serveDatabase } from "../../src/db/embedded/serve_database.ts";
import { runChild } from "./child_process.ts";

const E2E = new URL("../", import.meta.url).pathname;
const UNIT_DB = new URL("../../unit/db/", import.meta.url).pathname;
const FIXTURES = new URL("../../fixtures/mod.ts", import.meta.url).href;
const FAST_SCRIPT = `import { closeTestDatabases, withFastDb } from ${JSON.stringify(FIXTURES)};
  import assert from "node:assert/strict";
  await withFastDb((db) => db.query("INSERT INTO config (key, value) VALUES ('from-a-test', 'x')"));
  await withFastDb(async (db) => {
    assert.deepEqual(await db.query("SELECT key FROM config WHERE key = 'from-a-test'"), []);
    // A failing statement does not abort the test's transaction (statements are guarded).
    await assert.rejects(db.query("SELECT * FROM no_such_table"), { sqlState: "42P01" });
    assert.deepEqual(await db.query("SELECT 1 AS one"), [{ one: 1 }]);
  });
  await closeTestDatabases();`;

Deno.test("the e2e journeys and the migration tests pass through the wire client against served PGlite", async () => {
  const pg = await openPglite("memory://");
  const server = await serveDatabase(pg, { port: 0 });
  try {
    // withFastDb on served PGlite: a schema migrated once (committed), each call rolled back.
    const fast = await runChild(Deno.execPath(), ["eval", FAST_SCRIPT], {
      what: "withFastDb on served PGlite",
      env: { PML_TEST_DATABASE_URL: server.url },
    });
    assert.equal(fast.code, 0, fast.err);
    const schemas = await pg.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pml\\_%'",
    );
    assert.equal(schemas.rows.length, 1, JSON.stringify(schemas.rows));
    const [{ nspname: migrated }] = schemas.rows as [{ nspname: string }];
    assert.match(migrated, /^pml_migrated_[0-9a-f]{16}$/);
    const history = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${migrated}.migrations_history`,
    );
    assert.deepEqual(history.rows, [{ n: 18 }]);
    const config = await pg.query(`SELECT key FROM ${migrated}.config WHERE key = 'from-a-test'`);
    assert.deepEqual(config.rows, []);

    const journeys = [];
    for await (const entry of Deno.readDir(E2E)) {
      if (/^0\d_.*_test\.ts$/.test(entry.name)) journeys.push(`${E2E}${entry.name}`);
    }
    assert.ok(journeys.length >= 7, journeys.join(", "));
    const migrationTests = [
      `${UNIT_DB}migrate/migrator_test.ts`,
      `${UNIT_DB}schema/migrations_test.ts`,
      `${UNIT_DB}schema/migrations/`,
    ];
    const run = await runChild(
      Deno.execPath(),
      ["test", "--no-check", "--allow-all", ...journeys.sort(), ...migrationTests],
      {
        what: "the journeys and the migration tests on served PGlite",
        env: { PML_TEST_DATABASE_URL: server.url, NO_COLOR: "1" },
        // About 80 s on an idle machine and over 6 min beside other tests: only a hang should end it.
        timeoutMs: 30 * 60_000,
      },
    );
    const out = run.out;
    assert.equal(run.code, 0, `${out}\n${run.err}`);
    const summary = out.match(/^ok \| (\d+) passed \((\d+) steps\) \| 0 failed/m);
    assert.ok(summary !== null, out);
    // 19 journeys (60 steps) and 22 migration tests (12 steps) when this was written: all of them ran,
    // none was filtered out.
    assert.ok(Number(summary[1]) >= 41 && Number(summary[2]) >= 72, summary[0]);
    assert.doesNotMatch(out, /filtered out|ignored/);
    // Every test's schema and rows were rolled back: the served database holds only the migrated schema.
    const left = await pg.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pml\\_%' UNION ALL " +
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    assert.deepEqual(left.rows, [{ nspname: migrated }]);
  } finally {
    await server.close();
    await pg.close();
  }
});
