// `npx pml-store`: the CLI of `deno task migrate` under Node, with the same output and exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

function pmlStore(...args) {
  const run = spawnSync("npx", ["--no-install", "pml-store", ...args], { encoding: "utf8" });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

test("npx pml-store migrate creates and migrates a data directory, then finds it up to date", () => {
  const dir = mkdtempSync(join(tmpdir(), "pml-node-"));
  try {
    const db = join(dir, "db");
    const first = pmlStore("migrate", "--db", db);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^Database: .*db$/m);
    assert.match(first.out, /^Applied 18 migration\(s\); now at version 19\.$/m);
    const again = pmlStore("migrate", "--db", db);
    assert.match(again.out, /^Database is up to date at version 19; nothing to apply\.$/m);
    const verify = pmlStore("verify", "--db", db);
    assert.deepEqual(verify, {
      code: 0,
      out: "OK: the applied migrations match the code.\n",
      err: "",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npx pml-store fails with one coded line, and with exit code 2 on bad usage", () => {
  const missing = pmlStore("status", "--db", join(tmpdir(), "pml-node-no-such-db"));
  assert.equal(missing.code, 1);
  assert.match(
    missing.err,
    /^error: \[DB_NOT_FOUND\] Cannot open database at '.*pml-node-no-such-db': there is no database there/,
  );
  const bad = pmlStore("frobnicate");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error: unknown command 'frobnicate'/);
  const help = pmlStore("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: deno task migrate/);
});
