/**
 * The data-directory lock under Node (`flock(1)` on an inherited descriptor, `src/db/embedded/_file_lock.ts`), and
 * against Deno: both runtimes take the same `flock(2)`, so each excludes the other, and a `kill -9` of a
 * Node holder leaves no stale lock. It runs on the compiled library:
 *
 * ```sh
 * node_modules/.bin/tsc --outDir build/node-test --rootDir . --module nodenext --moduleResolution nodenext \
 *   --target es2022 --lib es2023,esnext.string --allowImportingTsExtensions \
 *   --rewriteRelativeImportExtensions --skipLibCheck --types node --strict \
 *   src/db/embedded/data_directory_lock.ts src/db/open_database.ts src/cli/node_main.ts
 * node --test unit/db/embedded/data_directory_lock_under_node.mjs
 * ```
 *
 * `PML_NODE_BUILD` names another build root (one with `src/db/*.js`); the Deno tests need
 * `node_modules/.bin/deno` and are skipped without it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUILD = resolve(ROOT, process.env.PML_NODE_BUILD ?? "build/node-test");
const LOCK_JS = pathToFileURL(join(BUILD, "src/db/embedded/data_directory_lock.js")).href;
const LOCK_TS = pathToFileURL(join(ROOT, "src/db/embedded/data_directory_lock.ts")).href;
const DENO = join(ROOT, "node_modules/.bin/deno");
const noDeno = existsSync(DENO) ? false : "node_modules/.bin/deno is not installed";

const { lockDataDirectory } = await import(LOCK_JS);
const { openDatabase } = await import(
  pathToFileURL(join(BUILD, "src/db/open_database.js")).href
);

const scratch = await mkdtemp(join(tmpdir(), "pml-lock-node-"));
after(() => rm(scratch, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(scratch, `db${++dirs}`);

/** A script that takes the lock of argv's directory, prints `ready`, and holds it until stdin closes. */
const holderScript = (url) =>
  `import { lockDataDirectory } from ${JSON.stringify(url)};
const lock = await lockDataDirectory(process.argv.at(-1));
console.log("ready");
process.stdin.resume();
process.stdin.on("end", () => lock.release());`;

/** A script that tries the lock of argv's directory once and prints the outcome as JSON. */
const openerScript = (url) =>
  `import { lockDataDirectory } from ${JSON.stringify(url)};
try {
  (await lockDataDirectory(process.argv.at(-1))).release();
  console.log(JSON.stringify({ locked: true }));
} catch (error) {
  console.log(JSON.stringify({ code: error.code, pid: error.holder?.pid, message: error.message }));
}`;

function nodeArgs(script, dir) {
  return [process.execPath, ["--input-type=module", "-e", script, dir]];
}

function denoArgs(script, dir) {
  return [DENO, ["eval", "--ext=ts", script, dir]];
}

/** Starts a holder child and resolves once it holds the lock. */
async function startHolder([command, args]) {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  let seen = "";
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      seen += chunk;
      if (seen.includes("ready\n")) resolve();
    });
    child.once(
      "exit",
      (code) => reject(new Error(`the holder ended (${code}) before it was ready`)),
    );
  });
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );
  return { child, exited };
}

/** Runs an opener child to its end and returns what it printed. */
async function runOpener([command, args]) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.once("close", resolve));
  assert.equal(code, 0, out);
  return JSON.parse(out.trim());
}

test("lockDataDirectory() under Node refuses a second opener in this process, naming it", async () => {
  const dir = newDir();
  const lock = await lockDataDirectory(dir);
  const error = await lockDataDirectory(dir).catch((e) => e);
  assert.equal(error.code, "DB_LOCKED");
  assert.equal(error.holder.pid, process.pid);
  assert.match(
    error.message,
    new RegExp(
      `it is locked by this process \\(pid ${process.pid}, since .*\\): it is already open here`,
    ),
  );
  lock.release();
  lock.release();
  // release() is synchronous: closing our descriptor frees the lock before it returns.
  (await lockDataDirectory(dir)).release();
  // Only the lock file: the directory itself is not created by its lock.
  const beside = (await readdir(scratch)).filter((name) => name.startsWith(basename(dir)));
  assert.deepEqual(beside, [`${basename(dir)}.lock`]);
});

test("lockDataDirectory() under Node waits up to timeoutMs", async (t) => {
  const dir = newDir();
  await t.test("and gets the lock once the holder releases it", async () => {
    const lock = await lockDataDirectory(dir);
    setTimeout(() => lock.release(), 150);
    const started = Date.now();
    (await lockDataDirectory(dir, { timeoutMs: 10_000 })).release();
    assert.ok(Date.now() - started >= 100);
  });
  await t.test("and fails with DB_LOCKED saying how long it waited", async () => {
    const lock = await lockDataDirectory(dir);
    const error = await lockDataDirectory(dir, { timeoutMs: 120 }).catch((e) => e);
    lock.release();
    assert.equal(error.code, "DB_LOCKED");
    assert.match(
      error.message,
      /: it is already open here after waiting 120 ms; close that database/,
    );
  });
  await t.test("a bad timeoutMs is a RangeError", async () => {
    await assert.rejects(lockDataDirectory(dir, { timeoutMs: -1 }), RangeError);
  });
});

test("kill -9 of a Node holder: the next opener gets the lock at once", async () => {
  const dir = newDir();
  const { child, exited } = await startHolder(nodeArgs(holderScript(LOCK_JS), dir));
  const refused = await lockDataDirectory(dir).catch((e) => e);
  assert.equal(refused.code, "DB_LOCKED");
  assert.equal(refused.holder.pid, child.pid);
  child.kill("SIGKILL");
  assert.deepEqual(await exited, { code: null, signal: "SIGKILL" });
  (await lockDataDirectory(dir)).release();
});

test("without flock(1) on PATH the lock fails with DB_OPEN_FAILED saying what to install", async () => {
  const path = process.env.PATH;
  process.env.PATH = join(scratch, "no-such-bin");
  let error;
  try {
    error = await lockDataDirectory(newDir()).catch((e) => e);
  } finally {
    process.env.PATH = path;
  }
  assert.equal(error.code, "DB_OPEN_FAILED");
  assert.match(
    error.message,
    /^Cannot lock the data directory '.*': under Node the lock is taken with the 'flock' command of util-linux, and it is not installed; install util-linux/,
  );
});

test("a Deno holder blocks a Node opener, and the lock passes on when it lets go", {
  skip: noDeno,
}, async () => {
  const dir = newDir();
  const { child, exited } = await startHolder(denoArgs(holderScript(LOCK_TS), dir));
  const error = await lockDataDirectory(dir).catch((e) => e);
  assert.equal(error.code, "DB_LOCKED");
  assert.equal(error.holder.pid, child.pid);
  assert.match(error.message, /it is locked by process \d+ \(.*deno.*\) since /);
  child.stdin.end();
  assert.deepEqual(await exited, { code: 0, signal: null });
  (await lockDataDirectory(dir)).release();
});

test(
  "a Node holder blocks a Deno opener, in-process and in a child",
  { skip: noDeno },
  async (t) => {
    await t.test("this process holds it", async () => {
      const dir = newDir();
      const lock = await lockDataDirectory(dir);
      try {
        const outcome = await runOpener(denoArgs(openerScript(LOCK_TS), dir));
        assert.equal(outcome.code, "DB_LOCKED");
        assert.equal(outcome.pid, process.pid);
      } finally {
        lock.release();
      }
      assert.deepEqual(await runOpener(denoArgs(openerScript(LOCK_TS), dir)), { locked: true });
    });
    await t.test("a Node child holds it, then is killed with kill -9", async () => {
      const dir = newDir();
      const { child, exited } = await startHolder(nodeArgs(holderScript(LOCK_JS), dir));
      const outcome = await runOpener(denoArgs(openerScript(LOCK_TS), dir));
      assert.equal(outcome.code, "DB_LOCKED");
      assert.equal(outcome.pid, child.pid);
      child.kill("SIGKILL");
      await exited;
      assert.deepEqual(await runOpener(denoArgs(openerScript(LOCK_TS), dir)), { locked: true });
    });
  },
);

test("openDatabase() under Node: creates, locks, refuses a second opener, reopens", async () => {
  process.env.PML_TEMPLATE_CACHE_DIR = join(scratch, "template-cache");
  const dir = newDir();
  const first = await openDatabase({ path: dir });
  await first.exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)");
  const error = await openDatabase({ path: dir }).catch((e) => e);
  assert.equal(error.code, "DB_LOCKED");
  await first.close();
  const again = await openDatabase({ path: dir, create: false });
  assert.deepEqual(await again.query("SELECT n FROM kept"), [{ n: 7 }]);
  await again.close();
  const missing = await openDatabase({ path: newDir(), create: false }).catch((e) => e);
  assert.equal(missing.code, "DB_NOT_FOUND");
});
