/**
 * How a migration's SQL text runs: as one text in one round trip, under a savepoint; only when that fails,
 * again statement by statement, so that the failure names its statement.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import { DbError } from "../client/db_error.ts";
import { MigrationError } from "./migration_error.ts";
import { splitSqlStatements } from "./sql_statements.ts";

/**
 * Runs `sql`, one direction of the migration `version` (`name`), on `db`. A code migration that wraps SQL
 * (as 019 does) runs it through this too, so its failures read as a SQL migration's.
 *
 * @throws {MigrationError} `MIGRATION_FAILED` naming the version, the migration and the failing statement.
 *
 * @example A failure names its statement
 * ```ts
 * import { runMigrationSql } from "./run_migration_sql.ts";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const migration = { version: 99, name: "broken" };
 *   await assert.rejects(runMigrationSql(db, migration, "up", "SELECT 1; SELEC 2;"), {
 *     code: "MIGRATION_FAILED",
 *     sql: "SELEC 2",
 *   });
 * });
 * ```
 */
export async function runMigrationSql(
  db: DbClient,
  migration: { readonly version: number; readonly name: string },
  direction: "up" | "down",
  sql: string,
): Promise<void> {
  try {
    await db.transaction((tx) => tx.exec(sql));
    return;
  } catch {
    // Undone by its savepoint; run again one statement at a time, where the failure is reported with the
    // statement that fails.
  }
  const verb = direction === "up" ? "apply" : "revert";
  for (const statement of splitSqlStatements(sql)) {
    try {
      await db.exec(statement);
    } catch (cause) {
      const reason = cause instanceof DbError && cause.cause instanceof Error
        ? cause.cause.message
        : (cause as Error).message;
      throw new MigrationError(
        "MIGRATION_FAILED",
        `Cannot ${verb} migration ${migration.version} (${migration.name}): ${reason}; failing statement: ${
          excerpt(statement)
        }`,
        { version: migration.version, migrationName: migration.name, sql: statement, cause },
      );
    }
  }
}

function excerpt(statement: string): string {
  const oneLine = statement.replace(/\s+/g, " ");
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
}
