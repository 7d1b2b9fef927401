/**
 * Parsing the command line against the command table: which command, and the values of its flags. Every
 * rule comes from the table: the flags a command accepts, which of them take a value, which are required,
 * and each flag's own check of its value.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type CliCommand,
  type CliFlag,
  type CliIo,
  type CommandContext,
  UsageError,
} from "./cli_command.ts";

/** A parsed command line: `--help`, or a command with its context. */
export type Invocation =
  | { readonly help: true }
  | { readonly help: false; readonly command: CliCommand; readonly context: CommandContext };

/**
 * Parses `args` (without the program name) for one of `commands`.
 *
 * @throws {UsageError} For an unknown command or flag, a flag the command does not accept, a missing
 * required flag or a bad value.
 */
export function parseCommandLine(
  commands: readonly CliCommand[],
  args: readonly string[],
  io: CliIo,
): Invocation {
  const flags = new Map(commands.flatMap((command) => command.flags.map((f) => [f.name, f])));
  const given = parseFlags(flags, args);
  if (given.values.help === true) return { help: true };
  const { command, argument } = findCommand(commands, given.positionals);
  for (const name of Object.keys(given.values)) {
    if (!command.flags.some((flag) => flag.name === name)) {
      const owners = commands.filter((c) => c.flags.some((flag) => flag.name === name));
      throw new UsageError(
        `--${name} is only for ${listWords(owners.map((c) => c.name))}, not ${command.name}`,
      );
    }
  }
  for (const flag of command.flags) {
    if (flag.required === true && given.values[flag.name] === undefined) {
      throw new UsageError(`${command.name} needs ${synopsis(flag)}`);
    }
  }
  const values = new Map<CliFlag, unknown>();
  for (const flag of command.flags) values.set(flag, flag.read(given.values[flag.name], io));
  const context: CommandContext = {
    io,
    get: <T>(flag: CliFlag<T>) => values.get(flag) as T,
    ...(argument === undefined ? {} : { argument }),
  };
  return { help: false, command, context };
}

/** `a`, `a and b`, `a, b and c`. */
export function listWords(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** `--to N` for a flag that takes a value, `--wait` for a switch. */
export function synopsis(flag: CliFlag): string {
  return flag.value === undefined ? `--${flag.name}` : `--${flag.name} ${flag.value}`;
}

function parseFlags(flags: ReadonlyMap<string, CliFlag>, args: readonly string[]) {
  const options = Object.fromEntries(
    [...flags.values()].map((flag) => [
      flag.name,
      { type: flag.value === undefined ? "boolean" as const : "string" as const },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: joinValues(flags, args),
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
    return { values: values as Record<string, string | true | undefined>, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--to -1` would read as an unknown flag `-1`: the word after a flag that takes a value is its value. */
function joinValues(flags: ReadonlyMap<string, CliFlag>, args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const flag = arg.startsWith("--") ? flags.get(arg.slice(2)) : undefined;
    if (flag?.value !== undefined && i + 1 < args.length) {
      joined.push(`${arg}=${args[i + 1]}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

function findCommand(
  commands: readonly CliCommand[],
  positionals: readonly string[],
): { command: CliCommand; argument?: string } {
  const [name = commands[0]?.name, ...rest] = positionals;
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const names = commands.map((c) => c.name).join(", ");
    throw new UsageError(`unknown command '${name}', expected one of ${names}`);
  }
  if (command.argument === undefined) {
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    return { command };
  }
  const [argument, ...extra] = rest;
  if (argument === undefined) throw new UsageError(`${command.name} needs ${command.argument}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  return { command, argument };
}
