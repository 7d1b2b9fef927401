/**
 * What one test's database costs: the naive setup (a new PGlite instance, then all migrations) as the
 * baseline, the harness's per-test replay of 001–019 with the idempotency proof, and the fast path. Two
 * more cases take the replay apart: `migrate()` alone, and the floor under both, the DDL of every `up`
 * sent in one `exec` with no runner and no proof.
 *
 * Run: `deno task bench bench/harness_bench.ts`
 *
 * @module
 */
import { openDatabase } from "../src/db/open_database.ts";
import { migrate, runStatements } from "../src/db/migrate/migrator.ts";
import { withFastDb, withMigratedDb } from "../fixtures/test_db.ts";
import { runIsolated } from "../fixtures/isolation.ts";
import { migrations } from "../src/db/schema/migrations.ts";
import { timed } from "./_medians.ts";

// deno bench awaits only functions declared `async`; `timed` returns one.
const noop = () => Promise.resolve();

// Each naive iteration costs seconds and ~200 MB, so it runs a few times only.
Deno.bench({
  name: "naive: new PGlite + migrate 001–019",
  group: "per-test database",
  baseline: true,
  n: 5,
  warmup: 1,
  fn: timed("naive", async () => {
    await using db = await openDatabase();
    const { error } = await migrate(db);
    if (error !== undefined) throw error;
  }),
});

Deno.bench({
  name: "harness: withMigratedDb (replay 001–019 + idempotency proof)",
  group: "per-test database",
  n: 60,
  warmup: 5,
  fn: timed("withMigratedDb", () => withMigratedDb(noop)),
});

Deno.bench({
  name: "part: migrate() 001–019 on an isolated empty database, no proof",
  group: "per-test database",
  n: 60,
  warmup: 5,
  fn: timed("migrate only", () =>
    runIsolated("empty", async (db) => {
      const { results, error } = await migrate(db, { migrations });
      if (error !== undefined) throw error;
      if (results.length !== migrations.length) {
        throw new Error(`Cannot time migrate(): ${results.length} of ${migrations.length} applied`);
      }
    })),
});

// The SQL of every up in one exec; a code up (019 wraps its SQL) runs as it is.
const sqlUps = migrations.filter((m) => typeof m.up === "string").map((m) => m.up).join(";\n");
const codeUps = migrations.filter((m) => typeof m.up !== "string");
Deno.bench({
  name: "floor: the DDL of every up in one exec, no runner",
  group: "per-test database",
  n: 60,
  warmup: 5,
  fn: timed("DDL only", () =>
    runIsolated("empty", async (db) => {
      await db.exec(sqlUps);
      for (const migration of codeUps) await runStatements(db, migration, "up");
    })),
});

Deno.bench({
  name: "harness: withFastDb (cached migrated state)",
  group: "per-test database",
  n: 1000,
  warmup: 20,
  fn: timed("withFastDb", () => withFastDb(noop)),
});
