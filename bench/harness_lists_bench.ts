/**
 * `withFastDb` on a migration list other than pml-store's (issue: a package's own migrations are first
 * class). Two groups, each read as ratios within one run:
 *
 * - per test, after the module's first: pml-store's list (the baseline), a 21-migration list, the same
 *   list at version 20, and pml-store's list below its last version;
 * - the first database of a module, as a whole new process timing its first `withFastDb` call: on a new
 *   list whose template must be built (an empty cache directory) against pml-store's list built the same
 *   way, and both again from the cache.
 *
 * Run: `deno task bench bench/harness_lists_bench.ts`
 *
 * @module
 */
import { withFastDb } from "../fixtures/test_db.ts";
import { migrations } from "../src/db/schema/migrations.ts";
import type { Migration } from "../src/db/migrate/migration.ts";
import { timed } from "./_medians.ts";

const latest = migrations.at(-1)!.version;
const previous = migrations.at(-2)!.version;

/** Two migrations of a package after pml-store's: a table, and code that fills it. */
const extra: Migration[] = [
  {
    version: latest + 1,
    name: "bench_trace",
    up: "CREATE TABLE IF NOT EXISTS bench_trace (id INT PRIMARY KEY, at TIMESTAMPTZ);",
    down: "DROP TABLE IF EXISTS bench_trace;",
  },
  {
    version: latest + 2,
    name: "bench_backfill",
    up: async (db) => {
      await db.exec("INSERT INTO bench_trace VALUES (1, NOW()) ON CONFLICT DO NOTHING;");
    },
    down: "DELETE FROM bench_trace;",
    checksum: "bench_backfill-1",
  },
];
const list = [...migrations, ...extra];
const noop = () => Promise.resolve();

for (
  const [name, options] of [
    ["pml-store's list", {}],
    [`a ${list.length}-migration list`, { migrations: list }],
    [`that list at version ${latest + 1}`, { migrations: list, version: latest + 1 }],
    [`pml-store's list at version ${previous}`, { version: previous }],
  ] as const
) {
  Deno.bench({
    name: `withFastDb: ${name}`,
    group: "per test, after the module's first",
    baseline: name === "pml-store's list",
    n: 1000,
    warmup: 20,
    fn: timed(`withFastDb ${name}`, () => withFastDb(noop, options)),
  });
}

const root = new URL("../", import.meta.url).pathname;

/** A new process times its first `withFastDb` on `which` list with the template cache in `cacheDir`. */
async function firstInNewProcess(which: "pml" | "new", cacheDir: string): Promise<number> {
  const script = `
    import { closeTestDatabases, withFastDb } from "${root}fixtures/test_db.ts";
    import { migrations } from "${root}src/db/schema/migrations.ts";
    const latest = migrations.at(-1).version;
    const list = [...migrations, {
      version: latest + 1, name: "bench_trace",
      up: "CREATE TABLE IF NOT EXISTS bench_trace (id INT PRIMARY KEY, at TIMESTAMPTZ);",
      down: "DROP TABLE IF EXISTS bench_trace;",
    }];
    const started = performance.now();
    await withFastDb(() => Promise.resolve(), ${which === "new" ? "{ migrations: list }" : "{}"});
    console.log(performance.now() - started);
    await closeTestDatabases();`;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--liftoff-only", script],
    env: { PML_TEMPLATE_CACHE_DIR: cacheDir },
    cwd: root,
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot time the first withFastDb: ${new TextDecoder().decode(stderr)}`);
  }
  return Number(new TextDecoder().decode(stdout).trim());
}

/** A fresh cache directory per cold iteration, removed afterwards: the template is built each time. */
async function cold(which: "pml" | "new"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pml-bench-cache-" });
  try {
    await firstInNewProcess(which, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// One primed cache for the warm cases, removed when the bench process ends.
const warmDir = await Deno.makeTempDir({ prefix: "pml-bench-cache-" });
globalThis.addEventListener("unload", () => Deno.removeSync(warmDir, { recursive: true }));
let primed: Promise<unknown> | undefined;
async function warm(which: "pml" | "new"): Promise<void> {
  primed ??= Promise.all([firstInNewProcess("pml", warmDir), firstInNewProcess("new", warmDir)]);
  await primed;
  await firstInNewProcess(which, warmDir);
}

Deno.bench({
  name: "first withFastDb of a process: pml-store's list, template built",
  group: "the first database of a module",
  baseline: true,
  n: 5,
  warmup: 1,
  fn: timed("first, pml, built", () => cold("pml")),
});
Deno.bench({
  name: "first withFastDb of a process: a new list, template built",
  group: "the first database of a module",
  n: 5,
  warmup: 1,
  fn: timed("first, new list, built", () => cold("new")),
});
Deno.bench({
  name: "first withFastDb of a process: pml-store's list, from the cache",
  group: "the first database of a module",
  n: 5,
  warmup: 1,
  fn: timed("first, pml, cached", () => warm("pml")),
});
Deno.bench({
  name: "first withFastDb of a process: a new list, from the cache",
  group: "the first database of a module",
  n: 5,
  warmup: 1,
  fn: timed("first, new list, cached", () => warm("new")),
});
