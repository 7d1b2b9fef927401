import assert from "node:assert/strict";
import {
  closeKv,
  DEFAULT_KV_PATH,
  getKv,
  installKv,
  openKvClient,
  resolveKvPath,
} from "../../src/cache/kv.ts";
import * as authKv from "../../src/server/auth/kv.ts";
import { CacheError } from "../../src/cache/cache_error.ts";

const KV_MODULE = new URL("../../src/cache/kv.ts", import.meta.url).href;
const AUTH_KV_MODULE = new URL("../../src/server/auth/kv.ts", import.meta.url).href;

/**
 * Runs `body` as a module in a new Deno process with `PML_KV_PATH` set to `kvPath`, in a new temporary
 * working directory, and returns that directory and what the module printed, parsed as JSON. The body
 * sees `getKv`, `closeKv` and `authKv` (the auth re-exports). The lazily opened shared KV reads the
 * process environment, so only another process can set it without leaking into parallel tests.
 */
async function inSubprocess(
  kvPath: string | ((cwd: string) => string),
  body: string,
): Promise<{ cwd: string; output: unknown; [Symbol.asyncDispose](): Promise<void> }> {
  const cwd = await Deno.makeTempDir();
  const dispose = () => Deno.remove(cwd, { recursive: true });
  try {
    const script = `${cwd}/scenario.ts`;
    await Deno.writeTextFile(
      script,
      `import { closeKv, getKv } from ${JSON.stringify(KV_MODULE)};\n` +
        `import * as authKv from ${JSON.stringify(AUTH_KV_MODULE)};\n${body}`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-config",
        "--unstable-kv",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        script,
      ],
      cwd,
      env: { PML_KV_PATH: typeof kvPath === "string" ? kvPath : kvPath(cwd) },
    }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, `the scenario failed:\n${decoder.decode(stderr)}`);
    const output: unknown = JSON.parse(decoder.decode(stdout));
    return { cwd, output, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

Deno.test("src/server/auth/kv.ts returns the same instance as src/cache/kv.ts", async (t) => {
  await t.step("with an installed KV", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      using _override = authKv.installKv(kv);
      const [fromCache, fromAuth] = await Promise.all([getKv(), authKv.getKv()]);
      assert.equal(fromCache, kv);
      assert.equal(fromAuth, fromCache);
    } finally {
      kv.close();
    }
  });

  await t.step("with the lazily opened KV", async () => {
    await using run = await inSubprocess(
      ":memory:",
      `const fromAuth = await authKv.getKv();
      const fromCache = await getKv();
      console.log(JSON.stringify({ same: fromAuth === fromCache }));
      await closeKv();`,
    );
    assert.deepEqual(run.output, { same: true });
  });

  await t.step("the re-exports are the very same functions", () => {
    assert.equal(authKv.getKv, getKv);
    assert.equal(authKv.closeKv, closeKv);
    assert.equal(authKv.installKv, installKv);
  });
});

Deno.test("getKv() opens one connection for concurrent first calls", async () => {
  await using run = await inSubprocess(
    ":memory:",
    `const [first, second] = await Promise.all([getKv(), getKv()]);
    await first.set(["probe"], 1);
    const seen = (await (await getKv()).get(["probe"])).value;
    console.log(JSON.stringify({ same: first === second, seen }));
    await closeKv();`,
  );
  assert.deepEqual(run.output, { same: true, seen: 1 });
});

Deno.test("closeKv() closes the shared KV; the next getKv() opens a new one", async () => {
  await using run = await inSubprocess(
    ":memory:",
    `const first = await getKv();
    await first.set(["probe"], 1);
    await closeKv();
    const firstClosed = await first.get(["probe"]).then(() => false, () => true);
    const second = await getKv();
    const secondEmpty = (await second.get(["probe"])).versionstamp === null;
    await closeKv();
    await closeKv();
    console.log(JSON.stringify({ firstClosed, renewed: second !== first, secondEmpty }));`,
  );
  assert.deepEqual(run.output, { firstClosed: true, renewed: true, secondEmpty: true });
});

Deno.test("closeKv() during the first getKv() open never hands the waiting caller a closed KV", async () => {
  await using run = await inSubprocess(
    ":memory:",
    `const waiting = getKv();
    const closing = closeKv();
    const kv = await waiting;
    await kv.set(["usable"], true);
    await closing;
    const usable = (await kv.get(["usable"])).value;
    const current = (await getKv()) === kv;
    await closeKv();
    console.log(JSON.stringify({ usable, current }));`,
  );
  assert.deepEqual(run.output, { usable: true, current: true });
});

Deno.test("closeKv() leaves an installed KV open", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    using _override = installKv(kv);
    await closeKv();
    await kv.set(["still"], "open");
    assert.equal((await (await getKv()).get(["still"])).value, "open");
  } finally {
    kv.close();
  }
});

Deno.test("getKv() opens .pml/kv.db in the working directory when PML_KV_PATH is empty", async () => {
  await using run = await inSubprocess(
    "",
    `const kv = await getKv();
    await kv.set(["persisted"], true);
    await closeKv();
    console.log(JSON.stringify({ opened: true }));`,
  );
  assert.deepEqual(run.output, { opened: true });
  assert.equal((await Deno.stat(`${run.cwd}/${DEFAULT_KV_PATH}`)).isFile, true);
  const reopened = await Deno.openKv(`${run.cwd}/${DEFAULT_KV_PATH}`);
  try {
    assert.equal((await reopened.get(["persisted"])).value, true);
  } finally {
    reopened.close();
  }
});

Deno.test("getKv() opens PML_KV_PATH, creating its parent directories", async () => {
  await using run = await inSubprocess(
    (cwd) => `${cwd}/nested/deeper/kv.db`,
    `const kv = await getKv();
    await kv.set(["persisted"], true);
    await closeKv();
    console.log(JSON.stringify({ opened: true }));`,
  );
  assert.deepEqual(run.output, { opened: true });
  assert.equal((await Deno.stat(`${run.cwd}/nested/deeper/kv.db`)).isFile, true);
});

Deno.test("getKv() fails with KV_OPEN_FAILED naming the path, and retries on the next call", async () => {
  // The parent "directory" is a file, so the first open fails; removing it lets the retry succeed.
  await using run = await inSubprocess(
    (cwd) => `${cwd}/not-a-directory/kv.db`,
    `const path = Deno.env.get("PML_KV_PATH");
    const blocker = path.slice(0, path.lastIndexOf("/"));
    await Deno.writeTextFile(blocker, "");
    const error = await getKv().then(() => null, (caught) => caught);
    await Deno.remove(blocker);
    const kv = await getKv();
    await kv.set(["recovered"], true);
    await closeKv();
    const { name, code, message } = error ?? {};
    console.log(JSON.stringify({ name, code, path: error?.path, message, cause: error?.cause instanceof Error }));`,
  );
  const path = `${run.cwd}/not-a-directory/kv.db`;
  const { message, ...rest } = run.output as { message: string };
  assert.deepEqual(rest, { name: "CacheError", code: "KV_OPEN_FAILED", path, cause: true });
  assert.ok(message.startsWith(`Cannot open Deno KV at ${JSON.stringify(path)}: `), message);
  assert.equal((await Deno.stat(path)).isFile, true, "the retry opened the store");
});

Deno.test("openKvClient() fails with KV_OPEN_FAILED naming the path, the cause chained", async () => {
  const root = await Deno.makeTempDir();
  try {
    const blocker = `${root}/not-a-directory`;
    await Deno.writeTextFile(blocker, "");
    const path = `${blocker}/kv.db`;
    const error = await openKvClient(path).then(() => null, (caught: unknown) => caught);
    assert.ok(error instanceof CacheError, `expected CacheError, got ${error}`);
    assert.equal(error.code, "KV_OPEN_FAILED");
    assert.equal(error.path, path);
    assert.ok(error.message.startsWith(`Cannot open Deno KV at ${JSON.stringify(path)}: `));
    assert.ok(error.cause instanceof Error);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openKvClient() refuses a file that is not a KV database before opening it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/garbled.db`;
    const garbage = new TextEncoder().encode("not a database ".repeat(400));
    await Deno.writeFile(path, garbage);
    await assert.rejects(openKvClient(path), {
      name: "CacheError",
      code: "KV_OPEN_FAILED",
      path,
      message: `Cannot open Deno KV at ${
        JSON.stringify(path)
      }: the file is not a KV database (it does not start with the SQLite header "SQLite format 3\\0"); point PML_KV_PATH at another file or remove this one`,
    });
    assert.deepEqual(await Deno.readFile(path), garbage, "the file is left as it was");
    const empty = `${root}/empty.db`;
    await Deno.writeFile(empty, new Uint8Array());
    const kv = await openKvClient(empty);
    await kv.set(["k"], 1);
    kv.close();
    const reopened = await openKvClient(empty);
    assert.equal((await reopened.get(["k"])).value, 1, "a real KV file opens again");
    reopened.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("resolveKvPath() reads PML_KV_PATH, defaulting to .pml/kv.db", () => {
  assert.equal(resolveKvPath({ PML_KV_PATH: ":memory:" }), ":memory:");
  assert.equal(resolveKvPath({ PML_KV_PATH: "" }), DEFAULT_KV_PATH);
  assert.equal(resolveKvPath({}), ".pml/kv.db");
});
