/**
 * pml-store: the storage foundation of an MCP tool gateway.
 *
 * - Durable data in an embedded PostgreSQL (PGlite with pgvector): {@linkcode openDatabase}, migrations
 *   001–019 ({@linkcode migrations}) and a checksummed runner ({@linkcode migrate}, {@linkcode status},
 *   {@linkcode verify}, {@linkcode rollback}).
 * - Ephemeral workflow state in Deno KV with an exact 1-hour TTL ({@linkcode saveWorkflowState},
 *   {@linkcode WorkflowStateCache}), on one shared KV handle ({@linkcode getKv}).
 * - The gateway side: tool discovery into `tool_schema`, embeddings, vector search, the tool graph and the
 *   gateway that routes calls and records what it observes.
 * - The `deno task migrate` command line (src/cli/main.ts), a program rather than an export.
 *
 * Test support lives in `@pml/store/fixtures`; the deprecated `…WorkflowDAG` functions of the historical
 * module in `@pml/store/legacy`.
 *
 * @example Migrating an in-memory database
 * ```ts
 * import { migrate, migrations, openDatabase, status } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: "memory://" });
 * await migrate(db);
 * assert.equal((await status(db)).currentVersion, migrations.at(-1)!.version);
 * ```
 *
 * @module
 */
export type { DbClient, QueryParam, Row } from "./src/db/client/db_client.ts";
export type {
  Migration,
  MigrationContext,
  MigrationOutcome,
  MigrationRequirements,
  MigrationResult,
  MigrationStep,
} from "./src/db/migrate/migration.ts";
export { DbError, type DbErrorCode } from "./src/db/client/db_error.ts";
export { MigrationError, type MigrationErrorCode } from "./src/db/migrate/migration_error.ts";
export { openDatabase, type OpenDatabaseOptions } from "./src/db/open_database.ts";
export { migrations } from "./src/db/schema/migrations.ts";
export {
  defineMigrations,
  type DefineMigrationsOptions,
} from "./src/db/migrate/migration_registry.ts";
export {
  loadMigrationDirectory,
  type LoadMigrationDirectoryOptions,
  nextMigrationVersion,
} from "./src/db/migrate/migration_directory.ts";
export {
  migrate,
  type MigrateOptions,
  type MigrateResult,
  rollback,
  type RollbackOptions,
} from "./src/db/migrate/migrator.ts";
export {
  type MigrationState,
  type MigrationStatusEntry,
  status,
  type StatusOptions,
  type StatusResult,
  verify,
  type VerifyProblem,
  type VerifyResult,
} from "./src/db/migrate/migration_status.ts";
export {
  type MoveWorkflowDagsOptions,
  type MoveWorkflowDagsResult,
  moveWorkflowDagsToKv,
  workflowDagsMoveContext,
  type WorkflowDagsMoveContextOptions,
} from "./src/upgrade/move_workflow_dags.ts";
export {
  type ColumnSnapshot,
  formatSchemaSnapshot,
  readSchemaSnapshot,
  type SchemaSnapshot,
  type TableSnapshot,
} from "./src/db/schema/schema_snapshot.ts";
export * from "./src/cache/mod.ts";
export * from "./src/discovery/mod.ts";
export * from "./src/embeddings/mod.ts";
export * from "./src/search/mod.ts";
export * from "./src/graph/mod.ts";
export * from "./src/gateway/mod.ts";
