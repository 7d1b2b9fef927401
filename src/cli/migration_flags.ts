/**
 * The flags of the migration commands: `--migrations DIR` (a package's own migrations after pml-store's),
 * `--to N` (the version to stop at) and `--json` (one JSON document on stdout).
 *
 * @module
 */
import { resolve } from "node:path";
import { type CliFlag, switchFlag, UsageError, valueFlag } from "./cli_command.ts";

/**
 * `--migrations DIR`: a directory of `NNN_name.sql` and `NNN_name.ts` migrations that come after
 * pml-store's own, resolved against the working directory; `undefined` when absent.
 *
 * @example Usage
 * ```ts
 * import { MIGRATIONS_FLAG } from "./migration_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const io = { out() {}, err() {}, env: () => undefined, cwd: "/srv/app" };
 * assert.equal(MIGRATIONS_FLAG.read("db/migrations", io), "/srv/app/db/migrations");
 * assert.equal(MIGRATIONS_FLAG.read(undefined, io), undefined);
 * ```
 */
export const MIGRATIONS_FLAG: CliFlag<string | undefined> = valueFlag({
  name: "migrations",
  value: "DIR",
  description: "add the migrations of DIR (NNN_name.sql with -- migrate:up and -- migrate:down " +
    "sections, NNN_name.ts exporting { up, down, checksum }) after pml-store's own",
  read(given, io) {
    if (given === undefined) return undefined;
    if (given.trim() === "") throw new UsageError("--migrations is empty; give a directory");
    return resolve(io.cwd, given);
  },
});

/**
 * `--to N`: the version to stop at, a non-negative integer; `undefined` when absent. `rollback` lists
 * its own required copy.
 *
 * @example Usage
 * ```ts
 * import { TO_FLAG } from "./migration_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const io = { out() {}, err() {}, env: () => undefined, cwd: "." };
 * assert.equal(TO_FLAG.read("12", io), 12);
 * assert.throws(() => TO_FLAG.read("-1", io), /--to must be a non-negative integer version/);
 * ```
 */
export const TO_FLAG: CliFlag<number | undefined> = valueFlag({
  name: "to",
  value: "N",
  description: "the version to stop at; migrate and plan go up to it, rollback goes back down to " +
    "it (0 reverts everything)",
  read(given) {
    if (given === undefined) return undefined;
    if (!/^\d+$/.test(given) || !Number.isSafeInteger(Number(given))) {
      throw new UsageError(`--to must be a non-negative integer version, found '${given}'`);
    }
    return Number(given);
  },
});

/** `--json`: exactly one JSON document on stdout, the error included; progress goes to stderr. */
export const JSON_FLAG: CliFlag<boolean> = switchFlag(
  "json",
  'print one JSON document on stdout, a failure as { "error": { "code", "message" } } with the ' +
    "same exit code; progress goes to stderr",
);
