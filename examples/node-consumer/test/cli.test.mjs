// `npx pml-store`: the CLI of `deno task migrate` under Node, with the same output and exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { migrations } from "pml-store";

// Counts and versions come from the registry, so a new migration changes no line here.
const count = migrations.length;
const latest = migrations.at(-1).version;

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
    assert.ok(first.out.includes(`\nApplied ${count} migration(s); now at version ${latest}.\n`));
    const again = pmlStore("migrate", "--db", db);
    assert.ok(again.out.includes(`\nDatabase is up to date at version ${latest}; nothing to apply.\n`));
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

test("npx pml-store migrate --migrations applies a directory's .sql file, and status --json reports it", () => {
  const dir = mkdtempSync(join(tmpdir(), "pml-node-"));
  try {
    const db = join(dir, "db");
    const migrationsDir = join(dir, "migrations");
    const created = pmlStore("new", "create_notes", "--migrations", migrationsDir);
    assert.equal(created.code, 0, created.err);
    const file = created.out.trim();
    assert.equal(file, join(migrationsDir, `${String(latest + 1).padStart(3, "0")}_create_notes.sql`));
    writeFileSync(
      file,
      "-- migrate:up\nCREATE TABLE notes (id INT);\n\n-- migrate:down\nDROP TABLE notes;\n",
    );
    const migrated = pmlStore("migrate", "--db", db, "--migrations", migrationsDir);
    assert.equal(migrated.code, 0, migrated.err);
    assert.ok(migrated.out.includes(`\nApplied ${count + 1} migration(s); now at version ${latest + 1}.\n`));
    const status = pmlStore("status", "--db", db, "--migrations", migrationsDir, "--json");
    assert.equal(status.code, 0, status.err);
    assert.equal(status.err, "");
    const document = JSON.parse(status.out);
    assert.equal(document.currentVersion, latest + 1);
    assert.equal(document.pendingCount, 0);
    const notes = document.migrations.at(-1);
    assert.deepEqual([notes.version, notes.name, notes.state], [latest + 1, "create_notes", "applied"]);
    assert.match(notes.checksum, /^[0-9a-f]{64}$/);
    writeFileSync(join(migrationsDir, `${String(latest + 1).padStart(3, "0")}_twice.sql`), "");
    const bad = pmlStore("status", "--db", db, "--migrations", migrationsDir, "--json");
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.out).error.code, "MIGRATION_FILE_INVALID");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
