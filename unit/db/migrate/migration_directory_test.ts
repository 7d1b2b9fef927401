import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  loadMigrationDirectory,
  nextMigrationVersion,
} from "../../../src/db/migrate/migration_directory.ts";
import { MigrationError } from "../../../src/db/migrate/migration_error.ts";
import { migrations } from "../../../src/db/schema/migrations.ts";

const SQL = "-- migrate:up\nCREATE TABLE notes (id INT);\n\n-- migrate:down\nDROP TABLE notes;\n";

/** A temporary directory holding `files`, removed after `fn`. */
async function withDirectory(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "migration-directory-"));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true });
  }
}

/** Loading `files` after pml-store's migrations fails with MIGRATION_FILE_INVALID and `message`. */
async function refused(files: Record<string, string>, message: (dir: string) => string) {
  await withDirectory(files, async (dir) => {
    const error = await loadMigrationDirectory(dir, { after: migrations }).then(
      () => assert.fail("loaded"),
      (e) => e,
    );
    assert.ok(error instanceof MigrationError, String(error));
    assert.equal(error.code, "MIGRATION_FILE_INVALID");
    assert.equal(error.message, message(dir));
  });
}

Deno.test("loadMigrationDirectory() returns the directory's migrations after `after`, in version order", async () => {
  await withDirectory({
    "021_backfill_notes.ts": "export default {\n" +
      '  up: async (db) => { await db.exec("INSERT INTO notes VALUES (1)"); },\n' +
      '  down: "DELETE FROM notes;",\n  checksum: "v1",\n};\n',
    "020_create_notes.sql": `-- a comment before the sections\n${SQL}`,
    "022_sql_in_ts.ts":
      'export const version = 22;\nexport default { up: "SELECT 1;", down: "" };\n',
    "README.md": "ignored",
    "_helpers.ts": "throw new Error('never imported');",
  }, async (dir) => {
    await mkdir(join(dir, "999_a_directory.sql"));
    const list = await loadMigrationDirectory(dir, { after: migrations });
    assert.deepEqual(list.slice(0, migrations.length), migrations);
    const own = list.slice(migrations.length);
    assert.deepEqual(own.map((m) => [m.version, m.name, typeof m.up, m.checksum]), [
      [20, "create_notes", "string", undefined],
      [21, "backfill_notes", "function", "v1"],
      [22, "sql_in_ts", "string", undefined],
    ]);
    assert.deepEqual(own[0], {
      version: 20,
      name: "create_notes",
      up: "CREATE TABLE notes (id INT);",
      down: "DROP TABLE notes;",
    });
    assert.ok(Object.isFrozen(list) && list.every(Object.isFrozen));
    assert.equal(await nextMigrationVersion(dir, { after: migrations }), 23);
  });
});

Deno.test("loadMigrationDirectory() refuses a directory that is missing, or a file", async () => {
  await withDirectory({ "file.sql": "" }, async (dir) => {
    await assert.rejects(loadMigrationDirectory(join(dir, "missing")), {
      code: "MIGRATION_FILE_INVALID",
      message: `Cannot load migrations from '${
        join(dir, "missing")
      }': there is no such directory; check the path, or create the directory`,
    });
    await assert.rejects(loadMigrationDirectory(join(dir, "file.sql")), {
      message: `Cannot load migrations from '${
        join(dir, "file.sql")
      }': it is a file, expected a directory of NNN_name.sql and NNN_name.ts files`,
    });
    assert.equal(await nextMigrationVersion(join(dir, "missing"), { after: migrations }), 20);
  });
});

Deno.test("loadMigrationDirectory() refuses bad file names and versions, naming the file", async (t) => {
  await t.step("a name that is not snake_case", async () => {
    await refused(
      { "020_Add Users.sql": SQL },
      (dir) =>
        `Cannot load migration file '${join(dir, "020_Add Users.sql")}': its name 'Add Users' is ` +
        "not snake_case (lower-case letters and digits joined by _); rename it to 020_add_users.sql",
    );
  });
  await t.step("a name without a version", async () => {
    await refused(
      { "add_users.sql": SQL },
      (dir) =>
        `Cannot load migration file '${
          join(dir, "add_users.sql")
        }': its name does not start with ` +
        "a version, expected NNN_name.sql or NNN_name.ts (such as 020_add_users.sql); rename it",
    );
  });
  await t.step("two files with one version", async () => {
    await refused(
      { "020_a.sql": SQL, "020_b.sql": SQL },
      (dir) =>
        `Cannot load migration file '${join(dir, "020_b.sql")}': version 20 is also used by ` +
        "020_a.sql; give one of them the next free version, 21",
    );
  });
  await t.step("020_x.sql and 020_x.ts side by side", async () => {
    await refused(
      {
        "020_x.sql": SQL,
        "020_x.ts": 'export default { up: "SELECT 1;", down: "" };',
      },
      (dir) =>
        `Cannot load migration file '${join(dir, "020_x.ts")}': version 20 is also used by ` +
        "020_x.sql; a migration is either SQL or code, so keep one of the two files",
    );
  });
  await t.step("a version of pml-store's own", async () => {
    await refused(
      { "019_mine.sql": SQL },
      (dir) =>
        `Cannot load migration file '${join(dir, "019_mine.sql")}': version 19 is not above 19, ` +
        "the last of the migrations this directory comes after (versions up to 19 are taken); " +
        "renumber it from 20",
    );
  });
});

Deno.test("loadMigrationDirectory() refuses a SQL file without dbmate's sections, naming its line", async (t) => {
  const file = (dir: string, line?: number) =>
    `Cannot load migration file '${join(dir, "020_x.sql")}${line === undefined ? "" : `:${line}`}'`;
  await t.step("no -- migrate:up", async () => {
    await refused(
      { "020_x.sql": "CREATE TABLE t (id INT);\n" },
      (dir) =>
        `${
          file(dir)
        }: it has no '-- migrate:up' line, expected the SQL that applies the migration ` +
        "below a line '-- migrate:up' (as dbmate writes them)",
    );
  });
  await t.step("no -- migrate:down", async () => {
    await refused(
      { "020_x.sql": "-- migrate:up\nSELECT 1;\n" },
      (dir) =>
        `${file(dir)}: it has no '-- migrate:down' line, expected the SQL that reverts the ` +
        "migration below a line '-- migrate:down' (as dbmate writes them)",
    );
  });
  await t.step("a second -- migrate:up", async () => {
    await refused(
      { "020_x.sql": `${SQL}-- migrate:up\nSELECT 2;\n` },
      (dir) =>
        `${file(dir, 6)}: it has a second '-- migrate:up' line (the first is line 1); keep one`,
    );
  });
  await t.step("dbmate's transaction:false", async () => {
    await refused(
      { "020_x.sql": "-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n" },
      (
        dir,
      ) =>
        `${file(dir, 1)}: the option 'transaction:false' is not supported: pml-store runs every ` +
        "migration in one transaction of its own; write the line as '-- migrate:up'",
    );
  });
  await t.step("a misspelt marker", async () => {
    await refused(
      { "020_x.sql": `-- migrate:upp\n${SQL}` },
      (dir) =>
        `${file(dir, 1)}: '-- migrate:upp' is not a section marker, expected '-- migrate:up' or ` +
        "'-- migrate:down'",
    );
  });
  await t.step("SQL before the first section", async () => {
    await refused(
      { "020_x.sql": `-- why\n\nCREATE TABLE early (id INT);\n${SQL}` },
      (dir) =>
        `${file(dir, 3)}: it has SQL before its first section marker; move it below ` +
        "'-- migrate:up' or '-- migrate:down'",
    );
  });
  await t.step("an empty -- migrate:up section", async () => {
    await refused(
      { "020_x.sql": "-- migrate:up\n\n\n-- migrate:down\n\n" },
      (dir) =>
        `${
          file(dir, 1)
        }: its '-- migrate:up' section holds no SQL; write the migration below that line`,
    );
  });
  await t.step("a statement that controls the transaction", async () => {
    const sql =
      "-- migrate:up\n\nCREATE TABLE t (id INT);\n\n  COMMIT;\n-- migrate:down\nDROP TABLE t;\n";
    await withDirectory({ "020_x.sql": sql }, async (dir) => {
      const error = await loadMigrationDirectory(dir, { after: migrations }).catch((e) => e);
      assert.equal(
        error.message,
        `${file(dir, 5)}: its '-- migrate:up' section has the statement 'COMMIT', which controls ` +
          "the transaction; pml-store runs each migration in one transaction of its own together " +
          "with its history row, so remove it",
      );
      assert.equal(error.version, 20);
      assert.equal(error.cause.code, "MIGRATION_REGISTRY_INVALID");
    });
  });
});

Deno.test("loadMigrationDirectory() refuses a .ts module that throws on import or exports the wrong shape", async (t) => {
  const file = (dir: string) => `Cannot load migration file '${join(dir, "020_x.ts")}'`;
  await t.step("it throws on import: the file is named and the error chained", async () => {
    await withDirectory({ "020_x.ts": 'throw new RangeError("no config");\n' }, async (dir) => {
      const error = await loadMigrationDirectory(dir).catch((e) => e);
      assert.equal(error.code, "MIGRATION_FILE_INVALID");
      assert.equal(
        error.message,
        `${file(dir)}: importing it threw RangeError: no config; fix the module so that it ` +
          "imports cleanly",
      );
      assert.ok(error.cause instanceof RangeError);
    });
  });
  const shapes: [string, string][] = [
    [
      "export const up = 'SELECT 1;';",
      "it has no default export, expected `export default { up, down, checksum }`",
    ],
    [
      "export default async () => {};",
      "its default export is a function, expected `export default { up, down, checksum }`",
    ],
    [
      "export default { up: 1, down: '' };",
      "its default export's 'up' is a number, expected SQL text or an async function (db, context)",
    ],
    [
      "export default { up: '', down: '', checkSum: 'v1' };",
      "its default export has the property 'checkSum', expected only up, down, checksum, report, requires, version and name",
    ],
    [
      "export default { up: async () => {}, down: '', checksum: 2 };",
      "its default export's 'checksum' is a number, expected a string that you change whenever the code changes",
    ],
    [
      "export default { version: 21, up: 'SELECT 1;', down: '' };",
      "it exports version 21 but its file name says 20; make them agree, or leave out the export",
    ],
    [
      "export const name = 'y';\nexport default { up: 'SELECT 1;', down: '' };",
      'it exports name "y" but its file name says "x"; make them agree, or leave out the export',
    ],
  ];
  await t.step("SQL in a .ts module with a checksum, which SQL must not declare", async () => {
    await withDirectory({
      "020_x.ts": "export default { up: 'SELECT 1;', down: '', checksum: 'v1' };",
    }, async (dir) => {
      const error = await loadMigrationDirectory(dir).catch((e) => e);
      assert.equal(error.code, "MIGRATION_FILE_INVALID");
      assert.ok(error.message.startsWith(`${file(dir)}: `), error.message);
      assert.match(error.message, /checksum/);
      assert.equal(error.cause.code, "MIGRATION_REGISTRY_INVALID");
    });
  });
  for (const [source, reason] of shapes) {
    await t.step(source, async () => {
      await refused({ "020_x.ts": source }, (dir) => `${file(dir)}: ${reason}`);
    });
  }
});
