import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../../src/db/open_database.ts";
import { DbError } from "../../../src/db/client/db_error.ts";

async function openError(path: string, options: { create?: boolean } = {}): Promise<DbError> {
  const error = await openDatabase({ path, ...options }).then(
    async (db) => {
      await db.close();
      return null;
    },
    (e) => e,
  );
  assert.ok(error instanceof DbError, `expected a DbError for '${path}', got ${error}`);
  return error;
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * A new temporary directory, removed with everything in it (data directories and their `<dir>.lock`
 * siblings) when the `await using` scope ends.
 */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("openDatabase() refuses bad paths before touching the disk", async (t) => {
  await using temp = await tempDir();
  const cwd = temp.path;
  const cases: Array<[string, RegExp]> = [
    ["", /^Cannot open database: the path is empty; give a data directory, or memory:\/\//],
    ["   ", /the path is empty/],
    ["memory://x", /^Cannot open database at 'memory:\/\/x': only memory:\/\/ .* not other URLs/],
    ["file:///tmp/db", /'file:\/\/\/tmp\/db': only memory:\/\//],
    ["idb://db", /'idb:\/\/db': only memory:\/\//],
  ];
  for (const [path, message] of cases) {
    await t.step(JSON.stringify(path), async () => {
      const error = await openError(path);
      assert.equal(error.code, "DB_PATH_INVALID");
      assert.match(error.message, message);
    });
  }
  assert.deepEqual(await entries(cwd), []);
});

Deno.test("openDatabase({ create: false }) creates nothing where there is no database", async () => {
  await using temp = await tempDir();
  const root = temp.path;
  const missing = join(root, "missing");
  const error = await openError(missing, { create: false });
  assert.equal(error.code, "DB_NOT_FOUND");
  assert.equal(error.path, missing);
  assert.match(
    error.message,
    /there is no database there \(nothing is there\); open it with create: true to make a new database/,
  );
  const empty = join(root, "empty");
  await Deno.mkdir(empty);
  const emptyError = await openError(empty, { create: false });
  assert.equal(emptyError.code, "DB_NOT_FOUND");
  assert.match(emptyError.message, /\(the directory is empty\)/);
  assert.deepEqual(await entries(empty), []);
  // An open that may not create leaves nothing behind, not even a lock file.
  assert.deepEqual(await entries(root), ["empty"]);
});

Deno.test("openDatabase() recognises directories it must not open", async (t) => {
  await using temp = await tempDir();
  const root = temp.path;
  const make = async (name: string, files: Record<string, string | Uint8Array>) => {
    const dir = join(root, name);
    for (const [file, content] of Object.entries(files)) {
      await Deno.mkdir(join(dir, file, ".."), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(join(dir, file), content);
      else await Deno.writeFile(join(dir, file), content);
    }
    return dir;
  };
  const table: Array<[string, Record<string, string | Uint8Array>, string, RegExp]> = [
    [
      "half",
      { "pg_wal/.keep": "", "global/.keep": "" },
      "DB_HALF_INITIALIZED",
      /half-initialised \(it has global, pg_wal but no PG_VERSION.*remove the directory and open the path again to create a new database$/,
    ],
    [
      "older",
      { PG_VERSION: "16\n" },
      "DB_VERSION_MISMATCH",
      /written by PostgreSQL 16, and this PGlite runs PostgreSQL 18; open it with the version that wrote it/,
    ],
    [
      "no-control",
      { PG_VERSION: "18\n", "base/.keep": "" },
      "DB_DAMAGED",
      /it is damaged: global\/pg_control is missing; nothing was changed in it: restore it from a backup/,
    ],
    [
      "short-control",
      { PG_VERSION: "18\n", "global/pg_control": new Uint8Array(100) },
      "DB_DAMAGED",
      /global\/pg_control has 100 bytes, expected 8192/,
    ],
    [
      "foreign",
      { "notes.txt": "mine" },
      "DB_OPEN_FAILED",
      /not a PostgreSQL data directory \(no PG_VERSION file\) and not empty/,
    ],
  ];
  for (const [name, files, code, message] of table) {
    await t.step(`${name}: ${code}`, async () => {
      const dir = await make(name, files);
      const before = await entries(dir);
      const error = await openError(dir);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.deepEqual(await entries(dir), before, "nothing in it was changed");
    });
  }
});

Deno.test("openDatabase() locks a data directory: a second opener in the same process gets DB_LOCKED", async (t) => {
  await using temp = await tempDir();
  const dir = join(temp.path, "db");
  const first = await openDatabase({ path: dir });
  await first.query("CREATE TABLE kept (id INT)");

  await t.step("at once, naming this process", async () => {
    const error = await openError(dir);
    assert.equal(error.code, "DB_LOCKED");
    assert.equal(error.holder?.pid, Deno.pid);
    assert.match(
      error.message,
      new RegExp(
        `it is locked by this process \\(pid ${Deno.pid}, since .*\\): it is already open here; close that database`,
      ),
    );
  });

  await t.step("directoryLockTimeoutMs waits until the holder closes", async () => {
    const waiting = openDatabase({ path: dir, directoryLockTimeoutMs: 60_000 });
    await first.close();
    await using second = await waiting;
    assert.deepEqual(await second.query("SELECT count(*)::int AS n FROM kept"), [{ n: 0 }]);
  });

  await t.step("a bad directoryLockTimeoutMs is a RangeError", async () => {
    await assert.rejects(openDatabase({ path: dir, directoryLockTimeoutMs: -1 }), RangeError);
  });
});

Deno.test("openDatabase() reports a garbled control file as DB_DAMAGED, not Aborted()", async () => {
  await using temp = await tempDir();
  const dir = join(temp.path, "db");
  await (await openDatabase({ path: dir })).close();
  const control = join(dir, "global", "pg_control");
  const bytes = await Deno.readFile(control);
  bytes.fill(0x5a, 0, 64);
  await Deno.writeFile(control, bytes);
  const error = await openError(dir);
  assert.equal(error.code, "DB_DAMAGED", error.message);
  assert.match(error.message, /it is damaged: PostgreSQL could not start on it/);
  assert.doesNotMatch(error.message, /ASSERTIONS|\[object Object\]/);
});
