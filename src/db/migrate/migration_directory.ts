/**
 * A package's own migrations, read from a directory: dbmate's `NNN_name.sql` files (`-- migrate:up` and
 * `-- migrate:down` sections) and `NNN_name.ts` modules whose default export is `{ up, down, checksum? }`.
 * The directory is read, parsed, imported and validated whole before a caller can apply anything, and a
 * bad file is refused with a message that names it (and its line, where there is one).
 *
 * @module
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";
import { defineMigrations } from "./migration_registry.ts";
import { splitSqlStatements } from "./sql_statements.ts";

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

/** One migration file, as its name describes it. */
interface MigrationFile {
  /** The path as read: the directory joined with the file name. */
  readonly path: string;
  readonly fileName: string;
  readonly version: number;
  readonly name: string;
  readonly kind: "sql" | "ts";
}

const FILE_NAME = /^(\d+)_(.*)\.(sql|ts)$/;
const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const MARKER = /^--\s*migrate:(\S*)(.*)$/;
const EXPORT_KEYS = ["up", "down", "checksum", "report", "requires", "version", "name"];

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

async function readSqlMigration(file: MigrationFile): Promise<Migration> {
  const text = await readFile(file.path, "utf8");
  const lines = text.split(/\r?\n/);
  const markers = new Map<"up" | "down", number>();
  for (const [index, line] of lines.entries()) {
    const marker = MARKER.exec(line);
    if (marker === null) continue;
    const [, direction = "", rest = ""] = marker;
    if (direction !== "up" && direction !== "down") {
      throw fileError(
        file,
        index + 1,
        `'${line.trim()}' is not a section marker, expected '-- migrate:up' or '-- migrate:down'`,
      );
    }
    if (markers.has(direction)) {
      throw fileError(
        file,
        index + 1,
        `it has a second '-- migrate:${direction}' line (the first is line ${
          markers.get(direction)! + 1
        }); keep one`,
      );
    }
    const option = rest.trim();
    if (option !== "") {
      throw fileError(
        file,
        index + 1,
        `the option '${option}' is not supported: pml-store runs every migration in one transaction ` +
          `of its own; write the line as '-- migrate:${direction}'`,
      );
    }
    markers.set(direction, index);
  }
  for (const direction of ["up", "down"] as const) {
    if (!markers.has(direction)) {
      throw fileError(
        file,
        undefined,
        `it has no '-- migrate:${direction}' line, expected the SQL that ${
          direction === "up" ? "applies" : "reverts"
        } the migration below a line '-- migrate:${direction}' (as dbmate writes them)`,
      );
    }
  }
  const starts = [...markers.values()].sort((a, b) => a - b);
  // Untrimmed, so that a statement's offset in it gives its line.
  const section = (marker: number) => {
    const end = starts.find((start) => start > marker) ?? lines.length;
    return { text: lines.slice(marker + 1, end).join("\n"), firstLine: marker + 2 };
  };
  const before = lines.slice(0, starts[0]).join("\n");
  const stray = splitSqlStatements(before)[0];
  if (stray !== undefined) {
    throw fileError(
      file,
      lineOf(before, stray, 1),
      "it has SQL before its first section marker; move it below '-- migrate:up' or '-- migrate:down'",
    );
  }
  const upMarker = markers.get("up")!;
  const up = section(upMarker);
  const down = section(markers.get("down")!);
  if (splitSqlStatements(up.text).length === 0) {
    throw fileError(
      file,
      upMarker + 1,
      "its '-- migrate:up' section holds no SQL; write the migration below that line",
    );
  }
  const migration: Migration = {
    version: file.version,
    name: file.name,
    up: up.text.trim(),
    down: down.text.trim(),
  };
  checkRegistryRules(file, migration, { up, down });
  return migration;
}

/**
 * `defineMigrations`' rules for one file. A statement it refuses (one that controls the transaction) is
 * found by trying each statement alone, and named with its line when the SQL came from `sections`.
 */
function checkRegistryRules(
  file: MigrationFile,
  migration: Migration,
  sections?: Record<"up" | "down", { text: string; firstLine: number }>,
): void {
  try {
    defineMigrations([migration]);
  } catch (cause) {
    for (const direction of ["up", "down"] as const) {
      const step = migration[direction];
      const text = sections?.[direction].text ?? (typeof step === "string" ? step : "");
      for (const statement of splitSqlStatements(text)) {
        try {
          defineMigrations([{ version: file.version, name: file.name, up: statement, down: "" }]);
        } catch {
          const line = sections && lineOf(text, statement, sections[direction].firstLine);
          const part = sections === undefined
            ? `'${direction}'`
            : `'-- migrate:${direction}' section`;
          throw fileError(
            file,
            line,
            `its ${part} has the statement '${excerpt(statement)}', which controls the ` +
              "transaction; pml-store runs each migration in one transaction of its own together " +
              "with its history row, so remove it",
            cause,
          );
        }
      }
    }
    throw fileError(file, undefined, reasonOf(cause), cause);
  }
}

async function importCodeMigration(file: MigrationFile): Promise<Migration> {
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file.path).href);
  } catch (cause) {
    throw fileError(file, undefined, importFailure(cause), cause);
  }
  const exported = module.default as Record<string, unknown> | undefined;
  const shape = "expected `export default { up, down, checksum }`";
  if (exported === undefined) {
    throw fileError(file, undefined, `it has no default export, ${shape}`);
  }
  if (typeof exported !== "object" || exported === null || Array.isArray(exported)) {
    throw fileError(file, undefined, `its default export is ${describe(exported)}, ${shape}`);
  }
  const unknown = Object.keys(exported).find((key) => !EXPORT_KEYS.includes(key));
  if (unknown !== undefined) {
    throw fileError(
      file,
      undefined,
      `its default export has the property '${unknown}', expected only ${
        EXPORT_KEYS.slice(0, -1).join(", ")
      } and ${EXPORT_KEYS.at(-1)}`,
    );
  }
  for (const step of ["up", "down"] as const) {
    const value = exported[step];
    if (typeof value !== "string" && typeof value !== "function") {
      throw fileError(
        file,
        undefined,
        `its default export's '${step}' is ${describe(value)}, expected SQL text or an async ` +
          "function (db, context)",
      );
    }
  }
  if (exported.checksum !== undefined && typeof exported.checksum !== "string") {
    throw fileError(
      file,
      undefined,
      `its default export's 'checksum' is ${describe(exported.checksum)}, expected a string ` +
        "that you change whenever the code changes",
    );
  }
  for (const key of ["version", "name"] as const) {
    const declared = module[key] ?? exported[key];
    if (declared !== undefined && declared !== file[key]) {
      throw fileError(
        file,
        undefined,
        `it exports ${key} ${JSON.stringify(declared)} but its file name says ${
          JSON.stringify(file[key])
        }; make them agree, or leave out the export`,
      );
    }
  }
  const { up, down, checksum, report, requires } = exported as unknown as Migration;
  const migration: Migration = {
    version: file.version,
    name: file.name,
    up,
    down,
    ...(checksum === undefined ? {} : { checksum }),
    ...(report === undefined ? {} : { report }),
    ...(requires === undefined ? {} : { requires }),
  };
  checkRegistryRules(file, migration);
  return migration;
}

function importFailure(cause: unknown): string {
  if ((cause as { code?: unknown })?.code === "ERR_UNKNOWN_FILE_EXTENSION") {
    return "this runtime cannot import TypeScript (Node.js does from 22.18, or with " +
      "--experimental-strip-types); run it with Deno or a newer Node.js, or write the migration as .sql";
  }
  const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return `importing it threw ${firstLine(message)}; fix the module so that it imports cleanly`;
}

function fileError(
  file: Pick<MigrationFile, "path" | "version" | "name">,
  line: number | undefined,
  reason: string,
  cause?: unknown,
): MigrationError {
  const where = line === undefined ? file.path : `${file.path}:${line}`;
  const details = Number.isSafeInteger(file.version)
    ? { version: file.version, migrationName: file.name }
    : {};
  return new MigrationError(
    "MIGRATION_FILE_INVALID",
    `Cannot load migration file '${where}': ${reason}`,
    cause === undefined ? details : { ...details, cause },
  );
}

/** The reason of a registry error, without its "Cannot use migration list: " opening. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cannot use migration list: /, "");
}

/** The 1-based line of `statement` in `text`, whose first line is `firstLine`. */
function lineOf(text: string, statement: string, firstLine: number): number {
  const index = Math.max(0, text.indexOf(statement));
  return firstLine + (text.slice(0, index).match(/\n/g)?.length ?? 0);
}

function snakeCase(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function excerpt(statement: string): string {
  const oneLine = statement.replace(/\s+/g, " ");
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}
