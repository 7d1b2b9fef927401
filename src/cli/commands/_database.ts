/**
 * What the database commands share: opening the database their flags name, and the lines they print
 * about it.
 *
 * @module
 */
import type { DbClient } from "../../db/client/db_client.ts";
import { describePostgresUrl, isPostgresUrl } from "../../db/client/postgres_client.ts";
import { openDatabase } from "../../db/open_database.ts";
import type { CliIo, CommandContext } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG, WAIT_MS } from "../database_flags.ts";

/**
 * Opens the database of `--db` (or `PML_DB_PATH`), waiting for its lock with `--wait`. Only `migrate`
 * passes `create`: the other commands on a mistyped path would otherwise report an empty database that
 * they had just created.
 */
export async function openCliDatabase(
  context: CommandContext,
  options: { create: boolean },
): Promise<DbClient> {
  return await openDatabase({
    path: context.get(DB_FLAG),
    create: options.create,
    directoryLockTimeoutMs: context.get(WAIT_FLAG) ? WAIT_MS : 0,
  });
}

/** The `Database: …` line; a server URL is shown without its password. */
export function databaseLine(path: string): string {
  return `Database: ${isPostgresUrl(path) ? `PostgreSQL at ${describePostgresUrl(path)}` : path}`;
}

/** The `onWait` of `migrate()` and `rollback()`: says that another migrator holds the migration lock. */
export function sayWaiting(io: CliIo): (holder: { pid: number | null }) => void {
  return ({ pid }) =>
    io.err(
      `waiting for another migrator${pid === null ? "" : ` (pid ${pid})`} to finish (up to 60 s) …`,
    );
}
