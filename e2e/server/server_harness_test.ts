/**
 * The harness on a PostgreSQL server (`PML_TEST_DATABASE_URL`): a database per test, dropped when the test
 * passes, kept and named when it fails, and cleaned after a killed run. The probe runs in a child
 * `deno test`, as another package's suite would.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { findPostgresInstalls, startPostgresServer } from "./postgres_server.ts";

const PROBE = new URL("./_harness_probe.ts", import.meta.url).pathname;

function probe(url: string, mode: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", "--allow-all", PROBE],
    env: { PML_TEST_DATABASE_URL: url, PROBE_MODE: mode, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

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
        const { code, stdout } = await probe(server.url, "fail").output();
        const out = new TextDecoder().decode(stdout);
        assert.notEqual(code, 0);
        const kept = out.match(
          /the test's database is kept as (pml_failed_\w+) on 127\.0\.0\.1:\d+\/postgres/,
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
