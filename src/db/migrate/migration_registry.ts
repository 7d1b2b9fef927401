/**
 * Validation of an ordered migration list: the one place that decides whether a registry is well formed.
 *
 * @module
 */
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";
import { leadingKeywords, splitSqlStatements } from "./sql_statements.ts";

// Statements that end, open or split the transaction the runner runs each migration in: a COMMIT would make
// the first half of a failing migration permanent, a ROLLBACK would undo statements that the history then
// records as applied. COMMIT PREPARED and ROLLBACK PREPARED start with COMMIT and ROLLBACK.
const TRANSACTION_CONTROL: ReadonlySet<string> = new Set([
  "BEGIN",
  "COMMIT",
  "ROLLBACK",
  "END",
  "ABORT",
  "SAVEPOINT",
  "RELEASE",
  "START TRANSACTION",
  "PREPARE TRANSACTION",
]);

/** Options of {@linkcode defineMigrations}. */
export interface DefineMigrationsOptions {
  /**
   * Versions that are deliberately absent. When given, the registry must hold every version from 1 to the
   * highest one except exactly these, so a gap is declared, never tolerated silently.
   */
  missingVersions?: readonly number[];
}

/**
 * Checks a migration list and returns it frozen. Versions must be positive integers, unique and ascending;
 * names non-empty snake_case; a `checksum` only on a migration with code, as non-empty text; `up`, `down`
 * (each SQL text or an async function) and any `report` SQL text in which no statement controls the
 * transaction (`BEGIN`, `COMMIT`, `ROLLBACK`, `END`, `ABORT`, `SAVEPOINT`, `RELEASE`, `START TRANSACTION`,
 * `PREPARE TRANSACTION`): the runner runs each migration in a transaction of its own, so one that commits
 * half-way could not be undone, and one that rolls back would be recorded as applied. Such words inside
 * literals, comments or dollar-quoted bodies (`DO $$ BEGIN … END $$`) are not statements.
 *
 * @throws {MigrationError} `MIGRATION_REGISTRY_INVALID`, naming the offending entry and what was expected.
 *
 * @example A valid registry
 * ```ts
 * import { defineMigrations } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const registry = defineMigrations([
 *   { version: 1, name: "create_a", up: "CREATE TABLE IF NOT EXISTS a (id INT);", down: "DROP TABLE IF EXISTS a;" },
 *   { version: 3, name: "create_b", up: "CREATE TABLE IF NOT EXISTS b (id INT);", down: "DROP TABLE IF EXISTS b;" },
 * ], { missingVersions: [2] });
 * assert.equal(registry.length, 2);
 * assert.throws(() => defineMigrations([registry[1]!, registry[0]!]), /ascending/);
 * assert.throws(
 *   () => defineMigrations([{ version: 1, name: "commits", up: "CREATE TABLE a (id INT); COMMIT;", down: "" }]),
 *   { code: "MIGRATION_REGISTRY_INVALID", message: /transaction-control statement 'COMMIT' in its up SQL/ },
 * );
 * ```
 */
export function defineMigrations(
  migrations: readonly Migration[],
  options: DefineMigrationsOptions = {},
): readonly Migration[] {
  let previous: Migration | undefined;
  for (const [index, migration] of migrations.entries()) {
    checkShape(migration, index);
    if (previous !== undefined) checkOrder(previous, migration);
    previous = migration;
  }
  if (options.missingVersions !== undefined) checkGaps(migrations, options.missingVersions);
  return Object.freeze(migrations.map((migration) => Object.freeze({ ...migration })));
}

function checkShape(migration: Migration, index: number): void {
  const { version, name, up, down, report } = migration ?? {};
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalid(
      `entry ${index} has version ${String(version)}, expected a positive integer`,
      migration,
    );
  }
  if (typeof name !== "string" || !/^[a-z0-9_]+$/.test(name)) {
    throw invalid(
      `migration ${version} has name ${JSON.stringify(name)}, expected snake_case text`,
      migration,
    );
  }
  const isStep = (step: unknown) => typeof step === "string" || typeof step === "function";
  if (!isStep(up) || !isStep(down)) {
    throw invalid(
      `migration ${version} (${name}) must have 'up' and 'down', each SQL text or an async function`,
      migration,
    );
  }
  if (report !== undefined && typeof report !== "string") {
    throw invalid(`migration ${version} (${name}) has a 'report' that is not SQL text`, migration);
  }
  checkChecksum(migration);
  checkRequirements(migration);
  for (const part of ["up", "down", "report"] as const) {
    const sql = migration[part];
    if (typeof sql === "string") checkNoTransactionControl(migration, part, sql);
  }
}

/** A declared checksum belongs to code, and is non-empty text; SQL's own is computed. */
function checkChecksum(migration: Migration): void {
  const { version, name, up, down, checksum } = migration;
  if (!("checksum" in migration) || checksum === undefined) return;
  if (typeof checksum !== "string" || checksum.trim() === "") {
    throw invalid(
      `migration ${version} (${name}) declares checksum ${
        JSON.stringify(checksum) ?? String(checksum)
      }, expected non-empty text; change it whenever the migration's code changes`,
      migration,
    );
  }
  if (typeof up === "string" && typeof down === "string") {
    throw invalid(
      `migration ${version} (${name}) is SQL and declares a checksum; remove it: the checksum of SQL is ` +
        "computed from its text",
      migration,
    );
  }
}

function checkRequirements(migration: Migration): void {
  const { requires } = migration;
  if (requires === undefined) return;
  const label = `migration ${migration.version} (${migration.name})`;
  if (
    requires.postgres !== undefined &&
    (!Number.isSafeInteger(requires.postgres) || requires.postgres < 1)
  ) {
    throw invalid(
      `${label} requires PostgreSQL ${
        String(requires.postgres)
      }, expected a major version such as 14`,
      migration,
    );
  }
  const extensions = requires.extensions ?? [];
  if (!Array.isArray(extensions) || extensions.some((e) => typeof e !== "string" || e === "")) {
    throw invalid(`${label} requires extensions that are not a list of names`, migration);
  }
}

/**
 * The first statement of `sql` that controls the transaction (see {@linkcode defineMigrations}), as
 * written, or `undefined` when there is none.
 */
export function transactionControlIn(sql: string): string | undefined {
  for (const statement of splitSqlStatements(sql)) {
    const [first = "", second = ""] = leadingKeywords(statement, 2);
    if (TRANSACTION_CONTROL.has(`${first} ${second}`) || TRANSACTION_CONTROL.has(first)) {
      return excerpt(statement);
    }
  }
  return undefined;
}

function checkNoTransactionControl(migration: Migration, part: string, sql: string): void {
  for (const statement of splitSqlStatements(sql)) {
    const [first = "", second = ""] = leadingKeywords(statement, 2);
    const control = [`${first} ${second}`, first].find((words) => TRANSACTION_CONTROL.has(words));
    if (control === undefined) continue;
    throw invalid(
      `migration ${migration.version} (${migration.name}) has the transaction-control statement '${
        excerpt(statement)
      }' in its ${part} SQL; the runner runs each migration in one transaction of its own, so ` +
        `remove the ${control}`,
      migration,
    );
  }
}

function excerpt(statement: string): string {
  const oneLine = statement.replace(/\s+/g, " ");
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}

function checkOrder(previous: Migration, current: Migration): void {
  if (current.version === previous.version) {
    throw invalid(
      `version ${current.version} is used twice ('${previous.name}' and '${current.name}'), expected unique versions`,
      current,
    );
  }
  if (current.version < previous.version) {
    throw invalid(
      `version ${current.version} (${current.name}) comes after ${previous.version} (${previous.name}), expected ascending versions`,
      current,
    );
  }
}

function checkGaps(migrations: readonly Migration[], missing: readonly number[]): void {
  const present = new Set(migrations.map((m) => m.version));
  const highest = Math.max(0, ...present);
  for (const version of missing) {
    if (present.has(version)) {
      throw invalid(`version ${version} is declared missing but is present`);
    }
  }
  for (let version = 1; version <= highest; version += 1) {
    if (!present.has(version) && !missing.includes(version)) {
      throw invalid(
        `version ${version} is missing, expected every version up to ${highest} or a declared gap`,
      );
    }
  }
}

function invalid(reason: string, migration?: Migration): MigrationError {
  const details = migration === undefined || !Number.isSafeInteger(migration?.version)
    ? {}
    : { version: migration.version, migrationName: migration.name };
  return new MigrationError(
    "MIGRATION_REGISTRY_INVALID",
    `Cannot use migration list: ${reason}`,
    details,
  );
}
