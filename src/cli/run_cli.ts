/**
 * The `pml-store` command line: migrate an embedded database and report its state. A thin layer over the
 * library: it parses arguments against the command table (`commands.ts`), runs the command, and turns
 * what fails into one line with the error's code and a hint, and an exit code.
 *
 * @module
 */
import { COMMANDS } from "./commands.ts";
import { type CliIo, UsageError } from "./cli_command.ts";
import { hintFor } from "./advice.ts";
import { errorJson, formatJson } from "./json_output.ts";
import { parseCommandLine } from "./parse_command_line.ts";
import { formatUsage } from "./usage.ts";

export type { CliIo } from "./cli_command.ts";
export { DEFAULT_DB_DIR, WAIT_MS } from "./database_flags.ts";

/** Exit code for bad usage (unknown command or flag, bad value). */
export const EXIT_USAGE = 2;

/** The usage text, generated from the command table. */
export const USAGE: string = formatUsage(
  "deno task migrate",
  COMMANDS,
  "Only migrate creates a database; the other commands refuse a path that holds none.",
);

/**
 * Runs the CLI with `args` (without the program name) and resolves to the exit code: 0 on success (and
 * for `--help`, which prints the usage on stdout), 1 on a failure (`error: [CODE] …` on stderr, then
 * `hint: …` when the CLI has advice for that code), 2 on bad usage (the reason and the usage on stderr).
 * With `--json` anywhere on the command line, a failure is instead one document on stdout,
 * `{ "error": { "code", "message" } }` (`code` is `USAGE` for bad usage), with the same exit code.
 *
 * @example Migrating an in-memory database
 * ```ts
 * import { runCli } from "./run_cli.ts";
 * import { migrations } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: () => undefined, cwd: "." };
 * assert.equal(await runCli(["migrate", "--db", ":memory:"], io), 0);
 * assert.ok(lines.includes(`Applied ${migrations.length} migration(s); now at version ${migrations.at(-1)!.version}.`));
 * assert.equal(await runCli(["frobnicate"], io), 2);
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    const invocation = parseCommandLine(COMMANDS, args, io);
    if (invocation.help) {
      io.out(USAGE);
      return 0;
    }
    return await invocation.command.run(invocation.context);
  } catch (error) {
    // A caller that asked for JSON reads stdout only: the failure is its one document there.
    if (args.includes("--json")) {
      io.out(formatJson(errorJson(error)));
      return error instanceof UsageError ? EXIT_USAGE : 1;
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      io.err(USAGE);
      return EXIT_USAGE;
    }
    io.err(`error: ${oneLine(error)}`);
    const hint = hintFor(error);
    if (hint !== undefined) io.err(`hint: ${hint}`);
    return 1;
  }
}

/** One line for any failure, prefixed with its stable code when it has one: `[DB_LOCKED] Cannot …`. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const prefix = typeof code === "string" && /^[A-Z_]+$/.test(code) ? `[${code}] ` : "";
  return `${prefix}${message.replace(/\s*\n\s*/g, " ")}`;
}
