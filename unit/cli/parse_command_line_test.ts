import assert from "node:assert/strict";
import {
  type CliCommand,
  type CliIo,
  switchFlag,
  UsageError,
  valueFlag,
} from "../../src/cli/cli_command.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { DB_FLAG, WAIT_FLAG } from "../../src/cli/database_flags.ts";
import { parseCommandLine } from "../../src/cli/parse_command_line.ts";
import { formatUsage } from "../../src/cli/usage.ts";

const io: CliIo = { out() {}, err() {}, env: () => undefined, cwd: "/srv" };

const LEVEL = valueFlag({
  name: "level",
  value: "N",
  description: "how much to compact",
  read: (given = "1") => {
    if (!/^[1-9]$/.test(given)) throw new UsageError(`--level must be 1–9, found '${given}'`);
    return Number(given);
  },
});
const DRY_RUN = switchFlag("dry-run", "say what would be done");

/** A command that exists only in this test: one row is all the table needs. */
const COMPACT: CliCommand = {
  name: "compact",
  summary: "compact the database",
  flags: [LEVEL, DRY_RUN, DB_FLAG, WAIT_FLAG],
  run: () => Promise.resolve(0),
};
const TABLE = [...COMMANDS, COMPACT];

function parse(args: string[]) {
  const invocation = parseCommandLine(TABLE, args, io);
  assert.ok(!invocation.help);
  return invocation;
}

Deno.test("parseCommandLine() handles a command added to the table as one row", async (t) => {
  await t.step("its flags are read, with their defaults and the shared --db and --wait", () => {
    const { command, context } = parse(["compact", "--level", "3", "--dry-run", "--db", "data"]);
    assert.equal(command, COMPACT);
    assert.deepEqual(
      [context.get(LEVEL), context.get(DRY_RUN), context.get(DB_FLAG), context.get(WAIT_FLAG)],
      [3, true, "/srv/data", false],
    );
    const defaults = parse(["compact"]).context;
    assert.deepEqual([defaults.get(LEVEL), defaults.get(DRY_RUN)], [1, false]);
  });

  await t.step("its flags are refused on other commands, and other commands' on it", () => {
    assert.throws(() => parse(["status", "--level", "2"]), {
      name: "UsageError",
      message: "--level is only for compact, not status",
    });
    assert.throws(() => parse(["compact", "--to", "2"]), {
      message: "--to is only for migrate, plan and rollback, not compact",
    });
    assert.throws(() => parse(["compact", "--level", "0"]), {
      message: "--level must be 1–9, found '0'",
    });
  });

  await t.step("the usage lists it with its options", () => {
    const usage = formatUsage("pml", TABLE, "");
    assert.match(usage, /^ {2}compact \[--level N\] \[--dry-run\] +compact the database$/m);
    assert.match(usage, /^ {2}--level N +compact only: how much to compact$/m);
    assert.match(usage, /^ {2}--dry-run +compact only: say what would be done$/m);
    assert.match(
      usage,
      /^Usage: pml \[command\] \[--db PATH\] \[--wait\] \[--migrations DIR\] \[--json\]$/m,
    );
  });
});

Deno.test("parseCommandLine() joins a value that looks like a flag to its flag, and defaults to the first command", () => {
  assert.throws(() => parse(["rollback", "--to", "-1"]), {
    message: "--to must be a non-negative integer version, found '-1'",
  });
  assert.equal(parse(["--db", "memory://"]).command, COMMANDS[0]);
  assert.equal(parse(["--db", "memory://"]).context.get(DB_FLAG), "memory://");
  assert.throws(() => parse(["rollback"]), { message: "rollback needs --to N" });
  assert.deepEqual(parseCommandLine(TABLE, ["compact", "-h"], io), { help: true });
});

Deno.test("parseCommandLine() gives a command its one positional argument, and its own copy of a flag", () => {
  const { command, context } = parse(["new", "add_notes", "--migrations", "db/migrations"]);
  assert.equal(command.name, "new");
  assert.equal(context.argument, "add_notes");
  const [own] = command.flags;
  assert.equal(own?.name, "migrations");
  assert.equal(own?.required, true);
  assert.equal(context.get(own!), "/srv/db/migrations");
  assert.equal(parse(["status"]).context.argument, undefined);
  assert.throws(() => parse(["status", "add_notes"]), {
    message: "unexpected argument 'add_notes'",
  });
});
