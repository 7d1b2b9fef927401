/**
 * Proves that `tool_schema` is the one tool table: apart from the migrations that create (004) and drop
 * (019) the historical duplicate, nothing in `src/`, `fixtures/` or `e2e/` names it.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** The dropped table's name, assembled so that this file does not contain it. */
const LEGACY_TABLE = ["mcp", "tool"].join("_");
const REFERENCE = new RegExp(`\\b${LEGACY_TABLE}\\b`, "i");

const SEARCHED = ["src", "fixtures", "e2e"];

/** The only files allowed to name it: its creation, its removal, and the schema golden copy. */
const ALLOWED = new Set([
  "src/db/schema/migrations/004_mcp_tool_tables.ts",
  "src/db/schema/migrations/019_db_schema_cleanup.ts",
  "fixtures/golden_schema.txt",
]);

async function* files(relative: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(new URL(relative, ROOT))) {
    const path = `${relative}/${entry.name}`;
    if (entry.isDirectory) yield* files(path);
    else if (entry.isFile) yield path;
  }
}

async function referencing(): Promise<string[]> {
  const found: string[] = [];
  for (const directory of SEARCHED) {
    for await (const path of files(directory)) {
      if (REFERENCE.test(await Deno.readTextFile(new URL(path, ROOT)))) found.push(path);
    }
  }
  return found.sort();
}

Deno.test("nothing outside migrations 004 and 019 references the dropped tool table", async () => {
  const found = await referencing();
  assert.deepEqual(found.filter((path) => !ALLOWED.has(path)), []);
});

Deno.test("the reference search finds the migrations that do reference it", async () => {
  // A control: if the pattern or the walk were broken, the test above would pass vacuously.
  const found = await referencing();
  assert.ok(found.includes("src/db/schema/migrations/004_mcp_tool_tables.ts"), found.join(", "));
  assert.ok(found.includes("src/db/schema/migrations/019_db_schema_cleanup.ts"), found.join(", "));
  assert.ok(found.length >= 2);
});

Deno.test("the reference search matches the table name but not longer identifiers", () => {
  assert.ok(REFERENCE.test(`SELECT * FROM ${LEGACY_TABLE} WHERE x = 1`));
  assert.ok(REFERENCE.test(`DROP TABLE "${LEGACY_TABLE.toUpperCase()}"`));
  assert.ok(!REFERENCE.test(`import "./004_${LEGACY_TABLE}_tables.ts"`));
});
