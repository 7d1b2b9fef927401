/**
 * What the migration commands share: the migrations they work with (pml-store's, then those of
 * `--migrations DIR`), the check of `--to`, the `--json` status document, and the report of a run.
 *
 * @module
 */
import type { DbClient } from "../../db/client/db_client.ts";
import type { Migration } from "../../db/migrate/migration.ts";
import { loadMigrationDirectory } from "../../db/migrate/migration_directory.ts";
import { readHistory } from "../../db/migrate/migration_history.ts";
import { status } from "../../db/migrate/migration_status.ts";
import { migrations } from "../../db/schema/migrations.ts";
import type { MigrateResult } from "../../db/migrate/migrator.ts";
import { type CommandContext, UsageError } from "../cli_command.ts";
import { errorJson, formatJson, statusJson } from "../json_output.ts";
import { formatStatusTable } from "../format.ts";
import { DB_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG } from "../migration_flags.ts";

/**
 * pml-store's migrations, followed by those of `--migrations DIR` when it is given: the directory is
 * read, imported and validated whole here, before any database is opened.
 */
export async function cliMigrations(context: CommandContext): Promise<readonly Migration[]> {
  const dir = context.get(MIGRATIONS_FLAG);
  return dir === undefined ? migrations : await loadMigrationDirectory(dir, { after: migrations });
}

/** `--to N` must name a migration of `list`; a usage error says which versions there are. */
export function checkTarget(list: readonly Migration[], to: number | undefined): void {
  if (to === undefined || list.some((m) => m.version === to)) return;
  throw new UsageError(
    `--to ${to} is not a version of the migrations; pass one of ${
      list.map((m) => m.version).join(", ")
    }`,
  );
}

/** The status of `db` against `list`, as the `--json` documents hold it. */
export async function readStatusJson(
  db: DbClient,
  list: readonly Migration[],
): Promise<Awaited<ReturnType<typeof statusJson>>> {
  return await statusJson(await status(db, { migrations: list }), await readHistory(db), list);
}

/**
 * Reports what `migrate` or `rollback` did: under `--json` one document (the results and the status, or
 * the error and the results) and its exit code; else the error is thrown for the CLI to print, or
 * `summary` of the results and the new current version is printed above the status table.
 */
export async function reportRun(
  context: CommandContext,
  db: DbClient,
  list: readonly Migration[],
  { results, error }: MigrateResult,
  summary: (count: number, currentVersion: number) => string,
): Promise<number> {
  if (context.get(JSON_FLAG)) {
    const document = error === undefined
      ? { database: context.get(DB_FLAG), results, ...await readStatusJson(db, list) }
      : { ...errorJson(error), results };
    context.io.out(formatJson(document));
    return error === undefined ? 0 : 1;
  }
  if (error !== undefined) throw error;
  const current = await status(db, { migrations: list });
  context.io.out(summary(results.length, current.currentVersion));
  context.io.out(formatStatusTable(current));
  return 0;
}
