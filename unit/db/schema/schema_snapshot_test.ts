import assert from "node:assert/strict";
import { withFastDb } from "../../../fixtures/test_db.ts";
import {
  formatSchemaSnapshot,
  readSchemaSnapshot,
} from "../../../src/db/schema/schema_snapshot.ts";
import { test } from "../../dual_runtime.ts";

test("readSchemaSnapshot() lists sequences, views, functions and types, not extension objects", async () => {
  await withFastDb(async (db) => {
    const before = await readSchemaSnapshot(db);
    assert.deepEqual(before.objects, [
      "sequence error_log_id_seq: integer start 1 increment 1",
      "sequence metrics_id_seq: integer start 1 increment 1",
    ]);
    await db.exec(`
      CREATE TYPE mood AS ENUM ('calm', 'busy');
      CREATE DOMAIN score AS REAL CHECK (VALUE >= 0);
      CREATE VIEW recent_errors AS SELECT id, message FROM error_log WHERE id > 10;
      CREATE FUNCTION double_it(x INTEGER) RETURNS INTEGER LANGUAGE sql AS 'SELECT x * 2';
    `);
    const after = await readSchemaSnapshot(db);
    assert.deepEqual(after.objects, [
      "function double_it(x integer) returns integer",
      "sequence error_log_id_seq: integer start 1 increment 1",
      "sequence metrics_id_seq: integer start 1 increment 1",
      "type mood: enum ('calm', 'busy')",
      "type score: domain over real",
      "view recent_errors: SELECT id, message FROM error_log WHERE (id > 10);",
    ]);
    assert.match(formatSchemaSnapshot(after), /^function double_it\(x integer\) returns integer$/m);
  });
});
