/**
 * Checks, before a run, that the database offers what the due migrations declare in `requires`: a
 * PostgreSQL major version and extensions the server can install.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";

const VERSION_SQL =
  "SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS name";
const AVAILABLE_SQL = "SELECT 1 AS available FROM pg_available_extensions WHERE name = $1";

/** How to get an extension onto a server, for the ones pml-store needs. */
const INSTALL_HINTS: Readonly<Record<string, string>> = {
  vector:
    "install pgvector on the server (https://github.com/pgvector/pgvector#installation, for " +
    "example the postgresql-<major>-pgvector package), or use the embedded database",
};

/**
 * The first unmet requirement of `due`, as the error that stops the run, or `undefined` when all are met.
 */
export async function unmetRequirement(
  db: DbClient,
  due: readonly Migration[],
): Promise<MigrationError | undefined> {
  const needing = due.filter((m) => m.requires !== undefined);
  if (needing.length === 0) return undefined;
  const server = await db.queryOne<{ num: number; name: string }>(VERSION_SQL);
  const major = Math.floor((server?.num ?? 0) / 10_000);
  const serverName = `PostgreSQL ${server?.name ?? "of unknown version"}`;
  for (const migration of needing) {
    const label = `migration ${migration.version} (${migration.name})`;
    const { postgres, extensions = [] } = migration.requires ?? {};
    if (postgres !== undefined && major < postgres) {
      return new MigrationError(
        "MIGRATION_REQUIREMENT_MISSING",
        `Cannot apply migrations: ${label} needs PostgreSQL ${postgres} or later, and this server runs ` +
          `${serverName}; upgrade the server, or use the embedded database`,
        { version: migration.version, migrationName: migration.name },
      );
    }
    for (const extension of extensions) {
      if (await db.queryOne(AVAILABLE_SQL, [extension]) !== null) continue;
      const hint = INSTALL_HINTS[extension] ?? `install the ${extension} extension on the server`;
      return new MigrationError(
        "MIGRATION_REQUIREMENT_MISSING",
        `Cannot apply migrations: ${label} needs the PostgreSQL extension '${extension}', which this ` +
          `server (${serverName}) does not have; ${hint}`,
        { version: migration.version, migrationName: migration.name },
      );
    }
  }
  return undefined;
}
