/**
 * `new NAME --migrations DIR`: write `DIR/NNN_name.sql` with the next version and empty
 * `-- migrate:up` and `-- migrate:down` sections (dbmate's template), never overwriting a file.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nextMigrationVersion } from "../../db/migrate/migration_directory.ts";
import { migrations } from "../../db/schema/migrations.ts";
import { type CliCommand, type CliFlag, UsageError } from "../cli_command.ts";
import { MIGRATIONS_FLAG } from "../migration_flags.ts";

/** `--migrations DIR`, which `new` requires. */
const NEW_MIGRATIONS_FLAG = { ...MIGRATIONS_FLAG, required: true } as CliFlag<string>;

const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** dbmate's template: both sections, empty; `migrate` refuses the file until `up` holds SQL. */
const TEMPLATE = "-- migrate:up\n\n\n-- migrate:down\n\n";

/** The `new` command; it opens no database. */
export const NEW_COMMAND: CliCommand = {
  name: "new",
  argument: "NAME",
  summary: "write DIR/NNN_name.sql with the next version and empty -- migrate:up and " +
    "-- migrate:down sections, and print its path",
  flags: [NEW_MIGRATIONS_FLAG],
  async run(context) {
    const name = context.argument ?? "";
    if (!SNAKE_CASE.test(name)) {
      const suggestion = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
      throw new UsageError(
        `NAME must be snake_case (lower-case letters and digits joined by _), found '${name}'` +
          (suggestion === "" ? "" : `; try ${suggestion}`),
      );
    }
    const dir = context.get(NEW_MIGRATIONS_FLAG);
    const version = await nextMigrationVersion(dir, { after: migrations });
    const path = join(dir, `${String(version).padStart(3, "0")}_${name}.sql`);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(path, TEMPLATE, { flag: "wx" });
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      throw new Error(`Cannot create '${path}': the file exists already; it was left as it is`, {
        cause: error,
      });
    }
    context.io.out(path);
    return 0;
  },
};
