/**
 * What a real start costs: each case runs in a new `deno` process, as a test module does (Deno gives every
 * module its own isolate), so nothing compiled or loaded by an earlier case is reused. A fresh
 * `PGlite.create()` (initdb every time) is the baseline; then the harness's first `withFastDb()`, and
 * `openDatabase()` in memory, both from the template cache (`src/db/embedded/template_cache.ts`; built by the
 * warm-up run when missing). The `--liftoff-only` cases show what V8's optimising tier-up of `pglite.wasm`
 * costs a start; a process that starts and imports nothing shows Deno's own share.
 *
 * A second group takes a start from the template apart (all `--liftoff-only`, as the test tasks run):
 * the start `openDatabase()` makes (pgvector, PostgreSQL's default `shared_buffers` of 128 MB), the same
 * with the harness's 16 MB pool, the same without pgvector, only importing PGlite and compiling
 * `pglite.wasm`, and only importing it. The differences are what each part costs.
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
  openDatabase: `import { openDatabase } from "${root}src/db/open_database.ts";
    await using db = await openDatabase();
    await db.query("SELECT 1");`,
};

/** A start from the cached cluster template with `options` beside the archive. */
function templateStart(options: string): string {
  return `import { PGlite } from "@electric-sql/pglite";
    import { vector } from "@electric-sql/pglite-pgvector";
    import { clusterArchive } from "${root}src/db/embedded/template_cache.ts";
    const archive = await clusterArchive();
    if (archive === null) throw new Error("the template cache is off");
    const pg = await PGlite.create({ loadDataDir: new Blob([archive]), ${options} });
    await pg.query("SELECT 1");
    await pg.close();`;
}
const pool = (size: string) =>
  `startParams: [...PGlite.defaultStartParams, "-c", "log_startup_progress_interval=0", "-c", "shared_buffers=${size}"]`;

const parts = {
  template: templateStart(`extensions: { vector }, ${pool("128MB")}`),
  smallPool: templateStart(`extensions: { vector }, ${pool("16MB")}`),
  noVector: templateStart(pool("128MB")),
  compile: `import "@electric-sql/pglite";
    const wasm = await Deno.readFile(new URL(import.meta.resolve("@electric-sql/pglite")).pathname.replace(/index\.js$/, "pglite.wasm"));
    await WebAssembly.compile(wasm);`,
  importOnly: `import "@electric-sql/pglite";`,
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

const part = { group: "a start from the template, part by part (--liftoff-only)", n: 6, warmup: 1 };
const liftoff = ["--liftoff-only"];
Deno.bench({
  ...part,
  name: "from the template: pgvector, shared_buffers 128 MB (openDatabase)",
  baseline: true,
  fn: inNewProcess(parts.template, liftoff),
});
Deno.bench({
  ...part,
  name: "the same with shared_buffers 16 MB (the harness's instances)",
  fn: inNewProcess(parts.smallPool, liftoff),
});
Deno.bench({
  ...part,
  name: "the same without pgvector",
  fn: inNewProcess(parts.noVector, liftoff),
});
Deno.bench({
  ...part,
  name: "import PGlite and compile pglite.wasm only",
  fn: inNewProcess(parts.compile, liftoff),
});
Deno.bench({ ...part, name: "import PGlite only", fn: inNewProcess(parts.importOnly, liftoff) });
Deno.bench({ ...part, name: "process only", fn: inNewProcess(scripts.process, liftoff) });
