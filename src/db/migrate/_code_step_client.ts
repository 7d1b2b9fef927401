/**
 * The client a code migration runs on: its migration's transaction, refusing the statements that would end
 * or split that transaction, and closed once the migration's function has returned.
 *
 * @module
 */
import type { DbClient, QueryParam, Row } from "../client/db_client.ts";
import { DbError } from "../client/db_error.ts";
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";
import { transactionControlIn } from "./migration_registry.ts";

/** A client over `tx` for `migration`'s code, and `end()` that closes it when the code returns. */
export function codeStepClient(
  tx: DbClient,
  migration: Migration,
): { client: DbClient; end: () => void } {
  let ended = false;
  const check = (sql: string, action: string) => {
    if (ended) {
      throw new DbError(
        "DB_TRANSACTION_ENDED",
        `Cannot ${action}: migration ${migration.version} (${migration.name}) has returned, and its ` +
          "transaction with it; await every query inside the migration",
      );
    }
    const control = transactionControlIn(sql);
    if (control !== undefined) {
      throw new MigrationError(
        "MIGRATION_FAILED",
        `Cannot run '${control}' in migration ${migration.version} (${migration.name}): the runner ` +
          "runs each migration in one transaction of its own and commits it when the migration returns; " +
          "use db.transaction() for a savepoint, and throw to undo the migration",
        { version: migration.version, migrationName: migration.name, sql },
      );
    }
  };
  const client: DbClient = {
    async query<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<T[]> {
      check(sql, "run a query");
      return await tx.query<T>(sql, params);
    },
    async queryOne<T extends Row = Row>(
      sql: string,
      params?: readonly QueryParam[],
    ): Promise<T | null> {
      check(sql, "run a query");
      return await tx.queryOne<T>(sql, params);
    },
    async exec(sql: string): Promise<void> {
      check(sql, "run SQL");
      await tx.exec(sql);
    },
    async transaction<T>(fn: (inner: DbClient) => Promise<T>): Promise<T> {
      check("", "start a transaction");
      return await tx.transaction((inner) => {
        const nested = codeStepClient(inner, migration);
        return fn(nested.client).finally(nested.end);
      });
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
    get closed(): boolean {
      return ended || tx.closed;
    },
    sharedSession: tx.sharedSession,
    [Symbol.asyncDispose](): Promise<void> {
      return Promise.resolve();
    },
  };
  return { client, end: () => ended = true };
}
