/**
 * `deno task migrate serve`: the embedded database over the wire protocol, with its lock held, and two
 * CLI migrators started together against it (each migration applied once, the schema whole).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../src/db/open_database.ts";
import { readGoldenSchema } from "../../fixtures/schema_golden.ts";
import { openPglite } from "../../src/db/embedded/open_embedded.ts";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { serveDatabase } from "../../src/db/embedded/serve_database.ts";
import {
  type ChildRun,
  collect,
  HANG_MS,
  readToEnd,
  readUntil,
  runChild,
} from "./child_process.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const ECHO_CLIENT = new URL("./_echo_client.ts", import.meta.url).pathname;

const FLAGS = ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net"];

/** Runs the CLI to its exit (a run longer than `HANG_MS` is a hang: it is killed and the test fails). */
function runCli(args: string[]): Promise<ChildRun> {
  return runChild(Deno.execPath(), [...FLAGS, MAIN, ...args], {
    what: `the CLI's ${args.join(" ")}`,
  });
}

Deno.test("serve holds the data directory and two migrators over the wire apply each migration once", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "db");
  try {
    await (await openDatabase({ path })).close(); // an empty cluster, no migration applied
    const server = new Deno.Command(Deno.execPath(), {
      args: [...FLAGS, MAIN, "serve", "--db", path, "--port", "0"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const err = collect(server.stderr);
    try {
      const { match } = await readUntil(
        out,
        /at (postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres) until interrupted/,
        { what: "serve to print its URL", context: err.text },
      );
      const url = match[1]!;

      const local = await runCli(["status", "--db", path]);
      assert.equal(local.code, 1);
      assert.match(
        local.err,
        /^error: \[DB_LOCKED\] Cannot open database at '.*': it is locked by process \d+/,
      );

      const [a, b] = await Promise.all([
        runCli(["migrate", "--db", url]),
        runCli(["migrate", "--db", url]),
      ]);
      assert.equal(a.code, 0, a.err);
      assert.equal(b.code, 0, b.err);
      const applied = [a, b].flatMap((run) => run.out.match(/^ {2}applied \d{3} \S+/gm) ?? [])
        .sort();
      assert.equal(applied.length, 18, `each migration applied once in all: ${applied.join(", ")}`);
      assert.equal(new Set(applied).size, 18);
      assert.match(a.out, /^Database: PostgreSQL at 127\.0\.0\.1:\d+\/postgres as postgres$/m);

      const schema = await runCli(["schema", "--db", url]);
      assert.equal(schema.code, 0, schema.err);
      assert.equal(`${schema.out}`, await readGoldenSchema());
      const verify = await runCli(["verify", "--db", url]);
      assert.deepEqual(verify, {
        code: 0,
        out: "OK: the applied migrations match the code.\n",
        err: "",
      });

      server.kill("SIGINT");
      const rest = await readToEnd(out, { what: "serve to stop on SIGINT", context: err.text });
      assert.match(rest, /^Stopped\.$/m);
      assert.equal((await server.status).code, 0);
    } finally {
      try {
        server.kill("SIGKILL");
      } catch {
        // already ended
      }
      await server.status;
      await out.cancel();
      await err.done;
    }
    const after = await runCli(["status", "--db", path]);
    assert.equal(after.code, 0, after.err);
    assert.match(after.out, /^18 applied, 0 pending$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clients of a served database never interleave inside each other's queries or transactions", async () => {
  const pg = await openPglite("memory://");
  const server = await serveDatabase(pg, { port: 0 });
  const clients = await Promise.all(
    [1, 2].map(() => openPostgres(server.url, { connectTimeoutMs: HANG_MS })),
  );
  try {
    await clients[0]!.exec("CREATE TABLE counter (id INT PRIMARY KEY, n INT NOT NULL)");
    await clients[0]!.query("INSERT INTO counter VALUES (1, 0)");
    // Processes sending pipelined parameterised queries (extended protocol, unnamed statement): without
    // the serve gate one of three such processes failed with "unnamed prepared statement does not exist".
    const echoes = [1, 2, 3].map((n) =>
      runChild(Deno.execPath(), ["run", "--allow-all", ECHO_CLIENT, server.url, `client-${n}`], {
        what: `echo client ${n}`,
      })
    );
    // Meanwhile, read-modify-write transactions in this process: none is lost if no other client's
    // statement ran inside one.
    await Promise.all(clients.map(async (db) => {
      for (let i = 0; i < 40; i += 1) {
        await db.transaction(async (tx) => {
          const current = await tx.queryOne<{ n: number }>("SELECT n FROM counter WHERE id = $1", [
            1,
          ]);
          await tx.query("UPDATE counter SET n = $1 WHERE id = 1", [current!.n + 1]);
        });
      }
    }));
    for (const run of await Promise.all(echoes)) assert.equal(run.code, 0, run.err);
    assert.deepEqual(await clients[0]!.query("SELECT n FROM counter"), [{ n: 80 }]);
  } finally {
    await Promise.all(clients.map((db) => db.close()));
    await server.close();
    await pg.close();
  }
});
