/**
 * Test support: `migrate()` and `rollback()` return a failure as `error`; these throw it instead, so a test
 * can use a run as a setup step (`await migrated(db)`) or expect its failure (`assert.rejects(migrated(db))`).
 *
 * @module
 */
import type { DbClient } from "../../src/db/client/db_client.ts";
import type { MigrationResult } from "../../src/db/migrate/migration.ts";
import {
  migrate,
  type MigrateOptions,
  rollback,
  type RollbackOptions,
} from "../../src/db/migrate/migrator.ts";

/** Runs `migrate(db, options)` and returns its results, or throws the error it returned. */
export async function migrated(db: DbClient, options?: MigrateOptions): Promise<MigrationResult[]> {
  const { results, error } = await migrate(db, options);
  if (error !== undefined) throw error;
  return results;
}

/** Runs `rollback(db, options)` and returns its results, or throws the error it returned. */
export async function rolledBack(
  db: DbClient,
  options: RollbackOptions,
): Promise<MigrationResult[]> {
  const { results, error } = await rollback(db, options);
  if (error !== undefined) throw error;
  return results;
}
