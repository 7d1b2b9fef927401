// pml-store's fixtures as this package's own test fixtures, under node:test.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  assertMigrationsIdempotent,
  closeTestDatabases,
  createKvFixture,
  FIXTURE_TOOLS,
  seedToolSchemas,
  withFastDb,
  withMigratedDb,
} from "pml-store/fixtures";
import { getWorkflowState, saveWorkflowState, WORKFLOW_STATE_TTL_MS } from "pml-store";

// The shared databases would keep the test process alive after its tests: close them at the end.
after(() => closeTestDatabases());

test("withMigratedDb replays 001-019 in the test and proves the second run idempotent", async () => {
  await withMigratedDb(async (db) => {
    const rows = await db.query("SELECT version FROM migrations_history ORDER BY version");
    assert.equal(rows.length, 18);
    assert.equal(rows.at(-1).version, 19);
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
