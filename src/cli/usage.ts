/**
 * The usage text, generated from the command table: the commands with their summaries, then every flag
 * with the commands it is for. A flag most commands take is shown once, in the `Usage:` line; each
 * command's row shows its argument, the flags it requires and its flags that few commands take.
 *
 * @module
 */
import type { CliCommand, CliFlag } from "./cli_command.ts";
import { listWords, synopsis } from "./parse_command_line.ts";

const WIDTH = 100;
const HELP = { left: "-h, --help", text: "show this help" };

/** The usage of `program` with `commands`, ending with `note`. */
export function formatUsage(
  program: string,
  commands: readonly CliCommand[],
  note: string,
): string {
  const flags = [...new Map(commands.flatMap((c) => c.flags.map((f) => [f.name, f]))).values()];
  const owners = (flag: CliFlag) =>
    commands.filter((c) => c.flags.some((f) => f.name === flag.name));
  const common = (flag: CliFlag) => owners(flag).length * 2 > commands.length;
  const commandRows = commands.map((command) => ({
    left: [
      command.name,
      ...(command.argument === undefined ? [] : [command.argument]),
      ...command.flags.filter((f) => f.required === true || !common(f)).map(flagUsage),
    ].join(" "),
    text: command.summary,
  }));
  const flagRows = flags.map((flag) => {
    const own = owners(flag).map((c) => c.name);
    const others = commands.map((c) => c.name).filter((name) => !own.includes(name));
    const scope = others.length === 0
      ? ""
      : common(flag)
      ? `all but ${listWords(others)}: `
      : `${listWords(own)} only: `;
    return { left: synopsis(flag), text: `${scope}${flag.description}` };
  });
  const rows = [...commandRows, ...flagRows, HELP];
  const column = Math.max(...rows.map((row) => row.left.length)) + 1;
  const table = (list: typeof rows) => list.map((row) => formatRow(row, column)).join("\n");
  const shared = flags.filter(common).map((flag) => `[${synopsis(flag)}]`);
  return [
    `Usage: ${[program, "[command]", ...shared].join(" ")}`,
    `Commands:\n${table(commandRows)}`,
    `Options:\n${table([...flagRows, HELP])}`,
    note,
  ].join("\n\n");
}

/** `--to N` for a required flag, `[--port N]` for an optional one. */
function flagUsage(flag: CliFlag): string {
  return flag.required === true ? synopsis(flag) : `[${synopsis(flag)}]`;
}

/** `  left   text…`, the text wrapped at {@linkcode WIDTH} and its lines aligned at `column`. */
function formatRow(row: { left: string; text: string }, column: number): string {
  const indent = " ".repeat(2 + column);
  const lines: string[] = [];
  let line = "";
  for (const word of row.text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return `  ${row.left.padEnd(column)}${lines.join(`\n${indent}`)}`;
}
