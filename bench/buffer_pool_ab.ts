/**
 * What PostgreSQL's 128 MB `shared_buffers` costs a start, measured A/B: a start from the harness's
 * `test-empty` template with 128 MB and with the harness's 16 MB, alternating in new processes (so a
 * drift of the machine's speed hits both alike), timed by GNU time: the median wall time, CPU time
 * (user + system) and maximum resident set size of each.
 *
 * Run: `npx deno run -A bench/buffer_pool_ab.ts [rounds]` (default 10; needs `/usr/bin/time`).
 *
 * @module
 */
import { join } from "node:path";
import { alternateTimed } from "./_timed_process.ts";
import { closeSharedPglite, sharedPglite } from "../fixtures/shared_pglite.ts";
import { DIGEST_BYTES, templateCacheDir, templateKey } from "../src/db/embedded/template_cache.ts";

const rounds = Number(Deno.args[0] ?? 10);
// The harness's empty template, built here when missing (so no measured process builds it).
await sharedPglite("empty");
await closeSharedPglite();
const template = join(templateCacheDir() ?? "", `${await templateKey("test-empty")}.tar`);
const start = (pool: string) =>
  `import { PGlite } from "@electric-sql/pglite";
  import { vector } from "@electric-sql/pglite-pgvector";
  const bytes = await Deno.readFile(${JSON.stringify(template)});
  const started = performance.now();
  const pg = await PGlite.create({
    loadDataDir: new Blob([bytes.subarray(0, bytes.length - ${DIGEST_BYTES})]),
    extensions: { vector },
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=${pool}"],
  });
  await pg.query("SELECT 1");
  console.log(performance.now() - started);
  await pg.close();`;

const pools = ["128MB", "16MB"];
const cases = pools.map((pool) => ({
  label: `the start with shared_buffers=${pool}`,
  script: start(pool),
}));
for (const [index, m] of (await alternateTimed(rounds, cases)).entries()) {
  console.log(
    `shared_buffers=${pools[index]}: PGlite.create ${m.printed.toFixed(0)} ms, process ${
      m.wallMs.toFixed(0)
    } ms wall, ${m.cpuMs.toFixed(0)} ms CPU, ${
      m.maxRssMb.toFixed(0)
    } MB max RSS (medians of ${m.runs})`,
  );
}
