/**
 * The `--json` documents: the runner's results and the status as plain JSON values (dates as ISO text),
 * and any failure as `{ "error": { "code", "message" } }`.
 *
 * @module
 */
import type { AppliedMigration } from "../db/migrate/migration_history.ts";
import type { Migration } from "../db/migrate/migration.ts";
import { migrationChecksum } from "../db/migrate/migration_checksum.ts";
import type { StatusResult } from "../db/migrate/migration_status.ts";
import { UsageError } from "./cli_command.ts";

/** One migration in a `--json` document. */
export interface MigrationJson {
  version: number;
  name: string;
  /** `applied`, `pending`, `drifted`, `renamed` or `unknown`, as `status()` says. */
  state: string;
  /** The checksum in the history for an applied migration, else the code's; `null` for none. */
  checksum: string | null;
  /** When it was applied (ISO 8601), `null` when pending. */
  appliedAt: string | null;
  /** How long its `up` took, in milliseconds, `null` when pending or not recorded. */
  durationMs: number | null;
  /** Present for an applied code migration without a declared checksum (its checksum is `unchecked`). */
  unchecked?: true;
}

/** The status part of a document: the current version, the pending count and every migration. */
export async function statusJson(
  state: StatusResult,
  history: readonly AppliedMigration[],
  migrations: readonly Migration[],
): Promise<{ currentVersion: number; pendingCount: number; migrations: MigrationJson[] }> {
  const recorded = new Map(history.map((row) => [row.version, row.checksum]));
  const code = new Map(migrations.map((m) => [m.version, m]));
  const entries: MigrationJson[] = [];
  for (const entry of state.entries) {
    const migration = code.get(entry.version);
    const checksum = recorded.get(entry.version) ??
      (migration === undefined ? null : await migrationChecksum(migration));
    entries.push({
      version: entry.version,
      name: entry.name,
      state: entry.state,
      checksum,
      appliedAt: entry.appliedAt?.toISOString() ?? null,
      durationMs: entry.executionMs ?? null,
      ...(entry.recordedName === undefined ? {} : { recordedName: entry.recordedName }),
      ...(entry.unchecked ? { unchecked: true } : {}),
    });
  }
  return {
    currentVersion: state.currentVersion,
    pendingCount: state.pendingCount,
    migrations: entries,
  };
}

/**
 * A failure as `{ error: { code, message } }`: the error's stable code, `USAGE` for bad usage, else
 * `UNEXPECTED`.
 *
 * @example Usage
 * ```ts
 * import { errorJson } from "./json_output.ts";
 * import { MigrationError } from "../db/migrate/migration_error.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(errorJson(new MigrationError("MIGRATION_DRIFT", "Cannot apply migrations: …")), {
 *   error: { code: "MIGRATION_DRIFT", message: "Cannot apply migrations: …" },
 * });
 * assert.deepEqual(errorJson(new Error("boom")), { error: { code: "UNEXPECTED", message: "boom" } });
 * ```
 */
export function errorJson(error: unknown): { error: { code: string; message: string } } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: {
      code: typeof code === "string" && /^[A-Z_]+$/.test(code)
        ? code
        : error instanceof UsageError
        ? "USAGE"
        : "UNEXPECTED",
      message,
    },
  };
}

/** The one document on stdout. */
export function formatJson(document: unknown): string {
  return JSON.stringify(document, null, 2);
}
