/**
 * The `pml-store` command line: migrate an embedded database and report its state. A thin layer over the
 * library: it parses arguments, calls the runner, formats what it returns and chooses the exit code.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import type { DbClient } from "../db/client/db_client.ts";
import { MEMORY_PATH, openPglite } from "../db/client/pglite_client.ts";
import { serveDatabase } from "../db/embedded/serve_database.ts";
import { openDatabase } from "../db/open_database.ts";
import { describePostgresUrl, isPostgresUrl } from "../db/client/postgres_client.ts";
import { migrate, rollback } from "../db/migrate/migrator.ts";
import type { MigrationResult } from "../db/migrate/migration.ts";
import { status, verify } from "../db/migrate/migration_status.ts";
import { formatSchemaSnapshot, readSchemaSnapshot } from "../db/schema/schema_snapshot.ts";
import { countLiveWorkflowDags, moveWorkflowDagsToKv } from "../upgrade/move_workflow_dags.ts";
import { closeKv, getKv, resolveKvPath } from "../cache/kv.ts";
import { formatResult, formatStatusTable } from "./_format.ts";

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
 * The database used when neither `--db` nor `PML_DB_PATH` is given, relative to the working directory.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_DB_DIR } from "./run_cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(DEFAULT_DB_DIR, /^\.pml[\\/]db$/);
 * ```
 */
export const DEFAULT_DB_DIR: string = join(".pml", "db");

/** How long `--wait` waits for the data directory's lock, in milliseconds. */
export const WAIT_MS = 60_000;

/** Exit code for bad usage (unknown command or flag, bad value). */
export const EXIT_USAGE = 2;

/** The usage text. */
export const USAGE = `Usage: deno task migrate [command] [--db PATH]

Commands:
  migrate          apply pending migrations, then print the status (default); before 019,
                   live workflow_dags rows are moved into Deno KV ($PML_KV_PATH, else .pml/kv.db)
  status           list applied and pending migrations
  verify           check applied migrations against the code (checksums, unknown versions)
  rollback --to N  revert applied migrations above version N (0 reverts everything)
  schema           print the canonical schema (extensions, tables, columns, constraints, indexes,
                   triggers, sequences, views, functions, types)
  serve [--port N] serve the embedded database over the PostgreSQL wire protocol on 127.0.0.1
                   (default port 5432, 0 picks a free one) until interrupted, holding its lock

Options:
  --db PATH        data directory, memory://, or a server postgres://user:pass@host:port/db
                   (default: $PML_DB_PATH, else ${DEFAULT_DB_DIR})
  --wait           wait up to ${WAIT_MS / 1000} s for another process that has the database open,
                   instead of failing at once with DB_LOCKED
  -h, --help       show this help

Only migrate creates a database; the other commands refuse a path that holds none.`;

class UsageError extends Error {}

const COMMANDS = ["migrate", "status", "verify", "rollback", "schema", "serve"] as const;
type Command = (typeof COMMANDS)[number];

/**
 * Runs the CLI with `args` (without the program name) and resolves to the exit code: 0 on success (and
 * for `--help`, which prints the usage on stdout), 1 on a failure (one line on stderr), 2 on bad usage
 * (the reason and the usage on stderr).
 *
 * @example Migrating an in-memory database
 * ```ts
 * import { runCli } from "./run_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: () => undefined, cwd: "." };
 * assert.equal(await runCli(["migrate", "--db", "memory://"], io), 0);
 * assert.ok(lines.some((l) => l.includes("Applied 18 migration(s)")));
 * assert.equal(await runCli(["frobnicate"], io), 2);
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message === "") {
      io.out(USAGE);
      return 0;
    }
    io.err(`error: ${error.message}`);
    io.err(USAGE);
    return EXIT_USAGE;
  }
  if (parsed.command === "serve") return await serve(parsed, io);
  try {
    // Only `migrate` creates a database: the other commands on a mistyped path would otherwise report an
    // empty database that they had just created.
    await using db = await openDatabase({
      path: parsed.dbPath,
      create: parsed.command === "migrate",
      lockTimeoutMs: parsed.wait ? WAIT_MS : 0,
    });
    return await execute(parsed.command, db, parsed, io);
  } catch (error) {
    io.err(`error: ${oneLine(error)}`);
    return 1;
  }
}

interface ParsedCommandLine {
  command: Command;
  dbPath: string;
  wait: boolean;
  to?: number;
  port?: number;
}

/** `--to -1` would read as an unknown flag `-1`: the value after a flag that takes one is always its value. */
function joinValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (VALUE_FLAGS.has(arg) && i + 1 < args.length) {
      joined.push(`${arg}=${args[i + 1]}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

const VALUE_FLAGS = new Set(["--to", "--port", "--db"]);

function parseCommandLine(args: readonly string[], io: CliIo): ParsedCommandLine {
  let values: { db?: string; to?: string; help?: boolean; wait?: boolean; port?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: joinValues(args),
      allowPositionals: true,
      strict: true,
      options: {
        db: { type: "string" },
        to: { type: "string" },
        help: { type: "boolean", short: "h" },
        wait: { type: "boolean" },
        port: { type: "string" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError("");
  const [name = "migrate", ...extra] = positionals;
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown command '${name}', expected one of ${COMMANDS.join(", ")}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const command = name as Command;
  if ((command === "rollback") !== (values.to !== undefined)) {
    throw new UsageError(
      command === "rollback"
        ? "rollback needs --to N"
        : `--to is only for rollback, not ${command}`,
    );
  }
  const dbPath = values.db ?? io.env("PML_DB_PATH") ?? DEFAULT_DB_DIR;
  if (dbPath.trim() === "") {
    throw new UsageError(
      `${
        values.db === undefined ? "PML_DB_PATH" : "--db"
      } is empty; give a data directory or ${MEMORY_PATH}`,
    );
  }
  const wait = values.wait ?? false;
  if (values.port !== undefined && command !== "serve") {
    throw new UsageError(`--port is only for serve, not ${command}`);
  }
  if (command === "serve") {
    if (isPostgresUrl(dbPath)) {
      throw new UsageError("serve serves an embedded database; --db is a server already");
    }
    const port = values.port ?? "5432";
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new UsageError(`--port must be a port number 0–65535, found '${port}'`);
    }
    const path = dbPath === MEMORY_PATH ? dbPath : resolve(io.cwd, dbPath);
    return { command, dbPath: path, wait, port: Number(port) };
  }
  // URLs are passed through unresolved, so openDatabase() refuses them by name (DB_PATH_INVALID).
  const resolved = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(dbPath) ? dbPath : resolve(io.cwd, dbPath);
  if (values.to === undefined) return { command, dbPath: resolved, wait };
  if (!/^\d+$/.test(values.to) || !Number.isSafeInteger(Number(values.to))) {
    throw new UsageError(`--to must be a non-negative integer version, found '${values.to}'`);
  }
  return { command, dbPath: resolved, wait, to: Number(values.to) };
}

async function execute(
  command: Command,
  db: DbClient,
  options: { dbPath: string; to?: number },
  io: CliIo,
): Promise<number> {
  const show = (result: MigrationResult) => io.out(formatResult(result));
  switch (command) {
    case "migrate": {
      io.out(`Database: ${displayPath(options.dbPath)}`);
      await moveLiveWorkflowState(db, io);
      const { results, error } = await migrate(db, { onResult: show, onWait: waiting(io) });
      if (error !== undefined) throw error;
      const current = await status(db);
      io.out(
        results.length === 0
          ? `Database is up to date at version ${current.currentVersion}; nothing to apply.`
          : `Applied ${results.length} migration(s); now at version ${current.currentVersion}.`,
      );
      io.out(formatStatusTable(current));
      return 0;
    }
    case "status":
      io.out(`Database: ${displayPath(options.dbPath)}`);
      io.out(formatStatusTable(await status(db)));
      return 0;
    case "verify": {
      const result = await verify(db);
      if (result.ok) {
        io.out("OK: the applied migrations match the code.");
        return 0;
      }
      for (const problem of result.problems) io.err(`error: ${problem.message}`);
      return 1;
    }
    case "rollback": {
      const { results, error } = await rollback(db, {
        to: options.to as number,
        onResult: show,
        onWait: waiting(io),
      });
      if (error !== undefined) throw error;
      const current = await status(db);
      io.out(
        `Rolled back ${results.length} migration(s); now at version ${current.currentVersion}.`,
      );
      io.out(formatStatusTable(current));
      return 0;
    }
    case "schema":
      io.out(formatSchemaSnapshot(await readSchemaSnapshot(db)).trimEnd());
      return 0;
    case "serve":
      throw new Error("serve is run by serve(), not execute()");
  }
}

/**
 * Before 019 drops `workflow_dags`, its live rows go into the shared Deno KV (`PML_KV_PATH`), which is
 * opened only when there is something to move and closed again afterwards.
 */
async function moveLiveWorkflowState(db: DbClient, io: CliIo): Promise<void> {
  if (await countLiveWorkflowDags(db) === 0) return;
  try {
    const { moved } = await moveWorkflowDagsToKv(db, { kv: await getKv() });
    io.out(
      `Moved ${moved} live workflow_dags row(s) into the Deno KV workflow state ` +
        `(${resolveKvPath()}) before 019 drops the table.`,
    );
  } finally {
    await closeKv();
  }
}

/** `serve`: the embedded database on 127.0.0.1 until `io.stopped` resolves, its lock held throughout. */
async function serve(parsed: ParsedCommandLine, io: CliIo): Promise<number> {
  if (io.stopped === undefined) throw new Error("serve needs io.stopped");
  try {
    await using pg = await openPglite(parsed.dbPath, {
      create: parsed.dbPath === MEMORY_PATH,
      lockTimeoutMs: parsed.wait ? WAIT_MS : 0,
    });
    const server = await serveDatabase(pg, { port: parsed.port ?? 5432 });
    try {
      io.out(`Serving ${parsed.dbPath} at ${server.url} until interrupted (Ctrl-C).`);
      io.out(`  psql "${server.url}"`);
      await io.stopped;
    } finally {
      await server.close();
    }
    io.out("Stopped.");
    return 0;
  } catch (error) {
    io.err(`error: ${oneLine(error)}`);
    return 1;
  }
}

/** A server URL is shown without its password. */
function displayPath(path: string): string {
  return isPostgresUrl(path) ? `PostgreSQL at ${describePostgresUrl(path)}` : path;
}

function waiting(io: CliIo): (holder: { pid: number | null }) => void {
  return ({ pid }) =>
    io.err(
      `waiting for another migrator${pid === null ? "" : ` (pid ${pid})`} to finish (up to 60 s) …`,
    );
}

/** One line for any failure, prefixed with its stable code when it has one: `[DB_LOCKED] Cannot …`. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const prefix = typeof code === "string" && /^[A-Z_]+$/.test(code) ? `[${code}] ` : "";
  return `${prefix}${message.replace(/\s*\n\s*/g, " ")}`;
}
