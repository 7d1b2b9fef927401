/**
 * `status`: list applied and pending migrations.
 *
 * @module
 */
import { status } from "../../db/migrate/migration_status.ts";
import type { CliCommand } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG } from "../migration_flags.ts";
import { formatStatusTable } from "../format.ts";
import { formatJson } from "../json_output.ts";
import { databaseLine, openCliDatabase } from "./_database.ts";
import { cliMigrations, readStatusJson } from "./_migrations.ts";

/** The `status` command. */
export const STATUS_COMMAND: CliCommand = {
  name: "status",
  summary: "list applied and pending migrations",
  flags: [DB_FLAG, WAIT_FLAG, MIGRATIONS_FLAG, JSON_FLAG],
  async run(context) {
    const list = await cliMigrations(context);
    await using db = await openCliDatabase(context, { create: false });
    if (context.get(JSON_FLAG)) {
      const document = { database: context.get(DB_FLAG), ...await readStatusJson(db, list) };
      context.io.out(formatJson(document));
      return 0;
    }
    context.io.out(databaseLine(context.get(DB_FLAG)));
    context.io.out(formatStatusTable(await status(db, { migrations: list })));
    return 0;
  },
};
