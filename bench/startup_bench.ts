/**
 * What a real start costs: each case runs in a new `deno` process, as a test module does (Deno gives every
 * module its own isolate), so nothing compiled or loaded by an earlier case is reused. A fresh
 * `PGlite.create()` (initdb every time) is the baseline; then the harness's first `withFastDb()`, and
 * `openDatabase()` in memory, both from the template cache (`src/db/_template_cache.ts`; built by the
 * warm-up run when missing). The `--liftoff-only` cases show what V8's optimising tier-up of `pglite.wasm`
 * costs a start; a process that starts and imports nothing shows Deno's own share.
 *
 * Run: `deno task bench bench/startup_bench.ts`
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;

const scripts = {
  process: "0",
  fresh: `import { PGlite } from "@electric-sql/pglite";
    import { vector } from "@electric-sql/pglite-pgvector";
    const pg = await PGlite.create(undefined, { extensions: { vector } });
    await pg.query("SELECT 1");
    await pg.close();`,
  harness: `import { closeTestDatabases, withFastDb } from "${root}fixtures/test_db.ts";
    await withFastDb((db) => db.query("SELECT 1"));
    await closeTestDatabases();`,
  openDatabase: `import { openDatabase } from "${root}src/db/pglite_client.ts";
    await using db = await openDatabase();
    await db.query("SELECT 1");`,
};

/** A benchmark body that runs `script` in a new process with `v8Flags`, failing loudly if it fails. */
function inNewProcess(script: string, v8Flags: string[] = []): () => Promise<void> {
  const flags = v8Flags.length === 0 ? [] : [`--v8-flags=${v8Flags.join(",")}`];
  return async () => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", ...flags, script],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`the start failed: ${new TextDecoder().decode(stderr)}`);
  };
}

// Every iteration is a whole process of one to three seconds, so each case runs a few times only.
const each = { group: "start in a new process", n: 4, warmup: 1 };

Deno.bench({
  ...each,
  name: "fresh PGlite.create() (initdb)",
  baseline: true,
  fn: inNewProcess(scripts.fresh),
});
Deno.bench({
  ...each,
  name: "fresh PGlite.create(), --liftoff-only",
  fn: inNewProcess(scripts.fresh, ["--liftoff-only"]),
});
Deno.bench({
  ...each,
  name: "harness: first withFastDb()",
  fn: inNewProcess(scripts.harness),
});
Deno.bench({
  ...each,
  name: "harness: first withFastDb(), --liftoff-only",
  fn: inNewProcess(scripts.harness, ["--liftoff-only"]),
});
Deno.bench({
  ...each,
  name: "openDatabase() in memory",
  fn: inNewProcess(scripts.openDatabase),
});
Deno.bench({
  ...each,
  name: "openDatabase() in memory, --liftoff-only",
  fn: inNewProcess(scripts.openDatabase, ["--liftoff-only"]),
});
Deno.bench({
  ...each,
  name: "process only: deno eval, no imports",
  fn: inNewProcess(scripts.process),
});
