import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliIo, runCli, USAGE } from "../../src/cli/run_cli.ts";
import { readGoldenSchema } from "../../fixtures/schema_golden.ts";
import { openDatabase } from "../../src/db/open_database.ts";
import { installKv } from "../../fixtures/kv_fixture.ts";
import { WorkflowStateCache } from "../../src/cache/workflow_state_cache.ts";
import { migrations } from "../../src/db/schema/migrations.ts";

// Counts and versions come from the registry, so a new migration changes no line here.
const count = migrations.length;
const latest = migrations.at(-1)!.version;
const previous = migrations.at(-2)!;
const last = migrations.at(-1)!;
const pad = (version: number) => String(version).padStart(3, "0");

/** Runs the CLI in-process and captures what it prints. */
async function cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: (name) => options.env?.[name],
    cwd: options.cwd ?? Deno.cwd(),
  };
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const appliedLines = (text: string) =>
  text.split("\n").filter((l) => /^ {2}applied \d{3} /.test(l));

Deno.test("the CLI migrates a data directory, then finds it up to date", async (t) => {
  const cwd = await Deno.makeTempDir();
  try {
    await t.step(
      "first run applies every migration into .pml/db of the working directory",
      async () => {
        const run = await cli([], { cwd });
        assert.equal(run.err, "");
        assert.equal(run.code, 0);
        assert.ok(run.out.startsWith(`Database: ${join(cwd, ".pml", "db")}\n`));
        assert.equal(appliedLines(run.out).length, count);
        assert.match(run.out, /^ {2}applied 001 initial_schema \(\d+(\.\d)? ms\)$/m);
        assert.match(
          run.out,
          /^ {2}applied 019 db_schema_cleanup \(.* ms\) — moved 0 audit row\(s\) to permission_audit_log_quarantine; merged 0 mcp_tool row\(s\) into tool_schema; kept 0 tool_dependency\.source value\(s\) in tool_dependency_source_kept; dropped 0 workflow_dags, 0 mcp_tool \(already in tool_schema\) and 0 mcp_server row\(s\)$/m,
        );
        assert.ok(
          run.out.includes(`\nApplied ${count} migration(s); now at version ${latest}.\n`),
          run.out,
        );
        assert.ok(run.out.includes(`\n${count} applied, 0 pending`), run.out);
        const entries = [];
        for await (const entry of Deno.readDir(join(cwd, ".pml", "db"))) entries.push(entry.name);
        assert.ok(entries.includes("PG_VERSION"));
      },
    );

    await t.step("second run applies nothing and says the database is up to date", async () => {
      const run = await cli(["migrate"], { cwd });
      assert.equal(run.code, 0);
      assert.deepEqual(appliedLines(run.out), []);
      assert.ok(
        run.out.includes(`\nDatabase is up to date at version ${latest}; nothing to apply.\n`),
        run.out,
      );
    });

    await t.step("status lists every migration as applied", async () => {
      const run = await cli(["status"], { cwd });
      assert.equal(run.code, 0);
      assert.match(run.out, /^VERSION +NAME +STATE +APPLIED AT$/m);
      assert.match(run.out, /^019 +db_schema_cleanup +applied +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
      assert.doesNotMatch(run.out, /^005 /m);
      assert.ok(run.out.includes(`\n${count} applied, 0 pending`), run.out);
    });

    await t.step(
      "rollback --to the previous version reverts the last, and migrate applies it again",
      async () => {
        const back = await cli(["rollback", "--to", String(previous.version)], { cwd });
        assert.equal(back.code, 0);
        const name = `${pad(last.version)} ${last.name}`;
        assert.match(back.out, new RegExp(`^ {2}rolled back ${name} \\(.* ms\\)$`, "m"));
        assert.match(back.out, new RegExp(`^${pad(last.version)} +${last.name} +pending$`, "m"));
        assert.ok(back.out.includes(`\n${count - 1} applied, 1 pending`), back.out);
        const again = await cli(["migrate"], { cwd });
        assert.equal(again.code, 0);
        assert.deepEqual(appliedLines(again.out).map((l) => l.split(" (")[0]), [
          `  applied ${name}`,
        ]);
      },
    );

    await t.step(
      "before 019, migrate moves live workflow_dags rows into Deno KV and 019 drops the expired one",
      async () => {
        assert.equal((await cli(["rollback", "--to", "18"], { cwd })).code, 0);
        {
          await using db = await openDatabase({ path: join(cwd, ".pml", "db") });
          await db.query(
            "INSERT INTO workflow_dags (workflow_id, dag, intent, expires_at) VALUES " +
              "('wf-live', '{\"tasks\": []}', 'read the logs', NOW() + interval '30 minutes'), " +
              "('wf-old', '{\"tasks\": []}', NULL, NOW() - interval '1 minute')",
          );
        }
        using kv = await Deno.openKv(":memory:");
        using _kv = installKv(kv);
        const run = await cli(["migrate"], { cwd });
        assert.equal(run.err, "");
        assert.equal(run.code, 0);
        assert.match(
          run.out,
          /^Moved 1 live workflow_dags row\(s\) into the Deno KV workflow state \(.+\) before 019 drops the table\.$/m,
        );
        assert.match(run.out, /dropped 1 workflow_dags, 0 mcp_tool/);
        const state = await new WorkflowStateCache({ kv }).getRecord("wf-live");
        assert.equal(state?.intent, "read the logs");
        assert.deepEqual(state?.dag, { tasks: [] });
        const remainingMs = state!.expires_at.getTime() - Date.now();
        assert.ok(
          remainingMs > 25 * 60_000 && remainingMs <= 30 * 60_000,
          `${remainingMs} ms left`,
        );
        const again = await cli(["migrate"], { cwd });
        assert.doesNotMatch(again.out, /^Moved /m);
      },
    );

    await t.step(
      "schema prints the canonical schema, the same as the golden snapshot",
      async () => {
        const run = await cli(["schema"], { cwd });
        assert.equal(run.code, 0);
        assert.equal(`${run.out}\n`, await readGoldenSchema());
      },
    );

    await t.step("verify finds the history consistent", async () => {
      const run = await cli(["verify"], { cwd });
      assert.deepEqual(run, {
        code: 0,
        out: "OK: the applied migrations match the code.",
        err: "",
      });
    });

    await t.step("verify and migrate refuse a database whose applied SQL changed", async () => {
      {
        await using db = await openDatabase({ path: join(cwd, ".pml", "db") });
        await db.query("UPDATE migrations_history SET checksum = 'edited' WHERE version = 18");
      }
      const check = await cli(["verify"], { cwd });
      assert.equal(check.code, 1);
      assert.match(
        check.err,
        /^error: migration 18 \(permission_audit_log\) was applied with different SQL/,
      );
      const run = await cli(["migrate"], { cwd });
      assert.equal(run.code, 1);
      assert.match(
        run.err,
        /^error: \[MIGRATION_DRIFT\] Cannot apply migrations: migration 18 \(permission_audit_log\)/,
      );
      assert.match(
        run.err,
        /\nhint: `deno task migrate verify` lists every difference between the database and the code$/,
      );
      const status = await cli(["status"], { cwd });
      assert.match(status.out, /^018 +permission_audit_log +drifted /m);
    });

    await t.step(
      "rollback to a version that is not applied fails with one clear line",
      async () => {
        const run = await cli(["rollback", "--to", "5"], { cwd });
        assert.equal(run.code, 1);
        assert.match(
          run.err,
          /^error: \[ROLLBACK_TARGET_INVALID\] Cannot roll back to version 5: it is not applied \(applied: 1, 2,/,
        );
        assert.equal(run.err.split("\n").length, 1);
      },
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the CLI takes the database from --db, then PML_DB_PATH", async () => {
  const run = await cli(["status"], { env: { PML_DB_PATH: "memory://" } });
  assert.equal(run.code, 0);
  assert.match(run.out, /^Database: memory:\/\/$/m);
  assert.ok(run.out.includes(`\n0 applied, ${count} pending`), run.out);
  // --db wins over PML_DB_PATH: the error names the --db path (a file, refused before PGlite starts).
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "file.txt");
    await Deno.writeTextFile(file, "");
    const wins = await cli(["status", "--db", file], { env: { PML_DB_PATH: "memory://" } });
    assert.equal(wins.code, 1);
    assert.match(
      wins.err,
      new RegExp(`^error: \\[DB_OPEN_FAILED\\] Cannot open database at '${file}'`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI rejects bad usage with the usage text and exit code 2", async () => {
  const cases: [string[], string][] = [
    [
      ["frobnicate"],
      "error: unknown command 'frobnicate', expected one of migrate, plan, status, verify, rollback, schema, serve, new",
    ],
    [["status", "--port", "1"], "error: --port is only for serve, not status"],
    [["serve", "--port", "70000"], "error: --port must be a port number 0–65535, found '70000'"],
    [["serve", "--port", "-1"], "error: --port must be a port number 0–65535, found '-1'"],
    [
      ["serve", "--db", "postgres://h/db"],
      "error: serve serves an embedded database; --db is a server already",
    ],
    [["status", "--bogus"], "error: Unknown option '--bogus'"],
    [["rollback"], "error: rollback needs --to N"],
    [
      ["rollback", "--to", "abc"],
      "error: --to must be a non-negative integer version, found 'abc'",
    ],
    [
      ["rollback", "--to", "99999999999999999999"],
      "error: --to must be a non-negative integer version, found '99999999999999999999'",
    ],
    [["status", "--to", "3"], "error: --to is only for migrate, plan and rollback, not status"],
    [["status", "extra"], "error: unexpected argument 'extra'"],
    [["serve", "--to", "3"], "error: --to is only for migrate, plan and rollback, not serve"],
    [
      ["schema", "--migrations", "m"],
      "error: --migrations is only for migrate, plan, status, verify, rollback and new, not schema",
    ],
    [["new"], "error: new needs NAME"],
    [["new", "a"], "error: new needs --migrations DIR"],
    [["new", "a", "b", "--migrations", "m"], "error: unexpected argument 'b'"],
    [
      ["new", "a", "--migrations", "m", "--db", "x"],
      "error: --db is only for migrate, plan, status, verify, rollback, schema and serve, not new",
    ],
    [
      ["migrate", "--db", "memory://", "--to", "5"],
      "error: --to 5 is not a version of the migrations; pass one of 1, 2, 3, 4, 6,",
    ],
    [["rollback", "--to", "-1"], "error: --to must be a non-negative integer version, found '-1'"],
    [["status", "--db", ""], "error: --db is empty; give a data directory or memory://"],
    [["--wait=yes"], "error: Option '--wait' does not take an argument"],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.out, "");
    assert.ok(run.err.startsWith(`${message}`), `${args.join(" ")}: ${run.err.split("\n")[0]}`);
    assert.ok(run.err.endsWith(USAGE));
  }
  const empty = await cli(["status"], { env: { PML_DB_PATH: " " } });
  assert.equal(empty.code, 2);
  assert.ok(
    empty.err.startsWith("error: PML_DB_PATH is empty; give a data directory or memory://\n"),
  );
  for (const help of [["--help"], ["-h"], ["status", "--help"]]) {
    assert.deepEqual(await cli(help), { code: 0, out: USAGE, err: "" });
  }
});

const NOT_FOUND_HINT =
  "hint: run `deno task migrate` to create it, or choose another with --db or PML_DB_PATH";

Deno.test("commands other than migrate refuse a database path that does not exist, with the CLI's hint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = join(dir, "typo");
    for (const command of [["status"], ["verify"], ["schema"], ["rollback", "--to", "0"]]) {
      const run = await cli([...command, "--db", missing]);
      assert.equal(run.code, 1);
      const [error, hint, ...more] = run.err.split("\n");
      assert.ok(
        error?.startsWith(
          `error: [DB_NOT_FOUND] Cannot open database at '${missing}': there is no database there `,
        ),
        error,
      );
      assert.doesNotMatch(
        error!,
        /deno task|--db|PML_DB_PATH/,
        "the library's message gives no CLI advice",
      );
      assert.deepEqual([hint, ...more], [NOT_FOUND_HINT]);
    }
    const entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
    assert.deepEqual(entries, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a database another opener holds fails with DB_LOCKED and the hint to pass --wait", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "db");
    await using _holder = await openDatabase({ path });
    const run = await cli(["status", "--db", path]);
    assert.equal(run.code, 1);
    assert.equal(run.out, "");
    const [error, hint, ...more] = run.err.split("\n");
    assert.match(
      error!,
      new RegExp(
        `^error: \\[DB_LOCKED\\] Cannot open database at '${path}': it is locked by this process`,
      ),
    );
    assert.doesNotMatch(error!, /--wait/, "the library's message gives no CLI advice");
    assert.deepEqual([hint, ...more], ["hint: pass --wait to wait up to 60 s for it"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI fails with one line naming a bad database path, then a hint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "file.txt");
    await Deno.writeTextFile(file, "not a database");
    const run = await cli(["migrate", "--db", file]);
    assert.equal(run.code, 1);
    assert.equal(run.out, "");
    assert.equal(
      run.err,
      `error: [DB_OPEN_FAILED] Cannot open database at '${file}': it is a file, expected a data directory ` +
        "(or a path that does not exist yet); choose another path\n" +
        "hint: check the data directory or server URL given by --db or PML_DB_PATH",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server URL that cannot be reached fails with one line that never shows the password", async () => {
  const run = await cli(["status", "--db", "postgres://me:s3cret@127.0.0.1:1/pml"]);
  assert.equal(run.code, 1);
  assert.equal(run.out, "");
  assert.match(
    run.err,
    /^error: \[DB_OPEN_FAILED\] Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/pml as me: the connection was refused \(no server listens there\); check that the/,
  );
  assert.doesNotMatch(run.err, /s3cret/);
  assert.deepEqual(run.err.split("\n").slice(1), [
    "hint: check the data directory or server URL given by --db or PML_DB_PATH",
  ]);
});

Deno.test("`deno task migrate` passes its arguments to the CLI and sets the exit code", async () => {
  const run = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "migrate", ...args],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: output.code, out: text.decode(output.stdout), err: text.decode(output.stderr) };
  };
  const bad = await run("frobnicate");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error: unknown command 'frobnicate'/);
  const help = await run("--help");
  assert.deepEqual(help, { code: 0, out: `${USAGE}\n`, err: "" });
});
