/**
 * The CLI's advice for the library's errors, in one place. Library messages say what went wrong and what
 * to do in the library's terms (`directoryLockTimeoutMs`); the CLI adds one hint in its own terms
 * (`--wait`, `--db`, `deno task migrate`) on the line after the error.
 *
 * @module
 */
import type { CacheErrorCode } from "../cache/cache_error.ts";
import type { DbErrorCode } from "../db/client/db_error.ts";
import type { MigrationErrorCode } from "../db/migrate/migration_error.ts";

/** Every stable code of the library's errors. */
export type LibraryErrorCode = DbErrorCode | MigrationErrorCode | CacheErrorCode;

const CHOOSE_DB = "choose another with --db or PML_DB_PATH";

/**
 * One hint per code, or `null` for a code that needs none: the library's message says all there is to
 * say, or the CLI cannot meet the error (a closed client, a workflow state it never reads). The type
 * lists every code, so a new code does not compile until it is given a hint or `null` here.
 */
export const CLI_ADVICE: Readonly<Record<LibraryErrorCode, string | null>> = {
  DB_OPEN_FAILED: "check the data directory or server URL given by --db or PML_DB_PATH",
  DB_LOCKED: "pass --wait to wait up to 60 s for it",
  DB_NOT_FOUND: `run \`deno task migrate\` to create it, or ${CHOOSE_DB}`,
  DB_PATH_INVALID:
    "give --db or PML_DB_PATH a data directory, memory://, or postgres://user:pass@host:port/db",
  DB_HALF_INITIALIZED: "remove the directory, then run `deno task migrate` to create it afresh",
  DB_VERSION_MISMATCH: CHOOSE_DB,
  DB_DAMAGED:
    "restore it from a backup, or move it aside and run `deno task migrate` to start a new one",
  DB_PERMISSION_DENIED: CHOOSE_DB,
  DB_CLOSED: null,
  DB_QUERY_FAILED: null,
  DB_TRANSACTION_ENDED: null,
  MIGRATION_REGISTRY_INVALID: null,
  MIGRATION_FILE_INVALID:
    "nothing was applied; fix the file, then `deno task migrate plan --migrations DIR` shows what would run",
  MIGRATION_FAILED:
    "the migrations before it stay applied; fix the cause, then run `deno task migrate` again",
  MIGRATION_DRIFT:
    "`deno task migrate verify` lists every difference between the database and the code",
  MIGRATION_LOCK_TIMEOUT:
    "when the other migrator has finished, run `deno task migrate` again (`deno task migrate status` shows where it left the database)",
  MIGRATION_REQUIREMENT_MISSING: null,
  MIGRATION_TARGET_INVALID: "`deno task migrate rollback --to N` goes down to version N",
  ROLLBACK_TARGET_INVALID: null, // its message lists the applied versions
  MIGRATION_NOT_IDEMPOTENT: null,
  MIGRATION_DATA_INVALID: "then run `deno task migrate` again, which moves the remaining rows",
  KV_OPEN_FAILED:
    "PML_KV_PATH names the Deno KV file (default .pml/kv.db); point it at another file",
  KV_BUSY:
    "give each process its own PML_KV_PATH, or run `deno task migrate` when the other is done",
  CACHE_ENTRY_CORRUPT: null,
  WORKFLOW_STATE_NOT_FOUND: null,
  WORKFLOW_STATE_CONFLICT: null,
  WORKFLOW_STATE_TOO_LARGE: null,
};

/**
 * The CLI's hint for `error`, when its `code` has one.
 *
 * @example Usage
 * ```ts
 * import { hintFor } from "./advice.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hintFor({ code: "DB_LOCKED" }), "pass --wait to wait up to 60 s for it");
 * assert.equal(hintFor({ code: "DB_CLOSED" }), undefined);
 * assert.equal(hintFor(new Error("no code")), undefined);
 * ```
 */
export function hintFor(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !Object.hasOwn(CLI_ADVICE, code)) return undefined;
  return CLI_ADVICE[code as LibraryErrorCode] ?? undefined;
}
