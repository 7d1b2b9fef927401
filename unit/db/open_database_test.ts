import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../src/db/open_database.ts";
import { DbError } from "../../src/db/client/db_error.ts";

Deno.test("openDatabase() opens :memory: and memory:// in memory, creating nothing on disk", async () => {
  const cwd = Deno.cwd();
  const dir = await Deno.makeTempDir();
  try {
    Deno.chdir(dir);
    for (const path of [":memory:", "memory://"]) {
      await using db = await openDatabase({ path });
      await db.exec("CREATE TABLE t (id INT); INSERT INTO t VALUES (7);");
      assert.deepEqual(await db.query("SELECT id FROM t"), [{ id: 7 }]);
      assert.equal(db.sharedSession, true);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() refuses other URL schemes and both url and path, naming what to give", async () => {
  for (const path of ["sqlite://x.db", "file:///tmp/x", "mysql://h/db"]) {
    const error = await openDatabase({ path }).catch((e) => e);
    assert.ok(error instanceof DbError, String(error));
    assert.equal(error.code, "DB_PATH_INVALID");
    assert.equal(error.path, path);
    assert.match(
      error.message,
      /only memory:\/\/ or :memory: \(in memory\), postgres:\/\/ \(a server\)/,
    );
  }
  await assert.rejects(openDatabase({ path: "memory://", url: "postgres://h/db" }), {
    code: "DB_PATH_INVALID",
    message: /both url and path are given/,
  });
});

Deno.test("openDatabase() of a data directory gives a client with a shared session", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "db");
    {
      await using db = await openDatabase({ path });
      assert.equal(db.sharedSession, true);
    }
    // The lock file is the one thing beside the directory after an open that created it.
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["db", "db.lock"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
