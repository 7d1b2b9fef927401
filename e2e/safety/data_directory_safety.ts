/**
 * Nothing is lost outside the happy path, proven with real processes: two migrators on one fresh directory,
 * a second process while another holds the database open, `kill -9` during initialisation and between
 * migrations, and `kill -9` of a holder. Rounds are bounded; each round asserts its own outcome.
 *
 * Run by `deno task test:safety` (the file name has no `_test` suffix so that `test:lib` does not run it
 * in parallel with everything else). `PML_SAFETY_ROUNDS` (default 3) sets the rounds of the repeated tests,
 * for longer soak runs; each repeated test prints one line with the rounds run and passed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readGoldenSchema } from "../../fixtures/schema_golden.ts";
import { type ChildRun, collect, readToEnd, readUntil, runChild } from "../server/child_process.ts";

const ROUNDS = Number(Deno.env.get("PML_SAFETY_ROUNDS") ?? "3");
const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const HOLDER = new URL("./_holder.ts", import.meta.url).pathname;
const FLAGS = ["run", "--allow-read", "--allow-write", "--allow-env"];

function cliCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Runs the CLI to its exit; a run longer than `HANG_MS` is a hang (killed, and the test fails). */
function cli(...args: string[]): Promise<ChildRun> {
  return runChild(Deno.execPath(), [...FLAGS, CLI, ...args], {
    what: `the CLI's ${args.join(" ")}`,
    env: { NO_COLOR: "1" },
  });
}

/**
 * Runs `body` with a data directory path in a new temporary directory, then removes both (the data
 * directory's lock file `<db>.lock` is a sibling, inside the same temporary directory).
 */
async function withDataDirectory(body: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pml-safety-" });
  try {
    await body(join(dir, "db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `round` once per case and prints one line: the rounds run and passed (also when one fails). */
async function rounds<T>(
  label: string,
  cases: readonly T[],
  round: (item: T) => Promise<void>,
): Promise<void> {
  let run = 0;
  let passed = 0;
  try {
    for (const item of cases) {
      run += 1;
      await round(item);
      passed += 1;
    }
  } finally {
    console.log(`${label}: ${run} rounds run, ${passed} passed (of ${cases.length})`);
  }
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
  const err = collect(child.stderr);
  try {
    await readUntil(lines, /^ready$/m, {
      what: "the holder to open the database",
      context: err.text,
    });
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    await lines.cancel();
    await err.done;
    throw error;
  }
  return { child, lines, err };
}

Deno.test("two CLI migrate on one fresh directory: one applies, the other gets DB_LOCKED", async () => {
  const numbers = Array.from({ length: ROUNDS }, (_, i) => i + 1);
  await rounds("concurrent migrate", numbers, (round) =>
    withDataDirectory(async (db) => {
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
    }));
});

Deno.test("while another process holds the database, migrate, status and rollback are refused and its data stays intact", async () => {
  await withDataDirectory(async (db) => {
    const { child, lines, err } = await startHolder(db);
    try {
      for (const args of [["migrate"], ["status"], ["verify"], ["rollback", "--to", "18"]]) {
        const run = await cli(...args, "--db", db);
        assert.equal(run.code, 1, `${args[0]}: ${run.out}`);
        assert.match(run.err, new RegExp(`\\[DB_LOCKED\\].*process ${child.pid} `), args[0]);
      }
    } finally {
      await child.stdin.close();
    }
    const rest = await readToEnd(lines, {
      what: "the holder to check its row and exit",
      context: err.text,
    });
    assert.equal((await child.status).code, 0, err.text());
    await err.done;
    assert.equal(rest, "intact\n");
    await assertWhole(db);
  });
});

Deno.test("kill -9 of a holder: the next opener gets the lock at once", async () => {
  await withDataDirectory(async (db) => {
    const { child, lines, err } = await startHolder(db);
    child.kill("SIGKILL");
    await child.status;
    await lines.cancel();
    await err.done;
    // No --wait: a stale lock would fail this at once with DB_LOCKED.
    const run = await cli("migrate", "--db", db);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /nothing to apply/);
    await assertWhole(db);
  });
});

Deno.test("kill -9 of migrate during initialisation or between migrations: the next migrate completes", async () => {
  // The kill moments are spread over the time a whole first migrate takes on this machine now, measured
  // (idle, about 3 s; loaded, several times that), so each round kills it part-way whatever the load.
  let whole = 0;
  await withDataDirectory(async (db) => {
    const started = performance.now();
    const run = await cli("migrate", "--db", db);
    whole = performance.now() - started;
    assert.equal(run.code, 0, run.err);
  });
  const count = Math.max(ROUNDS * 2, 2);
  const moments = Array.from({ length: count }, (_, i) => Math.round(((i + 0.5) / count) * whole));
  await rounds("kill -9 during migrate", moments, (ms) =>
    withDataDirectory(async (db) => {
      const child = cliCommand(["migrate", "--db", db]).spawn();
      // The delay is the experiment (where to cut), not a wait for something; an exit ends it early.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise((resolve) => timer = setTimeout(resolve, ms)),
        child.status,
      ]);
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch {
        // It had already finished: still a valid round (the kill came after the last write).
      }
      await child.output();
      const run = await cli("migrate", "--db", db);
      assert.equal(run.code, 0, `killed at ${ms} ms of ${Math.round(whole)}: ${run.err}`);
      await assertWhole(db);
    }));
});
