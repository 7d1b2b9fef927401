/**
 * `schema`: print the canonical schema, the text the golden snapshot holds.
 *
 * @module
 */
import { formatSchemaSnapshot, readSchemaSnapshot } from "../../db/schema/schema_snapshot.ts";
import type { CliCommand } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { openCliDatabase } from "./_database.ts";

/** The `schema` command. */
export const SCHEMA_COMMAND: CliCommand = {
  name: "schema",
  summary: "print the canonical schema (extensions, tables, columns, constraints, indexes, " +
    "triggers, sequences, views, functions, types)",
  flags: [DB_FLAG, WAIT_FLAG],
  async run(context) {
    await using db = await openCliDatabase(context, { create: false });
    context.io.out(formatSchemaSnapshot(await readSchemaSnapshot(db)).trimEnd());
    return 0;
  },
};
