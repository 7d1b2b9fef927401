/**
 * One file of a migration directory, read into a {@linkcode Migration}: a dbmate `.sql` file split at its
 * `-- migrate:up` and `-- migrate:down` markers, or a `.ts` module imported; and the error that names the
 * file (and line) when it is malformed. Private to `migration_directory.ts`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import type { Migration } from "./migration.ts";
import { MigrationError } from "./migration_error.ts";
import { defineMigrations } from "./migration_registry.ts";
import { splitSqlStatements } from "./sql_statements.ts";

/** One migration file, as its name describes it. */
export interface MigrationFile {
  /** The path as read: the directory joined with the file name. */
  readonly path: string;
  readonly fileName: string;
  readonly version: number;
  readonly name: string;
  readonly kind: "sql" | "ts";
}

export const FILE_NAME = /^(\d+)_(.*)\.(sql|ts)$/;
export const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const MARKER = /^--\s*migrate:(\S*)(.*)$/;
const EXPORT_KEYS = ["up", "down", "checksum", "report", "requires", "version", "name"];

export async function readSqlMigration(file: MigrationFile): Promise<Migration> {
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

export async function importCodeMigration(file: MigrationFile): Promise<Migration> {
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

export function fileError(
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
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cannot use migration list: /, "");
}

/** The 1-based line of `statement` in `text`, whose first line is `firstLine`. */
function lineOf(text: string, statement: string, firstLine: number): number {
  const index = Math.max(0, text.indexOf(statement));
  return firstLine + (text.slice(0, index).match(/\n/g)?.length ?? 0);
}

export function snakeCase(text: string): string {
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
