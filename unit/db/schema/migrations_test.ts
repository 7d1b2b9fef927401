import assert from "node:assert/strict";
import { withMigratedDb } from "../../../fixtures/test_db.ts";
import { diffLines, readFingerprint } from "../../../fixtures/fingerprint.ts";
import { migrations } from "../../../src/db/schema/migrations.ts";
import { migrate, runStatements } from "../../../src/db/migrate/migrator.ts";
import { readSchemaSnapshot } from "../../../src/db/schema/schema_snapshot.ts";

Deno.test("every up runs again without changing the schema or the seeded rows", async () => {
  await withMigratedDb(async (db) => {
    const before = await readFingerprint(db);
    for (const migration of migrations) await runStatements(db, migration, "up");
    const after = await readFingerprint(db);
    assert.equal(diffLines(before.schema, after.schema), "");
    assert.equal(after.data, before.data);
    const seeds = await db.query(
      "SELECT config_key, config_value, total_samples FROM adaptive_config ORDER BY config_key",
    );
    assert.deepEqual(seeds, [
      { config_key: "threshold_explicit", config_value: 0.7, total_samples: 0 },
      { config_key: "threshold_speculative", config_value: 0.85, total_samples: 0 },
      { config_key: "threshold_suggestion", config_value: 0.7, total_samples: 0 },
    ]);
    assert.deepEqual(await migrate(db), { results: [] });
  });
});

Deno.test("down then up of each migration, newest first, returns to the same schema", async () => {
  await withMigratedDb(async (db) => {
    const original = (await readFingerprint(db)).schema;
    for (const migration of [...migrations].reverse()) {
      const before = (await readFingerprint(db)).schema;
      await runStatements(db, migration, "down");
      await runStatements(db, migration, "down");
      await runStatements(db, migration, "up");
      const after = (await readFingerprint(db)).schema;
      assert.equal(
        diffLines(before, after),
        "",
        `down+up of ${migration.version} changed the schema`,
      );
      await runStatements(db, migration, "down");
    }
    for (const migration of migrations) await runStatements(db, migration, "up");
    assert.equal(diffLines(original, (await readFingerprint(db)).schema), "");
  });
});

// The full list of tables is pinned by e2e/01_init_test.ts and the golden snapshot; this proves the cleanup,
// on a database migrated up to 019 (later migrations may add tables).
Deno.test("the schema after 019 has none of the dropped objects, and the quarantine and kept-source tables", async () => {
  await withMigratedDb(async (db) => {
    const snapshot = await readSchemaSnapshot(db);
    const tables = snapshot.tables.map((t) => t.name);
    for (const dropped of ["workflow_dags", "mcp_tool", "mcp_server"]) {
      assert.ok(!tables.includes(dropped), `${dropped} is still there`);
    }
    assert.ok(tables.includes("permission_audit_log_quarantine"));
    assert.ok(tables.includes("tool_dependency_source_kept"));
    assert.equal(tables.length, 18);
    const toolDependency = snapshot.tables.find((t) => t.name === "tool_dependency");
    assert.deepEqual(toolDependency?.columns.map((c) => c.name), [
      "confidence_score",
      "edge_source",
      "edge_type",
      "from_tool_id",
      "last_observed",
      "observed_count",
      "to_tool_id",
    ]);
    const allIndexes = snapshot.tables.flatMap((t) => t.indexes).join("\n");
    assert.doesNotMatch(allIndexes, /idx_tool_dependency_source|mcp_tool|workflow_dags/);
    assert.ok(snapshot.tables.every((t) => t.triggers.length === 0));
  }, { migrations: migrations.filter((m) => m.version <= 19) });
});
