// These tests set PML_TEMPLATE_CACHE_DIR and PML_TEMPLATE_CACHE, which are process-wide: beside other
// modules (test:lib runs modules in parallel in one process) they would move those modules' cache into
// this test's directory. So the file is not named *_test.ts (test:lib does not pick it up) and
// `test:safety`, which runs its modules one after the other, runs it by name.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import {
  startFromTemplate,
  templateCacheDir,
  templateKey,
} from "../../../src/db/embedded/template_cache.ts";
import { openDatabase } from "../../../src/db/open_database.ts";

/** Runs `fn` with the template cache in a new temporary directory (or off), restoring the environment. */
async function withCache(
  env: { off?: boolean },
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const saved = ["PML_TEMPLATE_CACHE_DIR", "PML_TEMPLATE_CACHE"].map((
    name,
  ) => [name, Deno.env.get(name)]);
  Deno.env.set("PML_TEMPLATE_CACHE_DIR", dir);
  if (env.off) Deno.env.set("PML_TEMPLATE_CACHE", "off");
  try {
    await fn(dir);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** A build that marks its cluster, so a start from the cache can be told from a build. */
function countingBuild(): { build: () => Promise<PGlite>; calls: () => number } {
  let calls = 0;
  return {
    build: async () => {
      calls += 1;
      const pg = await PGlite.create(undefined, { extensions: { vector } });
      await pg.exec("CREATE TABLE built_by_template_test (n int)");
      return pg;
    },
    calls: () => calls,
  };
}

async function hasMarker(pg: PGlite): Promise<boolean> {
  const { rows } = await pg.query(
    "SELECT to_regclass('built_by_template_test') IS NOT NULL AS found",
  );
  return (rows[0] as { found: boolean }).found;
}

Deno.test("startFromTemplate() builds once, then starts from the cached entry", async () => {
  await withCache({}, async (dir) => {
    const { build, calls } = countingBuild();
    const first = await startFromTemplate("test", ["a"], build);
    await first.close();
    const entries = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.deepEqual(entries, [`${await templateKey("test", ["a"])}.tar`]);
    const second = await startFromTemplate("test", ["a"], build);
    assert.equal(await hasMarker(second), true);
    await second.close();
    assert.equal(calls(), 1);
  });
});

Deno.test("a damaged template is rebuilt with a warning", async () => {
  await withCache({}, async (dir) => {
    const key = await templateKey("test", ["b"]);
    const entry = join(dir, `${key}.tar`);
    await Deno.writeTextFile(entry, "not a data directory");
    const { build, calls } = countingBuild();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      await (await startFromTemplate("test", ["b"], build)).close();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [
      `pml-store: rebuilding the cached test template '${key}' in '${dir}': its digest does not ` +
      "match its 20 bytes (truncated or garbled)",
    ]);
    assert.equal(calls(), 1);
    assert.ok((await Deno.stat(entry)).size > 1_000_000);
    const again = await startFromTemplate("test", ["b"], build);
    assert.equal(await hasMarker(again), true);
    await again.close();
    assert.equal(calls(), 1);
  });
});

Deno.test("PML_TEMPLATE_CACHE=off builds every start and writes nothing", async () => {
  await withCache({ off: true }, async (dir) => {
    assert.equal(templateCacheDir(), null);
    const { build, calls } = countingBuild();
    await (await startFromTemplate("test", ["c"], build)).close();
    assert.equal(calls(), 1);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("openDatabase() unpacks a new data directory from the template, and it reopens", async () => {
  await withCache({}, async (dir) => {
    const path = join(dir, "db");
    {
      await using db = await openDatabase({ path });
      await db.exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)");
    }
    const wal = [...Deno.readDirSync(join(path, "pg_wal"))].filter((e) => e.isFile);
    assert.deepEqual(wal.map((e) => Deno.statSync(join(path, "pg_wal", e.name)).size), [16777216]);
    await using db = await openDatabase({ path });
    assert.deepEqual(await db.query("SELECT n FROM kept"), [{ n: 7 }]);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("cluster-")).length,
      1,
    );
  });
});
