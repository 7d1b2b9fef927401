/**
 * `deno task migrate serve`: the embedded database over the wire protocol, with its lock held, and two
 * CLI migrators started together against it (each migration applied once, the schema whole).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../src/db/open_database.ts";
import { readGoldenSchema } from "../../fixtures/schema_golden.ts";
import { openPglite } from "../../src/db/client/pglite_client.ts";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { serveDatabase } from "../../src/db/embedded/serve_database.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const ECHO_CLIENT = new URL("./_echo_client.ts", import.meta.url).pathname;

function cli(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await cli(args).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: decode(stdout), err: decode(stderr) };
}

/** Reads the child's stdout until `pattern` matches, and returns the match. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<{ match: RegExpMatchArray; rest: ReadableStreamDefaultReader<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server ended before printing ${pattern}: ${text}`);
    text += value;
    const match = text.match(pattern);
    if (match) return { match, rest: reader };
  }
}

Deno.test("serve holds the data directory and two migrators over the wire apply each migration once", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "db");
  try {
    await (await openDatabase({ path })).close(); // an empty cluster, no migration applied
    const server = cli(["serve", "--db", path, "--port", "0"]).spawn();
    try {
      const { match, rest } = await waitForLine(
        server.stdout,
        /at (postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres) until interrupted/,
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
      let tail = "";
      while (true) {
        const { value, done } = await rest.read();
        if (done) break;
        tail += value;
      }
      assert.match(tail, /^Stopped\.$/m);
      assert.equal((await server.status).code, 0);
    } finally {
      try {
        server.kill("SIGKILL");
      } catch {
        // already ended
      }
      await server.stderr.cancel().catch(() => {});
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
  const clients = await Promise.all([1, 2].map(() => openPostgres(server.url)));
  try {
    await clients[0]!.exec("CREATE TABLE counter (id INT PRIMARY KEY, n INT NOT NULL)");
    await clients[0]!.query("INSERT INTO counter VALUES (1, 0)");
    // Processes sending pipelined parameterised queries (extended protocol, unnamed statement): without
    // the serve gate one of three such processes failed with "unnamed prepared statement does not exist".
    const echoes = [1, 2, 3].map((n) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", ECHO_CLIENT, server.url, `client-${n}`],
        stdout: "piped",
        stderr: "piped",
      }).output()
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
    for (const run of await Promise.all(echoes)) {
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    }
    assert.deepEqual(await clients[0]!.query("SELECT n FROM counter"), [{ n: 80 }]);
  } finally {
    await Promise.all(clients.map((db) => db.close()));
    await server.close();
    await pg.close();
  }
});
