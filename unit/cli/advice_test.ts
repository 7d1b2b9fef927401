import assert from "node:assert/strict";
import { CLI_ADVICE, hintFor } from "../../src/cli/advice.ts";
import { CacheError, type CacheErrorCode } from "../../src/cache/cache_error.ts";
import { DbError, type DbErrorCode } from "../../src/db/client/db_error.ts";
import { MigrationError, type MigrationErrorCode } from "../../src/db/migrate/migration_error.ts";

type LibraryCode = DbErrorCode | MigrationErrorCode | CacheErrorCode;

Deno.test("every library error code has a CLI hint or is listed as needing none", () => {
  // Checked by `deno test`'s type check: a code of the three unions missing from CLI_ADVICE, a key that
  // is no such code, or a map whose entries may be left out, does not compile.
  const everyCode: Readonly<Record<LibraryCode, string | null>> = CLI_ADVICE;
  const onlyCodes: [Exclude<keyof typeof CLI_ADVICE, LibraryCode>] extends [never] ? true : false =
    true;
  assert.ok(onlyCodes);
  for (const [code, hint] of Object.entries(everyCode)) {
    if (hint === null) continue;
    assert.match(hint, /^\S.*\S$/, `${code}: one line, no surrounding space`);
    assert.doesNotMatch(hint, /\n|\.$|^hint:/i, `${code}: a hint is one line, without a full stop`);
  }
});

Deno.test("hintFor() gives the hint of a library error's code, and nothing otherwise", () => {
  assert.equal(
    hintFor(new DbError("DB_LOCKED", "Cannot open database at 'x': it is locked")),
    "pass --wait to wait up to 60 s for it",
  );
  assert.equal(
    hintFor(new DbError("DB_NOT_FOUND", "Cannot open database at 'x': there is no database there")),
    "run `deno task migrate` to create it, or choose another with --db or PML_DB_PATH",
  );
  assert.equal(hintFor(new MigrationError("MIGRATION_DRIFT", "…")), CLI_ADVICE.MIGRATION_DRIFT);
  assert.equal(hintFor(new CacheError("KV_OPEN_FAILED", "…")), CLI_ADVICE.KV_OPEN_FAILED);
  assert.equal(hintFor(new DbError("DB_CLOSED", "PGlite is closed")), undefined);
  assert.equal(hintFor(new TypeError("no code")), undefined);
  assert.equal(hintFor({ code: "ENOENT" }), undefined);
  assert.equal(hintFor({ code: "toString" }), undefined);
  assert.equal(hintFor(null), undefined);
});
