/**
 * The harness on a PostgreSQL server (`PML_TEST_DATABASE_URL`): a database per test, dropped when the test
 * passes, kept and named when it fails (also when the failures come from several modules of one process),
 * and cleaned after a killed run; and on PGlite served over the wire: tests isolated on an empty one, a
 * served database that holds tables refused and left as it was. The probe runs in a child `deno test`, as
 * another package's suite would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { pgliteClient } from "../../src/db/client/pglite_client.ts";
import { openPglite } from "../../src/db/embedded/open_embedded.ts";
import { serveDatabase } from "../../src/db/embedded/serve_database.ts";
import { migrate } from "../../src/db/migrate/migrator.ts";
import { readFingerprint } from "../../fixtures/fingerprint.ts";
import { findPostgresInstalls, startPostgresServer } from "./postgres_server.ts";

const PROBE = new URL("./_harness_probe.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** A child `deno test` of the probe in `mode`; `modules` copies of it run as modules of one process. */
function probe(url: string, mode: string, modules: string[] = [PROBE]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", "--allow-all", "--config", CONFIG, ...modules],
    env: { PML_TEST_DATABASE_URL: url, PROBE_MODE: mode, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

/** Two test modules that each run the probe: one process, one pid, a module state each. */
async function twoProbeModules(dir: string): Promise<string[]> {
  const modules = ["first_test.ts", "second_test.ts"].map((name) => join(dir, name));
  for (const module of modules) {
    await Deno.writeTextFile(module, `import ${JSON.stringify(`file://${PROBE}`)};\n`);
  }
  return modules;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function databases(url: string, pattern: string): Promise<string[]> {
  await using db = await openPostgres(url);
  const rows = await db.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
    [pattern],
  );
  return rows.map((r) => r.datname);
}

const [install] = await findPostgresInstalls();

Deno.test(`the harness on ${install?.label}: a database per test, kept when it fails, cleaned after a kill`, async (t) => {
  assert.ok(install !== undefined, "no PostgreSQL binaries: run npm ci");
  const server = await startPostgresServer(install);
  try {
    await t.step("passing tests leave no database behind", async () => {
      const { code, stdout, stderr } = await probe(server.url, "pass").output();
      const out = new TextDecoder().decode(stdout);
      assert.equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
      assert.match(out, /ok \| 4 passed \| 0 failed/);
      assert.deepEqual(await databases(server.url, "pml\\_test\\_%"), []);
      assert.deepEqual(
        await databases(server.url, "pml\\_tpl\\_%"),
        [],
        "the failed template build left nothing",
      );
    });

    await t.step(
      "two processes starting together build the template once, then clone it",
      async () => {
        const runs = await Promise.all([
          probe(server.url, "template").output(),
          probe(server.url, "template").output(),
        ]);
        for (const run of runs) assert.equal(run.code, 0, new TextDecoder().decode(run.stdout));
        const templates = await databases(server.url, "pml\\_tpl\\_%");
        assert.equal(templates.length, 1, templates.join(", "));
        assert.match(templates[0]!, /^pml_tpl_[0-9a-f]{16}$/);
        await using template = await openPostgres(server.urlOf(templates[0]!));
        assert.deepEqual(
          await template.query("SELECT body FROM notes"),
          [{ body: "first" }],
          "the clones wrote only to themselves",
        );
        assert.deepEqual(await databases(server.url, "pml\\_test\\_%"), []);
      },
    );

    await t.step(
      "a failing test's database is kept, named in the failure, with its rows",
      async () => {
        const { code, stdout, stderr } = await probe(server.url, "fail").output();
        const out = decode(stdout) + decode(stderr);
        assert.notEqual(code, 0);
        assert.match(out, /AssertionError: deliberately failing/);
        const kept = out.match(
          /The failed test's database is kept as (pml_failed_\w+) on 127\.0\.0\.1:\d+\/postgres/,
        )
          ?.[1];
        assert.ok(kept !== undefined, out);
        assert.deepEqual(await databases(server.url, "pml\\_failed\\_%"), [kept]);
        await using db = await openPostgres(server.urlOf(kept));
        assert.deepEqual(await db.query("SELECT body FROM notes ORDER BY id"), [
          { body: "first" },
          { body: "evidence" },
        ]);
      },
    );

    await t.step(
      "failing tests in two modules of one process keep a database each, each failure its own",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "pml-probe-" });
        try {
          const before = await databases(server.url, "pml\\_failed\\_%");
          const run = await probe(server.url, "fail", await twoProbeModules(dir)).output();
          const out = decode(run.stdout) + decode(run.stderr);
          assert.notEqual(run.code, 0);
          assert.doesNotMatch(out, /already exists/);
          assert.equal(out.match(/AssertionError: deliberately failing/g)?.length, 2, out);
          const named = [
            ...out.matchAll(/the failed test's database is kept as (pml_failed_\w+)/gi),
          ]
            .map((m) => m[1]!).sort();
          const kept = (await databases(server.url, "pml\\_failed\\_%"))
            .filter((name) => !before.includes(name));
          assert.equal(named.length, 2, out);
          assert.deepEqual(kept, named);
          for (const name of kept) assert.match(name, /^pml_failed_[a-z0-9]+_\d+_[0-9a-f]{12}$/);
          const pids = new Set(kept.map((name) => name.split("_")[3]));
          assert.equal(pids.size, 1, `one process: ${kept.join(", ")}`);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "a failing test whose database cannot be kept still fails with its own error",
      async () => {
        const run = await probe(server.url, "fail-held").output();
        const out = decode(run.stdout) + decode(run.stderr);
        assert.notEqual(run.code, 0);
        assert.match(out, /AssertionError: deliberately failing while holding a connection/);
        assert.match(
          out,
          /The failed test's database could not be kept as pml_failed_\w+ on 127\.0\.0\.1:\d+\/postgres as postgres \(.*being accessed by other users.*\); it stays as pml_test_\w+/,
        );
      },
    );

    await t.step("a killed run's database is dropped by the next run", async () => {
      const child = probe(server.url, "hang").spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("inside the test")) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the probe ended early: ${seen}`);
        seen += value;
      }
      const left = await databases(server.url, "pml\\_test\\_%");
      assert.equal(left.length, 1);
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      await child.stderr.cancel();
      assert.deepEqual(
        await databases(server.url, "pml\\_test\\_%"),
        left,
        "still there after the kill",
      );
      const { code } = await probe(server.url, "pass").output();
      assert.equal(code, 0);
      assert.deepEqual(await databases(server.url, "pml\\_test\\_%"), []);
    });
  } finally {
    await server.stop();
  }
});

/** The schemas of a database and what its tables hold, to tell whether anything was written to it. */
async function contents(url: string): Promise<{ schemas: string[]; fingerprint: unknown }> {
  await using db = await openPostgres(url);
  const schemas = await db.query<{ nspname: string }>(
    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY nspname",
  );
  return { schemas: schemas.map((row) => row.nspname), fingerprint: await readFingerprint(db) };
}

Deno.test("the harness on PGlite served over the wire: isolated when empty, refused when it holds tables", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "pml-served-" });
  try {
    await t.step("on an empty served database each test is isolated", async () => {
      const pg = await openPglite("memory://");
      const server = await serveDatabase(pg, { port: 0 });
      try {
        const { code, stdout, stderr } = await probe(server.url, "served").output();
        const out = decode(stdout);
        assert.equal(code, 0, `${out}\n${decode(stderr)}`);
        assert.match(out, /ok \| 3 passed \| 0 failed/);
        assert.deepEqual(
          (await contents(server.url)).schemas.filter((name) => !name.startsWith("pml_migrated_")),
          ["information_schema", "public"],
          "only the harness's migrated schema was committed",
        );
        const inPublic = await pg.query(
          "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        );
        assert.deepEqual(inPublic.rows, [], "public is as empty as before");
      } finally {
        await server.close();
        await pg.close();
      }
    });

    await t.step(
      "a served, migrated data directory with rows is refused and left as it was",
      async () => {
        const path = join(dir, "db");
        const pg = await openPglite(path);
        try {
          const db = pgliteClient(pg);
          const { error } = await migrate(db);
          if (error !== undefined) throw error;
          await db.query("INSERT INTO config (key, value) VALUES ('owner', 'the user')");
          const server = await serveDatabase(pg, { port: 0 });
          try {
            const before = await contents(server.url);
            const { code, stdout, stderr } = await probe(server.url, "served-refused").output();
            const out = decode(stdout);
            assert.equal(code, 0, `${out}\n${decode(stderr)}`);
            assert.match(
              out,
              /^Cannot isolate tests on PML_TEST_DATABASE_URL \(127\.0\.0\.1:\d+\/postgres as postgres\): it is PGlite served over the wire, one database in one session, so tests cannot get databases of their own and would see what it holds \(extension vector, function public\.\w+, .* and \d+ more\); nothing was written to it\. Serve an empty database for tests \(`deno task migrate serve --db memory:\/\/`, or an empty data directory\), or use a PostgreSQL server with pgvector$/m,
            );
            assert.deepEqual(await contents(server.url), before);
            assert.deepEqual(await db.query("SELECT key, value FROM config"), [
              { key: "owner", value: "the user" },
            ]);
          } finally {
            await server.close();
          }
        } finally {
          await pg.close();
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
