/**
 * `plan`: what `migrate` would apply (up to `--to N`), with each migration's SQL, read in a READ ONLY
 * transaction so that planning cannot write, even by mistake.
 *
 * @module
 */
import type { DbClient } from "../../db/client/db_client.ts";
import type { Migration } from "../../db/migrate/migration.ts";
import { migrationChecksum } from "../../db/migrate/migration_checksum.ts";
import { MigrationError } from "../../db/migrate/migration_error.ts";
import { checkStatus, status, type StatusResult } from "../../db/migrate/migration_status.ts";
import type { CliCommand } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG } from "../database_flags.ts";
import { JSON_FLAG, MIGRATIONS_FLAG, TO_FLAG } from "../migration_flags.ts";
import { formatJson } from "../json_output.ts";
import { databaseLine, openCliDatabase } from "./_database.ts";
import { checkTarget, cliMigrations } from "./_migrations.ts";

/** The `plan` command. */
export const PLAN_COMMAND: CliCommand = {
  name: "plan",
  summary:
    "print what migrate would apply (up to version N with --to), with each migration's SQL, " +
    "reading the database in a read-only transaction",
  flags: [DB_FLAG, WAIT_FLAG, MIGRATIONS_FLAG, JSON_FLAG, TO_FLAG],
  async run(context) {
    const { io } = context;
    const to = context.get(TO_FLAG);
    const list = await cliMigrations(context);
    checkTarget(list, to);
    await using db = await openCliDatabase(context, { create: false });
    const state = await readOnly(db, (tx) => status(tx, { migrations: list }));
    const due = dueMigrations(list, state, to);
    const steps = await Promise.all(due.map(async (m) => ({
      version: m.version,
      name: m.name,
      kind: typeof m.up === "string" ? "sql" : "code",
      checksum: await migrationChecksum(m),
      sql: typeof m.up === "string" ? m.up : null,
    })));
    if (context.get(JSON_FLAG)) {
      const { currentVersion } = state;
      io.out(formatJson({ database: context.get(DB_FLAG), currentVersion, plan: steps }));
      return 0;
    }
    io.out(databaseLine(context.get(DB_FLAG)));
    if (steps.length === 0) {
      io.out(`Database is up to date at version ${state.currentVersion}; nothing to apply.`);
      return 0;
    }
    io.out(
      `migrate would apply ${steps.length} migration(s), from version ${state.currentVersion} ` +
        `to ${steps.at(-1)!.version}:`,
    );
    for (const step of steps) {
      io.out("");
      io.out(`-- ${String(step.version).padStart(3, "0")} ${step.name} (${step.kind})`);
      io.out(step.sql ?? "code");
    }
    return 0;
  },
};

/**
 * Runs `fn` in a transaction whose first statement makes it READ ONLY: a write in it fails ("cannot
 * execute … in a read-only transaction") and the transaction is rolled back.
 *
 * @example Usage
 * ```ts
 * import { readOnly } from "./plan.ts";
 * import { openDatabase } from "../../db/open_database.ts";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: "memory://" });
 * assert.deepEqual(await readOnly(db, (tx) => tx.query("SELECT 1 AS one")), [{ one: 1 }]);
 * await assert.rejects(readOnly(db, (tx) => tx.exec("CREATE TABLE t (id INT)")), /read-only/);
 * ```
 */
export async function readOnly<T>(db: DbClient, fn: (tx: DbClient) => Promise<T>): Promise<T> {
  return await db.transaction(async (tx) => {
    await tx.exec("SET TRANSACTION READ ONLY");
    return await fn(tx);
  });
}

/** What `migrate` would apply, or the error it would stop with before applying anything. */
function dueMigrations(
  list: readonly Migration[],
  state: StatusResult,
  to: number | undefined,
): Migration[] {
  const { ok, problems } = checkStatus(state);
  if (!ok) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
    throw new MigrationError(
      "MIGRATION_DRIFT",
      `Cannot plan migrations: ${first!.message}${more}`,
      {
        version: first!.version,
        migrationName: first!.name,
      },
    );
  }
  if (to !== undefined && to < state.currentVersion) {
    throw new MigrationError(
      "MIGRATION_TARGET_INVALID",
      `Cannot plan migrations to version ${to}: the database is at version ${state.currentVersion} ` +
        `already; use rollback({ to: ${to} }) to go down`,
      { version: to },
    );
  }
  const applied = new Set(state.entries.filter((e) => e.state !== "pending").map((e) => e.version));
  return list.filter((m) => !applied.has(m.version) && m.version <= (to ?? Infinity));
}
