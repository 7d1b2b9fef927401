/**
 * What a CLI command is: a name, a summary, the flags it accepts and what it runs. The command table
 * (`commands.ts`) lists one {@linkcode CliCommand} per command; parsing and the usage text are derived
 * from it, so adding a command is its file and one row.
 *
 * @module
 */

/** Where the CLI writes and what it reads from its environment; injected so tests run it in-process. */
export interface CliIo {
  /** Writes one line of normal output. */
  out(line: string): void;
  /** Writes one line of diagnostics. */
  err(line: string): void;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** The working directory, against which the default database path is resolved. */
  cwd: string;
  /** Resolves when `serve` should stop (the process's SIGINT/SIGTERM); `serve` needs it. */
  stopped?: Promise<void>;
}

/**
 * A flag, `--name` or `--name VALUE`. `read` turns what the command line gave (`undefined` when the flag
 * is absent, `true` for a switch that is present, else the value) into what the command reads, applying
 * the default and throwing {@linkcode UsageError} for a bad value.
 */
export interface CliFlag<T = unknown> {
  /** The long name without dashes: `port` for `--port`. */
  readonly name: string;
  /** The value's placeholder in the usage (`N`, `PATH`); absent for a switch, which takes no value. */
  readonly value?: string;
  /** One sentence for the usage text; it is wrapped there. */
  readonly description: string;
  /** Whether the command refuses to run without it ("rollback needs --to N"). */
  readonly required?: boolean;
  /** The flag's value as the command reads it; throws {@linkcode UsageError} for a bad one. */
  readonly read: (given: string | true | undefined, io: CliIo) => T;
}

/** What a command's `run` gets: the CLI's io and its flags' values. */
export interface CommandContext {
  /** Where to print, the environment and the working directory. */
  readonly io: CliIo;
  /** The value of one of the command's own flags, as the flag's `read` made it. */
  get<T>(flag: CliFlag<T>): T;
  /** The command's positional argument (`add_notes` of `new add_notes`), for a command that takes one. */
  readonly argument?: string;
}

/** One row of the command table. */
export interface CliCommand {
  /** The command's name, the first positional argument (`migrate`). */
  readonly name: string;
  /** What it does, for the usage text; wrapped there. */
  readonly summary: string;
  /**
   * The placeholder of the one positional argument it requires (`NAME` of `new NAME`), if any; any other
   * positional argument is a usage error.
   */
  readonly argument?: string;
  /**
   * Every flag it accepts, in the order the usage shows them; any other flag is a usage error. Flags are
   * told apart by name: a command may list its own copy of a shared flag, such as one it requires
   * (`{ ...MIGRATIONS_FLAG, required: true }`), and reads it with that copy.
   */
  readonly flags: readonly CliFlag[];
  /**
   * Runs the command and resolves to its exit code (0 ok, 1 failure). It throws {@linkcode UsageError}
   * for arguments that are wrong together (exit 2), and any other error for a failure, which the CLI
   * prints as one line with its code and a hint (exit 1).
   */
  run(context: CommandContext): Promise<number>;
}

/** Bad usage: the CLI prints `error: <message>` and the usage text, and exits with 2. */
export class UsageError extends Error {
  /** Creates the error; `message` completes "error: …". */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A flag that takes a value, such as `--to N`; `read` gets the value, or `undefined` when it is absent.
 *
 * @example Usage
 * ```ts
 * import { UsageError, valueFlag } from "./cli_command.ts";
 * import assert from "node:assert/strict";
 *
 * const level = valueFlag({
 *   name: "level",
 *   value: "N",
 *   description: "how much",
 *   read: (given = "1") => {
 *     if (!/^[1-9]$/.test(given)) throw new UsageError(`--level must be 1–9, found '${given}'`);
 *     return Number(given);
 *   },
 * });
 * const io = { out() {}, err() {}, env: () => undefined, cwd: "." };
 * assert.equal(level.read(undefined, io), 1);
 * assert.throws(() => level.read("0", io), UsageError);
 * ```
 */
export function valueFlag<T>(
  flag: Omit<CliFlag<T>, "read"> & {
    value: string;
    read: (given: string | undefined, io: CliIo) => T;
  },
): CliFlag<T> {
  return { ...flag, read: (given, io) => flag.read(given === true ? undefined : given, io) };
}

/** A switch, such as `--wait`: `true` when given, else `false`. */
export function switchFlag(name: string, description: string): CliFlag<boolean> {
  return { name, description, read: (given) => given !== undefined };
}
