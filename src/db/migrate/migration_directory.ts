/**
 * A package's own migrations, read from a directory: dbmate's `NNN_name.sql` files (`-- migrate:up` and
 * `-- migrate:down` sections) and `NNN_name.ts` modules whose default export is `{ up, down, checksum? }`.
 * The directory is read, parsed, imported and validated whole before a caller can apply anything, and a
 * bad file is refused with a message that names it (and its line, where there is one).
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";
import { defineMigrations } from "./migration_registry.ts";
import {
  FILE_NAME,
  fileError,
  importCodeMigration,
  type MigrationFile,
  readSqlMigration,
  reasonOf,
  SNAKE_CASE,
  snakeCase,
} from "./_migration_file.ts";

/** Options of {@linkcode loadMigrationDirectory}. */
export interface LoadMigrationDirectoryOptions {
  /**
   * The migrations the directory's come after, usually pml-store's own `migrations`: every version in the
   * directory must be above the last of them.
   *
   * @default {[]}
   */
  after?: readonly Migration[];
}

/**
 * Reads the migrations of `dir` and returns them after `options.after`, as one registry validated by
 * `defineMigrations`. A file counts when its name ends in `.sql` or `.ts` and does not start with `_` or
 * `.` (helpers and hidden files); every such file must be named `NNN_snake_case_name.sql` or `.ts`, the
 * version (its leading digits) above the last of `after` and used by one file only. A `.sql` file holds a
 * `-- migrate:up` section (with SQL) and a `-- migrate:down` section (possibly empty), as dbmate writes
 * them; a `.ts` module's default export is `{ up, down, checksum?, report?, requires? }`, its version and
 * name coming from the file name (a `version` or `name` it exports must agree). Other files are ignored.
 *
 * @param dir The directory.
 * @param options The migrations the directory's come after.
 * @returns `after` followed by the directory's migrations in ascending version order, frozen.
 * @throws {MigrationError} `MIGRATION_FILE_INVALID` for a missing directory or the first bad file, in
 * version order: a bad file name, a version used twice or not above `after`, a missing or repeated
 * section marker, SQL outside the sections, an empty `-- migrate:up` section, a statement that controls
 * the transaction (`BEGIN`, `COMMIT`, …), a module that throws on import (its error as `cause`) or whose
 * default export has the wrong shape. Nothing is returned, so nothing can be applied, unless every file
 * is good.
 *
 * @example Loading a directory after pml-store's migrations
 * ```ts
 * import { loadMigrationDirectory } from "./migration_directory.ts";
 * import { migrations } from "@pml/store";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "migrations-"));
 * await writeFile(
 *   join(dir, "020_create_notes.sql"),
 *   "-- migrate:up\nCREATE TABLE notes (id INT);\n\n-- migrate:down\nDROP TABLE notes;\n",
 * );
 * const list = await loadMigrationDirectory(dir, { after: migrations });
 * assert.equal(list.length, migrations.length + 1);
 * assert.deepEqual(list.at(-1), {
 *   version: 20,
 *   name: "create_notes",
 *   up: "CREATE TABLE notes (id INT);",
 *   down: "DROP TABLE notes;",
 * });
 * await assert.rejects(loadMigrationDirectory(join(dir, "missing")), { code: "MIGRATION_FILE_INVALID" });
 * await rm(dir, { recursive: true });
 * ```
 */
export async function loadMigrationDirectory(
  dir: string,
  options: LoadMigrationDirectoryOptions = {},
): Promise<readonly Migration[]> {
  const after = options.after ?? [];
  const files = checkVersions(await listMigrationFiles(dir), after);
  const loaded: Migration[] = [];
  for (const file of files) {
    loaded.push(
      file.kind === "sql" ? await readSqlMigration(file) : await importCodeMigration(file),
    );
  }
  try {
    return defineMigrations([...after, ...loaded]);
  } catch (cause) {
    const file = files.find((f) => f.version === (cause as MigrationError).version);
    if (file === undefined) throw cause;
    throw fileError(file, undefined, reasonOf(cause), cause);
  }
}

/**
 * The version a new migration in `dir` takes: one above the last of `options.after` and of the
 * directory's files. Only the file names are read (and checked as {@linkcode loadMigrationDirectory}
 * checks them), so a file still being written does not stand in the way; a missing directory counts as
 * empty.
 *
 * @throws {MigrationError} `MIGRATION_FILE_INVALID` for a bad file name or a version used twice or not
 * above `after`.
 *
 * @example Usage
 * ```ts
 * import { nextMigrationVersion } from "./migration_directory.ts";
 * import { migrations } from "@pml/store";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "migrations-"));
 * const last = migrations.at(-1)!.version;
 * assert.equal(await nextMigrationVersion(dir, { after: migrations }), last + 1);
 * await writeFile(join(dir, `0${last + 1}_create_notes.sql`), "-- migrate:up\n\n-- migrate:down\n");
 * assert.equal(await nextMigrationVersion(dir, { after: migrations }), last + 2);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function nextMigrationVersion(
  dir: string,
  options: LoadMigrationDirectoryOptions = {},
): Promise<number> {
  const after = options.after ?? [];
  let files: MigrationFile[] = [];
  try {
    files = checkVersions(await listMigrationFiles(dir), after);
  } catch (error) {
    if (!((error as Error).cause as { code?: string } | undefined)?.code?.startsWith("ENOENT")) {
      throw error;
    }
  }
  return nextVersion(files, after);
}

async function listMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const reason = code === "ENOENT"
      ? "there is no such directory; check the path, or create the directory"
      : code === "ENOTDIR"
      ? "it is a file, expected a directory of NNN_name.sql and NNN_name.ts files"
      : `${(cause as Error).message}; check the path and its permissions`;
    throw new MigrationError(
      "MIGRATION_FILE_INVALID",
      `Cannot load migrations from '${dir}': ${reason}`,
      {
        cause,
      },
    );
  }
  const files: MigrationFile[] = [];
  for (const entry of entries) {
    const fileName = entry.name;
    if (entry.isDirectory() || !/\.(sql|ts)$/.test(fileName) || /^[_.]/.test(fileName)) continue;
    const path = join(dir, fileName);
    const match = FILE_NAME.exec(fileName);
    const [, digits = "", name = "", kind = "sql"] = match ?? [];
    const version = Number(digits);
    const where = { path, fileName, version: match === null ? NaN : version, name, kind };
    if (match === null || !Number.isSafeInteger(version)) {
      throw fileError(
        where,
        undefined,
        "its name does not start with a version, expected NNN_name.sql or NNN_name.ts " +
          `(such as 020_${
            snakeCase(fileName.replace(/\.(sql|ts)$/, "")) || "add_notes"
          }.sql); rename it`,
      );
    }
    if (!SNAKE_CASE.test(name)) {
      const suggestion = snakeCase(name);
      throw fileError(
        where,
        undefined,
        `its name '${name}' is not snake_case (lower-case letters and digits joined by _); rename it` +
          (suggestion === "" ? "" : ` to ${digits}_${suggestion}.${kind}`),
      );
    }
    files.push({ path, fileName, version, name, kind: kind as "sql" | "ts" });
  }
  return files.sort((a, b) => a.version - b.version || a.fileName.localeCompare(b.fileName));
}

function checkVersions(files: MigrationFile[], after: readonly Migration[]): MigrationFile[] {
  const last = after.at(-1)?.version ?? 0;
  for (const [index, file] of files.entries()) {
    const previous = files[index - 1];
    if (previous?.version === file.version) {
      const sameName = previous.name === file.name;
      throw fileError(
        file,
        undefined,
        `version ${file.version} is also used by ${previous.fileName}` +
          (sameName
            ? "; a migration is either SQL or code, so keep one of the two files"
            : `; give one of them the next free version, ${nextVersion(files, after)}`),
      );
    }
    if (file.version <= last) {
      throw fileError(
        file,
        undefined,
        `version ${file.version} is not above ${last}, the last of the migrations this directory comes ` +
          `after (versions up to ${last} are taken); renumber it from ${last + 1}`,
      );
    }
  }
  return files;
}

/** The version after the last of `after` and of the directory's files. */
function nextVersion(files: readonly MigrationFile[], after: readonly Migration[]): number {
  return Math.max(after.at(-1)?.version ?? 0, ...files.map((f) => f.version)) + 1;
}
