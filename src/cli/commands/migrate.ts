/**
 * `migrate` (the default command): apply pending migrations (up to `--to N`), then print the status.
 * 019 moves the live rows of `workflow_dags` into the shared Deno KV as it runs (the move context).
 *
 * @module
 */
import { migrate } from "../../db/migrate/migrator.ts";
import { workflowDagsMoveContext } from "../../upgrade/move_workflow_dags.ts";
import { closeKv, getKv, resolveKvPath } from "../../cache/kv.ts";
import type { CliCommand } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG, TO_FLAG } from "../migration_flags.ts";
import { formatResult } from "../format.ts";
import { databaseLine, openCliDatabase, sayWaiting } from "./_database.ts";
import { checkTarget, cliMigrations, reportRun } from "./_migrations.ts";

/** The `migrate` command, the only one that creates a database. */
export const MIGRATE_COMMAND: CliCommand = {
  name: "migrate",
  summary:
    "apply pending migrations (up to version N with --to), then print the status (default); " +
    "before 019, live workflow_dags rows are moved into Deno KV ($PML_KV_PATH, else .pml/kv.db)",
  flags: [DB_FLAG, WAIT_FLAG, MIGRATIONS_FLAG, JSON_FLAG, TO_FLAG],
  async run(context) {
    const { io } = context;
    const json = context.get(JSON_FLAG);
    // Progress goes to stderr under --json, where stdout holds the one document.
    const progress = json ? io.err : io.out;
    const to = context.get(TO_FLAG);
    const list = await cliMigrations(context);
    checkTarget(list, to);
    await using db = await openCliDatabase(context, { create: true });
    if (!json) io.out(databaseLine(context.get(DB_FLAG)));
    // The shared KV is opened only when 019 finds live rows to move, and closed again afterwards.
    let kvOpened = false;
    const moveContext = workflowDagsMoveContext({
      kv: () => {
        kvOpened = true;
        return getKv();
      },
      onMoved: ({ moved }) =>
        progress(
          `Moved ${moved} live workflow_dags row(s) into the Deno KV workflow state ` +
            `(${resolveKvPath()}) before 019 drops the table.`,
        ),
    });
    let run: Awaited<ReturnType<typeof migrate>>;
    try {
      run = await migrate(db, {
        migrations: list,
        ...(to === undefined ? {} : { to }),
        context: moveContext,
        onResult: (result) => progress(formatResult(result)),
        onWait: sayWaiting(io),
      });
    } finally {
      if (kvOpened) await closeKv();
    }
    return await reportRun(
      context,
      db,
      list,
      run,
      (count, version) =>
        count === 0
          ? `Database is up to date at version ${version}; nothing to apply.`
          : `Applied ${count} migration(s); now at version ${version}.`,
    );
  },
};
