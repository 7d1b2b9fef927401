/**
 * The command table: one row per CLI command, in the order the usage lists them. The first row is the
 * default command. Adding a command is its file in `commands/` and one row here; parsing and the usage
 * text follow from the table.
 *
 * @module
 */
import type { CliCommand } from "./cli_command.ts";
import { MIGRATE_COMMAND } from "./commands/migrate.ts";
import { PLAN_COMMAND } from "./commands/plan.ts";
import { STATUS_COMMAND } from "./commands/status.ts";
import { VERIFY_COMMAND } from "./commands/verify.ts";
import { ROLLBACK_COMMAND } from "./commands/rollback.ts";
import { SCHEMA_COMMAND } from "./commands/schema.ts";
import { SERVE_COMMAND } from "./commands/serve.ts";
import { NEW_COMMAND } from "./commands/new.ts";

/**
 * Every command of the CLI; the first is run when none is named.
 *
 * @example Usage
 * ```ts
 * import { COMMANDS } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(COMMANDS[0]?.name, "migrate");
 * ```
 */
export const COMMANDS: readonly CliCommand[] = [
  MIGRATE_COMMAND,
  PLAN_COMMAND,
  STATUS_COMMAND,
  VERIFY_COMMAND,
  ROLLBACK_COMMAND,
  SCHEMA_COMMAND,
  SERVE_COMMAND,
  NEW_COMMAND,
];
