import assert from "node:assert/strict";
import { USAGE } from "../../src/cli/run_cli.ts";
import { COMMANDS } from "../../src/cli/commands.ts";

Deno.test("USAGE is generated from the command table: every command, then every flag", () => {
  const commands = USAGE.slice(USAGE.indexOf("Commands:\n"), USAGE.indexOf("\n\nOptions:"));
  const names = [...commands.matchAll(/^ {2}(\S+)/gm)].map((match) => match[1]);
  assert.deepEqual(names, COMMANDS.map((command) => command.name));
  assert.match(
    USAGE,
    /^Usage: deno task migrate \[command\] \[--db PATH\] \[--wait\] \[--migrations DIR\] \[--json\]$/m,
  );
  assert.match(USAGE, /^ {2}migrate \[--to N\] +apply pending migrations/m);
  assert.match(USAGE, /^ {2}new NAME --migrations DIR write DIR\/NNN_name\.sql/m);
  assert.match(USAGE, /^ {2}--db PATH +all but new: /m);
  assert.match(USAGE, /^ {2}--json +all but schema, serve and new: /m);
  assert.match(USAGE, /^ {2}--to N +migrate, plan and rollback only: /m);
  assert.match(USAGE, /^ {2}rollback --to N +revert applied migrations above version N/m);
  assert.match(USAGE, /^ {2}serve \[--port N\] +serve the embedded database/m);
  const options = USAGE.slice(USAGE.indexOf("Options:\n"));
  const flags = [...options.matchAll(/^ {2}(-[^\s,]+(?:, --\S+)?(?: [A-Z]+)?)/gm)].map((m) => m[1]);
  assert.deepEqual(flags, [
    "--db PATH",
    "--wait",
    "--migrations DIR",
    "--json",
    "--to N",
    "--port N",
    "-h, --help",
  ]);
  assert.match(USAGE, /^ {2}--port N +serve only: /m);
  for (const line of USAGE.split("\n")) assert.ok(line.length <= 100, line);
});
