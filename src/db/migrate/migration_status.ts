/**
 * Compares the applied history with a migration registry: what is applied, pending, edited since it ran
 * (drift), or unknown to the code.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";
import type { Migration } from "./migration.ts";
import { migrationChecksum, UNCHECKED } from "./migration_checksum.ts";
import { type AppliedMigration, readHistory } from "./migration_history.ts";
import { migrations as registry } from "../schema/migrations.ts";

/** The state of one migration, as {@linkcode status} reports it. */
export type MigrationState = "applied" | "pending" | "drifted" | "renamed" | "unknown";

/** One line of {@linkcode status}. */
export interface MigrationStatusEntry {
  /** The migration's version. */
  version: number;
  /** Its name (from the registry, or from the history for an unknown one). */
  name: string;
  /**
   * `applied`: ran with the SQL the registry holds; `pending`: not yet applied; `drifted`: applied, but its
   * SQL has changed since; `renamed`: applied with this SQL, but its history row records another name;
   * `unknown`: applied, but absent from the registry.
   */
  state: MigrationState;
  /** The name recorded in `migrations_history`, when it differs from the registry's (`renamed`, or `drifted`). */
  recordedName?: string;
  /** When it was applied, for applied, drifted and unknown migrations. */
  appliedAt?: Date;
  /** How long its `up` took, when recorded. */
  executionMs?: number | null;
  /**
   * Present (true) for an applied code migration without a declared checksum: nothing ties the history
   * to its code, so an edit to it cannot be detected.
   */
  unchecked?: true;
}

/** The result of {@linkcode status}. */
export interface StatusResult {
  /** Every migration of the registry and every applied one, ascending by version. */
  entries: MigrationStatusEntry[];
  /** The highest applied version, 0 when nothing is applied. */
  currentVersion: number;
  /** How many registry migrations are not applied. */
  pendingCount: number;
}

/** A problem found by {@linkcode verify}. */
export interface VerifyProblem {
  /** The migration concerned. */
  version: number;
  /** Its name. */
  name: string;
  /**
   * `drifted`: the SQL changed after it was applied; `renamed`: its history row records another name;
   * `unknown`: applied but absent from the registry (also a history row with a version that is not a
   * positive integer); `out_of_order`: pending although a higher version is already applied.
   */
  kind: "drifted" | "renamed" | "unknown" | "out_of_order";
  /** A sentence saying what was expected and what was found. */
  message: string;
}

/** The result of {@linkcode verify}. */
export interface VerifyResult {
  /** True when the history is consistent with the registry. */
  ok: boolean;
  /** Every inconsistency, ascending by version. */
  problems: VerifyProblem[];
  /**
   * Applied code migrations that declare no checksum, which verify cannot check (not a problem: `ok` does
   * not depend on them). Present only when there are some.
   */
  unchecked?: { version: number; name: string }[];
}

/** Options of {@linkcode status} and {@linkcode verify}. */
export interface StatusOptions {
  /** The ordered registry to compare the history with; defaults to pml-store's own migrations. */
  migrations?: readonly Migration[];
}

/**
 * Lists applied and pending migrations of `options.migrations` (default: pml-store's) and any applied
 * migration the list does not know.
 *
 * @example Usage
 * ```ts
 * import { migrations, status } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const latest = migrations.at(-1)!.version;
 * await withFastDb(async (db) => {   // a database at the latest migration
 *   const next = { version: latest + 1, name: "create_notes", up: "CREATE TABLE notes (id INT);", down: "" };
 *   const result = await status(db, { migrations: [...migrations, next] });
 *   assert.equal(result.currentVersion, latest);
 *   assert.equal(result.pendingCount, 1);
 *   assert.deepEqual(result.entries.at(-1), { version: latest + 1, name: "create_notes", state: "pending" });
 * });
 * ```
 */
export async function status(db: DbClient, options: StatusOptions = {}): Promise<StatusResult> {
  const migrations = migrationList(options, "status");
  const history = await readHistory(db);
  const applied = new Map(history.map((row) => [row.version, row]));
  const entries: MigrationStatusEntry[] = [];
  for (const migration of migrations) {
    const row = applied.get(migration.version);
    if (row === undefined) {
      entries.push({ version: migration.version, name: migration.name, state: "pending" });
      continue;
    }
    const expected = await migrationChecksum(migration);
    // A history row without a checksum can be compared with nothing: it is unchecked, never drifted.
    const unchecked = row.checksum === UNCHECKED || expected === UNCHECKED;
    const drifted = row.checksum !== UNCHECKED && row.checksum !== expected;
    const nameDiffers = row.name !== migration.name;
    const renamed = !drifted && nameDiffers;
    const entry = appliedEntry(
      row,
      migration.name,
      drifted ? "drifted" : renamed ? "renamed" : "applied",
    );
    if (nameDiffers) entry.recordedName = row.name;
    if (unchecked && !drifted) entry.unchecked = true;
    entries.push(entry);
  }
  const known = new Set(migrations.map((m) => m.version));
  for (const row of history) {
    if (!known.has(row.version)) entries.push(appliedEntry(row, row.name, "unknown"));
  }
  entries.sort((a, b) => a.version - b.version);
  return {
    entries,
    currentVersion: Math.max(0, ...history.map((row) => row.version)),
    pendingCount: entries.filter((e) => e.state === "pending").length,
  };
}

/**
 * Checks that the applied history still matches the registry: no applied migration whose SQL changed or
 * whose history row records another name, no applied version the registry does not know (nor one that is
 * not a positive integer), no pending migration below an applied one.
 * {@linkcode migrate} refuses to run when this finds a problem.
 *
 * @example Detecting an edited migration
 * ```ts
 * import { migrations, verify } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * const first = migrations[0]!;
 * await withFastDb(async (db) => {   // a database at the latest migration
 *   assert.deepEqual(await verify(db), { ok: true, problems: [] });
 *   const edited = migrations.map((m) => m === first ? { ...m, up: `${m.up}\n-- edited` } : m);
 *   const result = await verify(db, { migrations: edited });
 *   assert.equal(result.ok, false);
 *   assert.deepEqual(result.problems.map((p) => [p.version, p.kind]), [[first.version, "drifted"]]);
 * });
 * ```
 */
export async function verify(db: DbClient, options: StatusOptions = {}): Promise<VerifyResult> {
  return checkStatus(await status(db, { migrations: migrationList(options, "verify") }));
}

/** The list to compare with; a positional array (the old signature) is refused with what to write. */
function migrationList(options: StatusOptions, action: string): readonly Migration[] {
  if (Array.isArray(options)) {
    throw new TypeError(
      `Cannot ${action}: the migrations are an option now, found an array; write ${action}(db, { migrations })`,
    );
  }
  return options.migrations ?? registry;
}

/**
 * The problems {@linkcode verify} reports, found in a {@linkcode status} result already read (so a caller
 * holding one does not read the history again).
 *
 * @example Usage
 * ```ts
 * import { checkStatus } from "./migration_status.ts";
 * import assert from "node:assert/strict";
 *
 * const result = checkStatus({
 *   entries: [{ version: 1, name: "a", state: "pending" }, { version: 2, name: "b", state: "applied" }],
 *   currentVersion: 2,
 *   pendingCount: 1,
 * });
 * assert.deepEqual(result.problems.map((p) => p.kind), ["out_of_order"]);
 * ```
 */
export function checkStatus({ entries, currentVersion }: StatusResult): VerifyResult {
  const problems: VerifyProblem[] = [];
  const newestKnown = Math.max(
    0,
    ...entries.filter((e) => e.state !== "unknown").map((e) => e.version),
  );
  for (const entry of entries) {
    const label = `migration ${entry.version} (${entry.name})`;
    if (entry.state === "drifted") {
      problems.push({
        ...pick(entry),
        kind: "drifted",
        message:
          `${label} was applied with different SQL: its checksum in migrations_history no longer ` +
          "matches the code; restore the original SQL, or add a new migration for the change" +
          (entry.recordedName === undefined
            ? ""
            : ` (its history row also records the name '${entry.recordedName}')`),
      });
    } else if (entry.state === "renamed") {
      problems.push({
        ...pick(entry),
        kind: "renamed",
        message:
          `${label} is recorded in migrations_history under the name '${entry.recordedName}', ` +
          `expected '${entry.name}'; restore the name in migrations_history (the history was edited)`,
      });
    } else if (entry.state === "unknown") {
      problems.push({
        ...pick(entry),
        kind: "unknown",
        message: unknownMessage(entry, label, newestKnown),
      });
    } else if (entry.state === "pending" && entry.version < currentVersion) {
      problems.push({
        ...pick(entry),
        kind: "out_of_order",
        message: `${label} is pending although version ${currentVersion} is already applied; ` +
          "migrations must be applied in ascending order",
      });
    }
  }
  const unchecked = entries.filter((e) => e.unchecked).map(pick);
  const result: VerifyResult = { ok: problems.length === 0, problems };
  if (unchecked.length > 0) result.unchecked = unchecked;
  return result;
}

function unknownMessage(entry: MigrationStatusEntry, label: string, newestKnown: number): string {
  if (!Number.isSafeInteger(entry.version) || entry.version < 1) {
    return `migrations_history holds version ${entry.version} (${entry.name}), expected a positive ` +
      "integer: no migration has that version, so the history was edited; delete or correct that row";
  }
  if (entry.version > newestKnown) {
    return `${label} is applied but not in the migration list; the database is newer than this code`;
  }
  return `${label} is applied but not in the migration list, which has no version ${entry.version} ` +
    `although it goes up to ${newestKnown}; restore the migration in the list, or delete the history ` +
    "row if it was edited";
}

function appliedEntry(
  row: AppliedMigration,
  name: string,
  state: MigrationState,
): MigrationStatusEntry {
  return {
    version: row.version,
    name,
    state,
    appliedAt: row.appliedAt,
    executionMs: row.executionMs,
  };
}

function pick(entry: MigrationStatusEntry): { version: number; name: string } {
  return { version: entry.version, name: entry.name };
}
