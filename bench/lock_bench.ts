/**
 * What the data-directory lock adds to opening a database: `openPglite()` on an existing data directory
 * (checks + lock + PGlite start) against starting PGlite on the same directory without them, plus the
 * lock's own take-and-release.
 *
 * Run: `deno task bench bench/lock_bench.ts`
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { join } from "node:path";
import { openPglite } from "../src/db/embedded/open_embedded.ts";
import { lockDataDirectory } from "../src/db/embedded/data_directory_lock.ts";
import { timed } from "./_medians.ts";

const dir = join(await Deno.makeTempDir(), "db");
await (await openPglite(dir)).close();

// Each open starts PostgreSQL (about a second): a few runs only.
Deno.bench({
  name: "PGlite.create on the data directory, no checks, no lock",
  group: "open a data directory",
  baseline: true,
  n: 8,
  warmup: 1,
  fn: timed("open without lock", async () => {
    const pg = await PGlite.create(dir, { extensions: { vector } });
    await pg.close();
  }),
});

Deno.bench({
  name: "openPglite: checks + lock + PGlite.create",
  group: "open a data directory",
  n: 8,
  warmup: 1,
  fn: timed("open with lock", async () => {
    const pg = await openPglite(dir);
    await pg.close();
  }),
});

Deno.bench({
  name: "lock: take and release",
  group: "lock alone",
  n: 2000,
  warmup: 50,
  fn: timed("lock", async () => {
    (await lockDataDirectory(dir)).release();
  }),
});
