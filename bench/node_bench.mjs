#!/usr/bin/env node
/**
 * The startup, per-test and cache figures under Node, on the built package (`npm run build` first), as
 * ratios within this one run — the Node column beside `startup_bench.ts`, `harness_bench.ts` and
 * `cache_bench.ts` under Deno:
 *
 * - start: fresh `PGlite.create()` (baseline) vs the harness's first `withFastDb()` vs `openDatabase()` in
 *   memory, each in a new `node` process, as a test file is;
 * - per test: `withMigratedDb` (replay + proof) vs `withFastDb`, medians in one process;
 * - cache on `@deno/kv` (in memory): `get` vs raw `kv.get`, `save` of a 10-task DAG vs raw `kv.set`.
 *
 * Run: `npm run build && node bench/node_bench.mjs`
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = (path) => pathToFileURL(join(root, "dist", path)).href;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function measure(runs, body) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await body();
    times.push(performance.now() - started);
  }
  return median(times);
}

function report(group, rows) {
  const [[, base]] = rows;
  console.log(`\n${group}`);
  for (const [name, ms] of rows) {
    const shown = ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(1)} ms`;
    console.log(`  ${name.padEnd(44)} ${shown.padStart(10)}  ${(ms / base).toFixed(2)}×`);
  }
}

const scripts = {
  "fresh PGlite.create() (baseline)": `import { PGlite } from "@electric-sql/pglite";
    import { vector } from "@electric-sql/pglite-pgvector";
    const pg = await PGlite.create(undefined, { extensions: { vector } });
    await pg.query("SELECT 1"); await pg.close();`,
  "harness: first withFastDb()": `import { closeTestDatabases, withFastDb } from "${
    dist("fixtures/mod.js")
  }";
    await withFastDb((db) => db.query("SELECT 1")); await closeTestDatabases();`,
  "openDatabase() in memory": `import { openDatabase } from "${dist("mod.js")}";
    const db = await openDatabase(); await db.query("SELECT 1"); await db.close();`,
};

function inNewProcess(script) {
  return () => {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (run.status !== 0) throw new Error(`the case failed: ${run.stderr}`);
  };
}

// Warm-up: builds the template cache entries when they are missing.
for (const script of Object.values(scripts)) inNewProcess(script)();
const starts = [];
for (const [name, script] of Object.entries(scripts)) {
  starts.push([name, await measure(5, inNewProcess(script))]);
}
report("start, each in a new node process (median of 5)", starts);

const { closeTestDatabases, createKvFixture, withFastDb, withMigratedDb } = await import(
  dist("fixtures/mod.js")
);
await withMigratedDb(() => Promise.resolve());
await withFastDb(() => Promise.resolve());
report("per test, in one process", [
  [
    "withMigratedDb (replay + proof)",
    await measure(20, () => withMigratedDb(() => Promise.resolve())),
  ],
  ["withFastDb", await measure(200, () => withFastDb(() => Promise.resolve()))],
]);
await closeTestDatabases();

const { WorkflowStateCache } = await import(dist("mod.js"));
const kvFixture = await createKvFixture();
const kv = kvFixture.kv;
const cache = new WorkflowStateCache({ kv });
const dag = {
  tasks: Array.from({ length: 10 }, (_, i) => ({
    id: `task-${i}`,
    tool: "filesystem:read_file",
    arguments: { path: `/data/file-${i}.txt` },
    dependsOn: i === 0 ? [] : [`task-${i - 1}`],
  })),
};
await cache.save("wf", dag);
await kv.set(["raw", "wf"], dag, { expireIn: 3_600_000 });
report("cache get on @deno/kv (median of 2,000)", [
  ["raw kv.get", await measure(2_000, () => kv.get(["raw", "wf"]))],
  ["cache get", await measure(2_000, () => cache.get("wf"))],
]);
report("cache save on @deno/kv (median of 2,000)", [
  ["raw kv.set", await measure(2_000, () => kv.set(["raw", "wf"], dag, { expireIn: 3_600_000 }))],
  ["cache save", await measure(2_000, () => cache.save("wf", dag))],
]);
await kvFixture[Symbol.asyncDispose]();
