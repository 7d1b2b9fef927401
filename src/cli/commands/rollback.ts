/**
 * `rollback --to N`: revert the applied migrations above version N, newest first.
 *
 * @module
 */
import { rollback } from "../../db/migrate/migrator.ts";
import type { CliCommand, CliFlag } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG, TO_FLAG } from "../migration_flags.ts";
import { formatResult } from "../format.ts";
import { openCliDatabase, sayWaiting } from "./_database.ts";
import { cliMigrations, reportRun } from "./_migrations.ts";

/** `--to N`, which rollback requires. */
const ROLLBACK_TO_FLAG = { ...TO_FLAG, required: true } as CliFlag<number>;

/** The `rollback` command. */
export const ROLLBACK_COMMAND: CliCommand = {
  name: "rollback",
  summary: "revert applied migrations above version N (0 reverts everything)",
  flags: [ROLLBACK_TO_FLAG, DB_FLAG, WAIT_FLAG, MIGRATIONS_FLAG, JSON_FLAG],
  async run(context) {
    const { io } = context;
    const json = context.get(JSON_FLAG);
    const list = await cliMigrations(context);
    await using db = await openCliDatabase(context, { create: false });
    const run = await rollback(db, {
      to: context.get(ROLLBACK_TO_FLAG),
      migrations: list,
      onResult: (result) => (json ? io.err : io.out)(formatResult(result)),
      onWait: sayWaiting(io),
    });
    return await reportRun(
      context,
      db,
      list,
      run,
      (count, version) => `Rolled back ${count} migration(s); now at version ${version}.`,
    );
  },
};
