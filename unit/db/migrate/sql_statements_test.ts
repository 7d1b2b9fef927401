import assert from "node:assert/strict";
import { leadingKeywords, splitSqlStatements } from "../../../src/db/migrate/sql_statements.ts";
import { test } from "../../dual_runtime.ts";

test("splitSqlStatements() splits at top-level semicolons and drops empty statements", () => {
  assert.deepEqual(splitSqlStatements("SELECT 1; ;\n SELECT 2;\n"), ["SELECT 1", "SELECT 2"]);
});

test("splitSqlStatements() keeps semicolons inside literals, identifiers and dollar quotes", () => {
  const sql = [
    "INSERT INTO t VALUES ('a;b', 'it''s; fine', E'x\\';y')",
    'CREATE TABLE "odd;name" (id INT)',
    "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$",
    "DO $body$ BEGIN RAISE NOTICE '$$;'; END $body$",
    "SELECT $1::int",
  ].join(";\n");
  assert.deepEqual(splitSqlStatements(sql), sql.split(";\n"));
});

test("splitSqlStatements() ignores semicolons in comments and strips leading comments", () => {
  const sql = "-- first; comment\nSELECT 1; /* block; comment */ SELECT 2; -- trailing; comment";
  assert.deepEqual(splitSqlStatements(sql), ["SELECT 1", "SELECT 2"]);
});

test("splitSqlStatements() treats nested block comments as one comment", () => {
  assert.deepEqual(
    splitSqlStatements(
      "/* outer /* inner; */ still comment; */ SELECT 1; /* a /* b */ */ SELECT 2",
    ),
    ["SELECT 1", "SELECT 2"],
  );
});

test("splitSqlStatements() keeps a nested comment inside a statement and ends an unclosed one at the end", () => {
  assert.deepEqual(
    splitSqlStatements("SELECT /* a; /* b; */ c; */ 1; SELECT 2 /* open /* twice */ still; open"),
    ["SELECT /* a; /* b; */ c; */ 1", "SELECT 2 /* open /* twice */ still; open"],
  );
});

test("leadingKeywords() reads the first words, skipping whitespace and comments", async (t) => {
  const cases: Array<[string, number, string[]]> = [
    ["commit", 1, ["COMMIT"]],
    ["  Start\n\tTransaction ISOLATION LEVEL SERIALIZABLE", 2, ["START", "TRANSACTION"]],
    ["START /* a /* nested */ comment */ -- and a line\n TRANSACTION", 2, ["START", "TRANSACTION"]],
    ["END", 2, ["END"]],
    ["'COMMIT'", 1, []],
    ['"commit"', 1, []],
    ["(SELECT 1)", 2, []],
    ["SELECT $1", 2, ["SELECT"]],
    ["/* only a comment */", 1, []],
    ["", 1, []],
  ];
  for (const [statement, count, expected] of cases) {
    await t.step(JSON.stringify(statement), () => {
      assert.deepEqual(leadingKeywords(statement, count), expected);
    });
  }
});
