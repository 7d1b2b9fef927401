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
import { findKvFileDamage, walkSqliteFile } from "../../src/cache/kv_file_check.ts";

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

/** Fills a new KV file at `path` with workflow-sized values until it is at least `bytes` long. */
async function writeKvFile(path: string, bytes: number): Promise<void> {
  const kv = await Deno.openKv(path);
  try {
    for (let i = 0; (await Deno.stat(path)).size < bytes; i++) {
      const batch = kv.atomic();
      for (let j = 0; j < 50; j++) batch.set(["workflow", `wf-${i}-${j}`], "x".repeat(1000));
      await batch.commit();
    }
  } finally {
    kv.close();
  }
}

/** Overwrites bytes `from` to `to` of the file at `path` with a fixed garbage pattern. */
async function damage(path: string, from: number, to: number): Promise<void> {
  using file = await Deno.open(path, { write: true });
  await file.seek(from, Deno.SeekMode.Start);
  await file.write(Uint8Array.from({ length: to - from }, (_, i) => (i * 7919 + 13) & 0xff));
}

const DAMAGE_ADVICE = "restore it from a backup, or move it aside to start with an empty store " +
  "(workflow state is ephemeral: it expires within an hour)";

Deno.test("getKv() refuses a damaged KV file with KV_OPEN_FAILED instead of crashing", async () => {
  // In a subprocess: Deno KV panics and aborts the process at the first read of this file, so a
  // missing check fails this test (the scenario's exit code) instead of killing the runner.
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/kv.db`;
    await writeKvFile(path, 100_000);
    await damage(path, 20_000, 40_000);
    const damaged = await Deno.readFile(path);
    await using run = await inSubprocess(
      path,
      `const error = await getKv().then(async (kv) => {
        await kv.get(["workflow", "wf-0-0"]);
        for await (const _ of kv.list({ prefix: [] }));
        await closeKv();
        return null;
      }, (caught) => caught);
      const { name, code, message } = error ?? {};
      console.log(JSON.stringify({ name, code, path: error?.path, message }));`,
    );
    const { message, ...rest } = run.output as { message: string };
    assert.deepEqual(rest, { name: "CacheError", code: "KV_OPEN_FAILED", path });
    const start = `Cannot open Deno KV at ${JSON.stringify(path)}: the file is damaged (`;
    assert.ok(message.startsWith(`${start}SQLite's quick_check found: `), message);
    assert.ok(message.endsWith(`); ${DAMAGE_ADVICE}`), message);
    assert.deepEqual(await Deno.readFile(path), damaged, "the file is left as it was");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openKvClient() opens an undamaged KV file larger than its first pages", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/kv.db`;
    await writeKvFile(path, 100_000);
    const kv = await openKvClient(path);
    try {
      assert.equal((await kv.get(["workflow", "wf-0-0"])).value, "x".repeat(1000));
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getKv() opens a KV file that another process holds open, leaving its files as they were", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/kv.db`;
    await writeKvFile(path, 100_000);
    const holder = await Deno.openKv(path);
    try {
      // Commits the holder has not checkpointed yet: they live in kv.db-wal.
      for (let i = 0; i < 200; i++) await holder.set(["held", i], "y".repeat(i % 9 ? 300 : 9000));
      const before = [await Deno.readFile(path), await Deno.readFile(`${path}-wal`)];
      assert.ok(before[1]!.length > 0, "the holder's commits are in the WAL");
      await using run = await inSubprocess(
        path,
        `const kv = await getKv();
        const held = (await kv.get(["held", 199])).value.length;
        await closeKv();
        console.log(JSON.stringify({ held }));`,
      );
      assert.deepEqual(run.output, { held: 300 });
      assert.equal(
        (await holder.get(["held", 9])).value,
        "y".repeat(9000),
        "the holder still works",
      );
      // The check alone, in this process beside the holder: it writes neither file.
      assert.equal(await findKvFileDamage(path), null);
      assert.deepEqual([await Deno.readFile(path), await Deno.readFile(`${path}-wal`)], before);
    } finally {
      holder.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("walkSqliteFile(), the check where node:sqlite is missing, finds the damage quick_check finds", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = `${root}/kv.db`;
    await writeKvFile(path, 100_000);
    assert.equal(await walkSqliteFile(path), null, "an intact file");
    const holder = await Deno.openKv(path);
    try {
      for (let i = 0; i < 200; i++) await holder.set(["held", i], "y".repeat(i % 9 ? 300 : 9000));
      assert.equal(await walkSqliteFile(path), null, "a file with commits in its WAL");
      // Garbage in the file's copy of a page the WAL holds a newer copy of is no damage: readers
      // read the WAL's copy.
      const wal = await Deno.readFile(`${path}-wal`);
      const frames = new DataView(wal.buffer);
      const pages = Math.floor((await Deno.stat(path)).size / 4096);
      let replaced = 0;
      for (let at = 32; at + 24 + 4096 <= wal.length && replaced === 0; at += 24 + 4096) {
        const page = frames.getUint32(at);
        if (page > 1 && page <= pages) replaced = page;
      }
      assert.ok(replaced > 0, "the WAL replaces a page of the file");
      await damage(path, (replaced - 1) * 4096, replaced * 4096);
      assert.equal(await findKvFileDamage(path), null, "quick_check reads the WAL's copy");
      assert.equal(await walkSqliteFile(path), null, "so does the walk");
    } finally {
      holder.close();
    }
    await damage(path, 20_000, 40_000);
    assert.match(
      String(await walkSqliteFile(path)),
      /^page \d+ has the type byte \d+, not that of /,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
