/**
 * Nothing is lost outside the happy path, proven with real processes: two migrators on one fresh directory,
 * a second process while another holds the database open, `kill -9` during initialisation and between
 * migrations, and `kill -9` of a holder. Rounds are bounded; each round asserts its own outcome.
 *
 * Run by `deno task test:safety` (the file name has no `_test` suffix so that `test:lib` does not run it
 * in parallel with everything else). `PML_SAFETY_ROUNDS` (default 3) sets the rounds of the repeated tests, for longer soak runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readGoldenSchema } from "../../fixtures/schema_golden.ts";

const ROUNDS = Number(Deno.env.get("PML_SAFETY_ROUNDS") ?? "3");
const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const HOLDER = new URL("./_holder.ts", import.meta.url).pathname;
const FLAGS = ["run", "--allow-read", "--allow-write", "--allow-env"];

interface Run {
  code: number;
  out: string;
  err: string;
}

function cliCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

async function cli(...args: string[]): Promise<Run> {
  const output = await cliCommand(args).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout), err: decode(output.stderr) };
}

/** The database at `db` is whole: every migration applied, verify OK, schema equal to the golden copy. */
async function assertWhole(db: string): Promise<void> {
  const status = await cli("status", "--db", db);
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, /^18 applied, 0 pending$/m);
  const verify = await cli("verify", "--db", db);
  assert.equal(verify.code, 0, verify.err);
  const schema = await cli("schema", "--db", db);
  assert.equal(schema.code, 0, schema.err);
  assert.equal(`${schema.out.trimEnd()}\n`, await readGoldenSchema());
}

/** Starts the holder process on `db` and resolves once it has the database open. */
async function startHolder(db: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, HOLDER, db],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("ready\n")) {
    const { value, done } = await lines.read();
    assert.ok(!done, `the holder ended before it was ready: ${seen}`);
    seen += value;
  }
  return { child, lines };
}

Deno.test("two CLI migrate on one fresh directory: one applies, the other gets DB_LOCKED", async () => {
  let passed = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const db = join(await Deno.makeTempDir(), "db");
    const [a, b] = await Promise.all([cli("migrate", "--db", db), cli("migrate", "--db", db)]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `round ${round}: ${a.err} ${b.err}`);
    const loser = a.code === 1 ? a : b;
    assert.match(
      loser.err,
      /^error: \[DB_LOCKED\] Cannot open database at '.*': it is locked by process \d+ /,
    );
    assert.ok(!loser.err.includes("\n    at "), "no stack trace");
    await assertWhole(db);
    passed += 1;
  }
  console.log(`concurrent migrate: ${passed}/${ROUNDS} rounds passed`);
});

Deno.test("while another process holds the database, migrate, status and rollback are refused and its data stays intact", async () => {
  const db = join(await Deno.makeTempDir(), "db");
  const { child, lines } = await startHolder(db);
  try {
    for (const args of [["migrate"], ["status"], ["verify"], ["rollback", "--to", "18"]]) {
      const run = await cli(...args, "--db", db);
      assert.equal(run.code, 1, `${args[0]}: ${run.out}`);
      assert.match(run.err, new RegExp(`\\[DB_LOCKED\\].*process ${child.pid} `), args[0]);
    }
  } finally {
    await child.stdin.close();
  }
  let rest = "";
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    rest += value;
  }
  assert.equal((await child.status).code, 0);
  assert.equal(rest, "intact\n");
  await assertWhole(db);
});

Deno.test("kill -9 of a holder: the next opener gets the lock at once", async () => {
  const db = join(await Deno.makeTempDir(), "db");
  const { child, lines } = await startHolder(db);
  child.kill("SIGKILL");
  await child.status;
  await lines.cancel();
  await child.stderr.cancel();
  // No --wait: a stale lock would fail this at once with DB_LOCKED.
  const run = await cli("migrate", "--db", db);
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /nothing to apply/);
  await assertWhole(db);
});

Deno.test("kill -9 of migrate during initialisation or between migrations: the next migrate completes", async () => {
  // Kill moments spread over a first migrate (initialisation is the first ~2 s on this machine).
  const moments = Array.from({ length: Math.max(ROUNDS * 2, 2) }, (_, i) => 300 + i * 500);
  let passed = 0;
  for (const ms of moments) {
    const db = join(await Deno.makeTempDir(), "db");
    const child = cliCommand(["migrate", "--db", db]).spawn();
    await new Promise((resolve) => setTimeout(resolve, ms));
    try {
      child.kill("SIGKILL");
    } catch {
      // It had already finished: still a valid round (the kill came after the last write).
    }
    await child.output();
    const run = await cli("migrate", "--db", db);
    assert.equal(run.code, 0, `killed at ${ms} ms: ${run.err}`);
    await assertWhole(db);
    passed += 1;
  }
  console.log(`kill -9 during migrate: ${passed}/${moments.length} rounds passed`);
});
