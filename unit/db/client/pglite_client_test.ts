import assert from "node:assert/strict";
import { join } from "node:path";
import { inMemoryStartError } from "../../../src/db/embedded/open_embedded.ts";
import { openDatabase } from "../../../src/db/open_database.ts";
import { withFastDb, withMigratedDb } from "../../../fixtures/test_db.ts";
import { TEST_SHARED_BUFFERS } from "../../../src/db/embedded/pglite_options.ts";

Deno.test("query(), queryOne() and exec() on the harness database", async () => {
  await withFastDb(async (db) => {
    await db.exec("CREATE TABLE t (id INT, label TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
    assert.deepEqual(await db.query("SELECT id, label FROM t WHERE id > $1 ORDER BY id", [0]), [
      { id: 1, label: "a" },
      { id: 2, label: "b" },
    ]);
    assert.deepEqual(await db.queryOne("SELECT label FROM t WHERE id = $1", [2]), { label: "b" });
    assert.equal(await db.queryOne("SELECT label FROM t WHERE id = $1", [3]), null);
  });
});

Deno.test("the harness's instances run with a small shared_buffers, databases with the default", async () => {
  await withFastDb(async (db) => {
    assert.deepEqual(await db.query("SHOW shared_buffers"), [{
      shared_buffers: TEST_SHARED_BUFFERS,
    }]);
  });
  await withMigratedDb(async (db) => {
    assert.deepEqual(await db.query("SHOW shared_buffers"), [{
      shared_buffers: TEST_SHARED_BUFFERS,
    }]);
  });
  await using inMemory = await openDatabase({ path: "memory://" });
  assert.deepEqual(await inMemory.query("SHOW shared_buffers"), [{ shared_buffers: "128MB" }]);
  const dir = await Deno.makeTempDir();
  try {
    await using onDisk = await openDatabase({ path: join(dir, "db") });
    assert.deepEqual(await onDisk.query("SHOW shared_buffers"), [{ shared_buffers: "128MB" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec() refuses parameters instead of dropping them", async () => {
  await withFastDb(async (db) => {
    // @ts-expect-error exec() takes no parameters: passing any is a compile error.
    const call = db.exec("SELECT $1", ["x"]);
    await assert.rejects(call, {
      name: "TypeError",
      message: "Cannot run SQL with exec(): it takes no parameters, found 1; use query() instead",
    });
  });
});

Deno.test("a failed statement is a DbError carrying the SQL, the SQLSTATE and the cause", async () => {
  await withFastDb(async (db) => {
    const error = await db.query("SELECT * FROM missing WHERE id = $1", [1]).catch((e) => e);
    assert.equal(error.name, "DbError");
    assert.equal(error.code, "DB_QUERY_FAILED");
    assert.equal(error.sql, "SELECT * FROM missing WHERE id = $1");
    assert.equal(error.sqlState, "42P01");
    assert.equal(error.message, 'Cannot run query: relation "missing" does not exist');
    assert.ok(error.cause instanceof Error);
  });
});

Deno.test("transaction() commits, rolls back, and nests as savepoints", async (t) => {
  await using db = await openDatabase();
  await db.exec("CREATE TABLE t (id INT PRIMARY KEY)");
  const ids = async () =>
    (await db.query<{ id: number }>("SELECT id FROM t ORDER BY id")).map((r) => r.id);

  await t.step("a resolved callback commits", async () => {
    assert.equal(
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (1)");
        return "done";
      }),
      "done",
    );
    assert.deepEqual(await ids(), [1]);
  });

  await t.step("a thrown error rolls back and is rethrown", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (2)");
        throw new Error("boom");
      }),
      { message: "boom" },
    );
    assert.deepEqual(await ids(), [1]);
  });

  await t.step("a failing nested transaction rolls back only its savepoint", async () => {
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (3)");
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.query("INSERT INTO t VALUES (4)");
          await inner.query("INSERT INTO t VALUES (4)");
        }),
        { sqlState: "23505" },
      );
      await tx.query("INSERT INTO t VALUES (5)");
    });
    assert.deepEqual(await ids(), [1, 3, 5]);
  });

  await t.step("sibling savepoints started together take turns and both commit", async () => {
    await db.transaction(async (tx) => {
      const insert = (id: number) =>
        tx.transaction((inner) => inner.query(`INSERT INTO t VALUES (${id})`));
      const failing = tx.transaction(async (inner) => {
        await inner.query("INSERT INTO t VALUES (7)");
        throw new Error("undo 7");
      });
      const results = await Promise.allSettled([insert(6), failing, insert(8)]);
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    });
    assert.deepEqual(await ids(), [1, 3, 5, 6, 8]);
  });

  await t.step("a transaction client cannot be used after its transaction ended", async () => {
    let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
    await db.transaction((tx) => {
      leaked = tx;
      return Promise.resolve();
    });
    await assert.rejects(leaked!.query("SELECT 1"), {
      code: "DB_TRANSACTION_ENDED",
      message: /^Cannot run a query: /,
    });
  });

  await t.step("close() is idempotent and later calls fail clearly", async () => {
    await db.close();
    await db.close();
    assert.equal(db.closed, true);
    await assert.rejects(db.query("SELECT 1"), {
      name: "DbError",
      code: "DB_CLOSED",
      message: "Cannot run a query: the database is closed",
    });
  });
});

Deno.test("openDatabase() refuses a path that is a file, naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "not-a-directory");
    await Deno.writeTextFile(file, "hello");
    await assert.rejects(openDatabase({ path: file }), {
      name: "DbError",
      code: "DB_OPEN_FAILED",
      message: `Cannot open database at '${file}': it is a file, expected a data directory ` +
        "(or a path that does not exist yet); choose another path",
    });
    assert.equal(await Deno.readTextFile(file), "hello");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() refuses a non-empty directory that is not a Postgres data directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
    await assert.rejects(openDatabase({ path: dir }), {
      code: "DB_OPEN_FAILED",
      message:
        `Cannot open database at '${dir}': it is not a PostgreSQL data directory (no PG_VERSION ` +
        "file) and not empty; choose an empty or new directory",
    });
    const entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
    assert.deepEqual(entries, ["notes.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    // The data-directory lock is the sibling `<dir>.lock`, outside the temporary directory.
    await Deno.remove(`${dir}.lock`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
});

Deno.test("openDatabase() reports a directory it cannot create", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const blocker = join(dir, "file");
    await Deno.writeTextFile(blocker, "");
    const path = join(blocker, "db");
    await assert.rejects(openDatabase({ path }), {
      code: "DB_OPEN_FAILED",
      message: new RegExp(
        `^Cannot open database at '${path}': cannot (read it|create its parent directory)`,
      ),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() reports a data directory it may not read, naming the path", async () => {
  // Running as root defeats file modes, so the unreadable directory is simulated with Deno's permissions:
  // a child process that may read the project and its script, but not the database directory.
  const dir = await Deno.makeTempDir();
  const scriptDir = await Deno.makeTempDir();
  try {
    const root = new URL("../../../", import.meta.url).pathname;
    const script = join(scriptDir, "open.ts");
    await Deno.writeTextFile(
      script,
      `import { openDatabase } from "${root}src/db/open_database.ts";
      await openDatabase({ path: Deno.args[0] }).catch((e) => console.log(e.code, e.message));`,
    );
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        `${root}deno.json`,
        `--allow-read=${root},${scriptDir}`,
        "--allow-env",
        script,
        dir,
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(child.stdout).trim();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    assert.match(
      out,
      new RegExp(`^DB_PERMISSION_DENIED Cannot open database at '${dir}': cannot read it \\(`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(scriptDir, { recursive: true });
  }
});

Deno.test("a failed in-memory start is a DB_OPEN_FAILED naming the cause and what to check", () => {
  // PGlite cannot be made to fail on demand, so this proves the error that openDatabase() and the
  // harness both throw when it does.
  const cause = new Error("Aborted(OOM)");
  const error = inMemoryStartError("database", cause);
  assert.equal(error.name, "DbError");
  assert.equal(error.code, "DB_OPEN_FAILED");
  assert.equal(error.cause, cause);
  assert.equal(
    error.message,
    "Cannot open database in memory: PGlite failed to start (Aborted(OOM)); check that the " +
      "process has about 200 MB of memory to spare and that @electric-sql/pglite is fully installed",
  );
});
