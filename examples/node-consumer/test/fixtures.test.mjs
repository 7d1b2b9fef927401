// pml-store's fixtures as this package's own test fixtures, under node:test.
import assert from "node:assert/strict";
import { after, test } from "node:test";
// The parts of the fixtures, and all of them together: both share one set of databases.
import { assertMigrationsIdempotent, withFastDb, withMigratedDb } from "pml-store/fixtures/db";
import { createKvFixture } from "pml-store/fixtures/kv";
import { FIXTURE_TOOLS, seedToolSchemas } from "pml-store/fixtures/mcp";
import { closeTestDatabases } from "pml-store/fixtures";
import {
  getWorkflowState,
  migrate,
  migrations,
  rollback,
  saveWorkflowState,
  WORKFLOW_STATE_TTL_MS,
} from "pml-store";

// The shared databases would keep the test process alive after its tests: close them at the end.
after(() => closeTestDatabases());

test("withMigratedDb replays every migration in the test and proves the second run idempotent", async () => {
  await withMigratedDb(async (db) => {
    const rows = await db.query("SELECT version FROM migrations_history ORDER BY version");
    assert.deepEqual(rows.map((r) => r.version), migrations.map((m) => m.version));
    await db.query("INSERT INTO config (key, value) VALUES ($1, $2)", ["mode", "node"]);
  });
  await withMigratedDb(async (db) => {
    assert.deepEqual(await db.query("SELECT key FROM config WHERE key = 'mode'"), []);
  });
});

test("withFastDb starts at the latest migration", async () => {
  await withFastDb(async (db) => {
    const row = await db.queryOne("SELECT count(*)::int AS n FROM adaptive_config");
    assert.equal(row.n, 3);
  });
});

test("assertMigrationsIdempotent proves a migration of this package", async () => {
  const report = await assertMigrationsIdempotent([
    {
      version: 1,
      name: "create_notes",
      up: "CREATE TABLE IF NOT EXISTS notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL);",
      down: "DROP TABLE IF EXISTS notes;",
    },
  ]);
  assert.equal(report.applied, 1);
  await assert.rejects(
    assertMigrationsIdempotent([
      { version: 1, name: "not_rerunnable", up: "CREATE TABLE n (id INT);", down: "DROP TABLE n;" },
    ]),
    { code: "MIGRATION_NOT_IDEMPOTENT" },
  );
});

test("createKvFixture: the fake clock drives the one-hour expiry", async () => {
  const kv = await createKvFixture();
  try {
    await saveWorkflowState("wf-node", { tasks: [] }, "from node");
    kv.clock.advance(WORKFLOW_STATE_TTL_MS - 1);
    assert.deepEqual(await getWorkflowState("wf-node"), { tasks: [] });
    kv.clock.advance(1);
    assert.equal(await getWorkflowState("wf-node"), null);
  } finally {
    await kv[Symbol.asyncDispose]();
  }
});

test("seedToolSchemas fills tool_schema, the one tool table", async () => {
  await withFastDb(async (db) => {
    await seedToolSchemas(db);
    const rows = await db.query("SELECT tool_id FROM tool_schema ORDER BY tool_id");
    assert.deepEqual(
      rows.map((r) => r.tool_id),
      FIXTURE_TOOLS.map((t) => `${t.serverId}:${t.name}`).sort(),
    );
  });
});

test("a package's own migration after pml-store's: withFastDb from the state before it, then a code migration", async () => {
  const latest = migrations.at(-1).version;
  const notes = {
    version: latest + 1,
    name: "tool_note",
    up: "CREATE TABLE IF NOT EXISTS tool_note (tool_id TEXT PRIMARY KEY REFERENCES tool_schema (tool_id), note TEXT);",
    down: "DROP TABLE IF EXISTS tool_note;",
  };
  const fill = {
    version: latest + 2,
    name: "fill_tool_note",
    up: async (db) => {
      await db.exec("INSERT INTO tool_note SELECT tool_id, 'seen' FROM tool_schema ON CONFLICT DO NOTHING");
    },
    down: "DELETE FROM tool_note;",
    checksum: "fill_tool_note-1",
  };
  const list = [...migrations, notes, fill];
  await withFastDb(async (db) => {
    await seedToolSchemas(db);
    const { error } = await migrate(db, { migrations: list });
    assert.equal(error, undefined);
    const [{ n }] = await db.query("SELECT count(*)::int AS n FROM tool_note");
    assert.equal(n, FIXTURE_TOOLS.length);
    assert.equal((await rollback(db, { migrations: list, to: latest })).error, undefined);
    const [{ t }] = await db.query("SELECT to_regclass('tool_note')::text AS t");
    assert.equal(t, null);
  }, { migrations: list, version: latest + 1 });
});
