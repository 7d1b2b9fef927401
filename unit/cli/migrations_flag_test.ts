// The CLI on a package's own migrations: --migrations DIR, new, plan, --to and --json.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliIo, runCli } from "../../src/cli/run_cli.ts";
import { openDatabase } from "../../src/db/open_database.ts";
import { migrations } from "../../src/db/schema/migrations.ts";

const latest = migrations.at(-1)!.version;
const next = latest + 1;
const pad = (version: number) => String(version).padStart(3, "0");
const NOTES = `${pad(next)}_create_notes.sql`;
const NOTES_SQL =
  "-- migrate:up\nCREATE TABLE notes (id INT);\n\n-- migrate:down\nDROP TABLE notes;\n";
const FILE_HINT =
  "hint: nothing was applied; fix the file, then `deno task migrate plan --migrations DIR` shows what would run";

async function cli(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: () => undefined,
    cwd,
  };
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function withProject(files: Record<string, string>, fn: (cwd: string) => Promise<void>) {
  const cwd = await mkdtemp(join(tmpdir(), "cli-migrations-"));
  try {
    await mkdir(join(cwd, "migrations"));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(cwd, "migrations", name), text);
    }
    await fn(cwd);
  } finally {
    await rm(cwd, { recursive: true });
  }
}

/** The rows of migrations_history, or null when the table does not exist. */
async function history(path: string) {
  await using db = await openDatabase({ path, create: false });
  const table = await db.queryOne<{ name: string | null }>(
    "SELECT to_regclass('migrations_history')::text AS name",
  );
  if (table?.name == null) return null;
  return await db.query("SELECT * FROM migrations_history ORDER BY version");
}

Deno.test("the CLI applies, plans, reports and rolls back a directory's migrations after pml-store's", async (t) => {
  await withProject({ [NOTES]: NOTES_SQL }, async (cwd) => {
    const dirFlag = ["--migrations", "migrations"];
    await t.step("migrate --to stops at the version given", async () => {
      const run = await cli(["migrate", "--db", "db", "--to", "2", ...dirFlag], cwd);
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /^Applied 2 migration\(s\); now at version 2\.$/m);
    });

    await t.step("plan shows the rest with the directory's SQL, and writes nothing", async () => {
      const before = await history(join(cwd, "db"));
      const run = await cli(["plan", "--db", "db", ...dirFlag], cwd);
      assert.equal(run.code, 0, run.err);
      assert.match(
        run.out,
        new RegExp(
          `^migrate would apply ${
            migrations.length - 1
          } migration\\(s\\), from version 2 to ${next}:$`,
          "m",
        ),
      );
      assert.ok(
        run.out.endsWith(`\n-- ${pad(next)} create_notes (sql)\nCREATE TABLE notes (id INT);`),
      );
      assert.deepEqual(await history(join(cwd, "db")), before);
      const json = await cli(["plan", "--db", "db", "--to", "3", "--json", ...dirFlag], cwd);
      assert.equal(json.err, "");
      const document = JSON.parse(json.out);
      assert.equal(document.currentVersion, 2);
      assert.deepEqual(document.plan.map((p: { version: number }) => p.version), [3]);
      assert.match(document.plan[0].checksum, /^[0-9a-f]{64}$/);
    });

    await t.step(
      "migrate --json applies the rest: one document on stdout, progress on stderr",
      async () => {
        const run = await cli(["migrate", "--db", "db", "--json", ...dirFlag], cwd);
        assert.equal(run.code, 0, run.err);
        const document = JSON.parse(run.out);
        assert.equal(document.results.length, migrations.length - 1);
        assert.deepEqual(document.results.at(-1).name, "create_notes");
        assert.equal(document.currentVersion, next);
        assert.match(run.err, new RegExp(`^ {2}applied ${pad(next)} create_notes \\(`, "m"));
      },
    );

    await t.step("status --json lists every migration with its checksum and times", async () => {
      const run = await cli(["status", "--db", "db", "--json", ...dirFlag], cwd);
      assert.equal(run.code, 0);
      assert.equal(run.err, "");
      const document = JSON.parse(run.out);
      assert.deepEqual(Object.keys(document), [
        "database",
        "currentVersion",
        "pendingCount",
        "migrations",
      ]);
      assert.equal(document.pendingCount, 0);
      const notes = document.migrations.at(-1);
      assert.deepEqual(Object.keys(notes), [
        "version",
        "name",
        "state",
        "checksum",
        "appliedAt",
        "durationMs",
      ]);
      assert.deepEqual([notes.version, notes.name, notes.state], [next, "create_notes", "applied"]);
      assert.match(notes.checksum, /^[0-9a-f]{64}$/);
      assert.ok(!Number.isNaN(Date.parse(notes.appliedAt)));
      assert.equal(typeof notes.durationMs, "number");
    });

    await t.step(
      "plan on a migrated database has nothing to apply and leaves the history as it was",
      async () => {
        const before = await history(join(cwd, "db"));
        const run = await cli(["plan", "--db", "db", ...dirFlag], cwd);
        assert.equal(run.code, 0);
        assert.match(
          run.out,
          new RegExp(`^Database is up to date at version ${next}; nothing`, "m"),
        );
        assert.deepEqual(await history(join(cwd, "db")), before);
      },
    );

    await t.step(
      "without --migrations, verify finds the directory's migration unknown",
      async () => {
        const run = await cli(["verify", "--db", "db", "--json"], cwd);
        assert.equal(run.code, 1);
        const document = JSON.parse(run.out);
        assert.equal(document.ok, false);
        assert.deepEqual(document.problems.map((p: { kind: string }) => p.kind), ["unknown"]);
        assert.equal((await cli(["verify", "--db", "db", ...dirFlag], cwd)).code, 0);
      },
    );

    await t.step("rollback --json reverts the directory's migration", async () => {
      const run = await cli(
        ["rollback", "--db", "db", "--to", String(latest), "--json", ...dirFlag],
        cwd,
      );
      assert.equal(run.code, 0, run.out);
      const document = JSON.parse(run.out);
      assert.deepEqual(
        document.results.map((r: { version: number; status: string }) => [r.version, r.status]),
        [[next, "rolled_back"]],
      );
      assert.equal(document.migrations.at(-1).state, "pending");
      assert.equal(document.migrations.at(-1).appliedAt, null);
    });
  });
});

Deno.test("plan reads a database that has no migrations in a read-only transaction and creates no history", async () => {
  await withProject({ [NOTES]: NOTES_SQL }, async (cwd) => {
    await (await openDatabase({ path: join(cwd, "db") })).close();
    const run = await cli(["plan", "--db", "db", "--migrations", "migrations"], cwd);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^-- 001 initial_schema \(sql\)$/m);
    assert.equal(await history(join(cwd, "db")), null);
  });
});

Deno.test("a bad migration file is refused with its name and nothing is applied or created", async (t) => {
  const cases: [string, Record<string, string>, (dir: string) => string][] = [
    [
      "a file without sections",
      { "020_x.sql": "CREATE TABLE x (id INT);\n" },
      (dir) =>
        `Cannot load migration file '${join(dir, "020_x.sql")}': it has no '-- migrate:up' line`,
    ],
    [
      "two files with one version",
      { "020_a.sql": NOTES_SQL, "020_b.sql": NOTES_SQL },
      (dir) =>
        `Cannot load migration file '${
          join(dir, "020_b.sql")
        }': version 20 is also used by 020_a.sql`,
    ],
    [
      "020_x.sql and 020_x.ts",
      { "020_x.sql": NOTES_SQL, "020_x.ts": "export default { up: 'SELECT 1;', down: '' };" },
      (dir) =>
        `Cannot load migration file '${
          join(dir, "020_x.ts")
        }': version 20 is also used by 020_x.sql`,
    ],
    [
      "a name with spaces",
      { "020_add notes.sql": NOTES_SQL },
      (dir) =>
        `Cannot load migration file '${
          join(dir, "020_add notes.sql")
        }': its name 'add notes' is not snake_case`,
    ],
    [
      "a .ts file that throws on import",
      { "020_x.ts": "throw new Error('no config');" },
      (dir) =>
        `Cannot load migration file '${
          join(dir, "020_x.ts")
        }': importing it threw Error: no config`,
    ],
    [
      "a version of pml-store's",
      { "012_x.sql": NOTES_SQL },
      (dir) =>
        `Cannot load migration file '${join(dir, "012_x.sql")}': version 12 is not above ${latest}`,
    ],
  ];
  for (const [label, files, message] of cases) {
    await t.step(label, async () => {
      await withProject(files, async (cwd) => {
        const dir = join(cwd, "migrations");
        const run = await cli(["migrate", "--db", "db", "--migrations", "migrations"], cwd);
        assert.equal(run.code, 1);
        assert.equal(run.out, "");
        const [error, hint, ...more] = run.err.split("\n");
        assert.ok(error!.startsWith(`error: [MIGRATION_FILE_INVALID] ${message(dir)}`), error);
        assert.deepEqual([hint, ...more], [FILE_HINT]);
        assert.deepEqual((await readdir(cwd)).sort(), ["migrations"], "no database was created");
        const json = await cli(
          ["status", "--db", "db", "--migrations", "migrations", "--json"],
          cwd,
        );
        assert.equal(json.code, 1);
        assert.equal(json.err, "");
        const { error: { code, message: text } } = JSON.parse(json.out);
        assert.equal(code, "MIGRATION_FILE_INVALID");
        assert.ok(text.startsWith(message(dir)), text);
      });
    });
  }
  await t.step("a directory that does not exist", async () => {
    await withProject({}, async (cwd) => {
      const run = await cli(["migrate", "--db", "db", "--migrations", "typo"], cwd);
      assert.equal(run.code, 1);
      assert.equal(
        run.err.split("\n")[0],
        `error: [MIGRATION_FILE_INVALID] Cannot load migrations from '${
          join(cwd, "typo")
        }': there is no such directory; check the path, or create the directory`,
      );
      assert.deepEqual(await readdir(cwd), ["migrations"]);
    });
  });
  await t.step("on a migrated database, nothing of the directory is applied", async () => {
    await withProject({
      [NOTES]: NOTES_SQL,
      "021_x.sql": "-- migrate:up\nCOMMIT;\n-- migrate:down\n",
    }, async (cwd) => {
      assert.equal(
        (await cli(["migrate", "--db", "memory://", "--migrations", "migrations"], cwd)).code,
        1,
      );
      const run = await cli([
        "migrate",
        "--db",
        "memory://",
        "--migrations",
        "migrations",
        "--json",
      ], cwd);
      assert.equal(run.code, 1);
      assert.match(
        JSON.parse(run.out).error.message,
        /021_x\.sql:2': its '-- migrate:up' section has the statement 'COMMIT'/,
      );
    });
  });
});

Deno.test("--json turns a usage error into one document on stdout, with exit code 2", async () => {
  const run = await cli(["status", "--json", "--to", "3"], Deno.cwd());
  assert.deepEqual(run, {
    code: 2,
    out: JSON.stringify(
      {
        error: {
          code: "USAGE",
          message: "--to is only for migrate, plan and rollback, not status",
        },
      },
      null,
      2,
    ),
    err: "",
  });
  const missing = await cli(
    ["status", "--db", join(tmpdir(), "no-such-pml-db"), "--json"],
    Deno.cwd(),
  );
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.out).error.code, "DB_NOT_FOUND");
});

Deno.test("new writes the next migration with empty sections, refuses a bad name and never overwrites", async () => {
  await withProject({ [NOTES]: NOTES_SQL }, async (cwd) => {
    const run = await cli(["new", "add_tags", "--migrations", "migrations"], cwd);
    const path = join(cwd, "migrations", `${pad(next + 1)}_add_tags.sql`);
    assert.deepEqual(run, { code: 0, out: path, err: "" });
    assert.equal(await readFile(path, "utf8"), "-- migrate:up\n\n\n-- migrate:down\n\n");
    const bad = await cli(["new", "Add Tags", "--migrations", "migrations"], cwd);
    assert.equal(bad.code, 2);
    assert.ok(bad.err.startsWith(
      "error: NAME must be snake_case (lower-case letters and digits joined by _), found 'Add Tags'; try add_tags\n",
    ));
    // A directory in the way of the next file name: new fails rather than replace it.
    await mkdir(join(cwd, "migrations", `${pad(next + 2)}_add_more.sql`));
    const taken = await cli(["new", "add_more", "--migrations", "migrations"], cwd);
    assert.equal(taken.code, 1);
    assert.match(taken.err, /^error: Cannot create '.*_add_more\.sql': the file exists already/);
    const fresh = await cli(["new", "first", "--migrations", "new_dir"], cwd);
    assert.deepEqual(fresh.out, join(cwd, "new_dir", `${pad(next)}_first.sql`));
  });
});

Deno.test("a code migration without a checksum is applied, and status, verify and --json say it is unchecked", async () => {
  const code = `${pad(next)}_fill_notes.ts`;
  const source = "export default {\n" +
    '  up: async (db) => { await db.exec("CREATE TABLE filled (id INT)"); },\n' +
    '  down: "DROP TABLE filled;",\n' +
    "};\n";
  await withProject({ [code]: source }, async (cwd) => {
    const dirFlag = ["--migrations", "migrations"];
    const run = await cli(["migrate", "--db", "db", ...dirFlag], cwd);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`^${pad(next)} +fill_notes +applied \\(unchecked\\) `, "m"));
    const verify = await cli(["verify", "--db", "db", ...dirFlag], cwd);
    assert.deepEqual(verify, {
      code: 0,
      out: "OK: the applied migrations match the code.\n" +
        `note: migration ${next} (fill_notes) is code without a declared checksum: an edit to it ` +
        "cannot be detected",
      err: "",
    });
    const json = await cli(["status", "--db", "db", "--json", ...dirFlag], cwd);
    const last = JSON.parse(json.out).migrations.at(-1);
    assert.equal(last.checksum, "unchecked");
    assert.equal(last.unchecked, true);
  });
});
