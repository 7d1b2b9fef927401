/**
 * `verify`: check the applied migrations against the code; each problem is one line on stderr.
 *
 * @module
 */
import { verify } from "../../db/migrate/migration_status.ts";
import type { CliCommand } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG } from "../migration_flags.ts";
import { formatJson } from "../json_output.ts";
import { openCliDatabase } from "./_database.ts";
import { cliMigrations, readStatusJson } from "./_migrations.ts";

/** The `verify` command: exit 0 when the history matches the code, else 1. */
export const VERIFY_COMMAND: CliCommand = {
  name: "verify",
  summary: "check applied migrations against the code (checksums, unknown versions)",
  flags: [DB_FLAG, WAIT_FLAG, MIGRATIONS_FLAG, JSON_FLAG],
  async run(context) {
    const list = await cliMigrations(context);
    await using db = await openCliDatabase(context, { create: false });
    const result = await verify(db, { migrations: list });
    if (context.get(JSON_FLAG)) {
      const { migrations } = await readStatusJson(db, list);
      context.io.out(formatJson({ database: context.get(DB_FLAG), ...result, migrations }));
      return result.ok ? 0 : 1;
    }
    if (result.ok) {
      context.io.out("OK: the applied migrations match the code.");
      for (const { version, name } of result.unchecked ?? []) {
        context.io.out(
          `note: migration ${version} (${name}) is code without a declared checksum: an edit to it ` +
            "cannot be detected",
        );
      }
      return 0;
    }
    for (const problem of result.problems) context.io.err(`error: ${problem.message}`);
    return 1;
  },
};
