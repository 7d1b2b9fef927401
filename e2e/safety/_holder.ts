/**
 * A process that opens the database at its first argument, writes a row, prints `ready`, and keeps the
 * database open until its stdin closes; then it checks its row is intact and prints `intact` before closing.
 * The safety tests use it as "another process that has the database open"; it runs under Deno and, compiled,
 * under Node (the cross-runtime lock test).
 *
 * @module
 */
import process from "node:process";
import { openDatabase } from "../../src/db/open_database.ts";
import { migrate } from "../../src/db/migrate/migrator.ts";

const db = await openDatabase({ path: process.argv[2] });
const { error } = await migrate(db);
if (error !== undefined) throw error;
await db.exec(
  "CREATE SCHEMA IF NOT EXISTS holder; CREATE TABLE IF NOT EXISTS holder.rows (id INT PRIMARY KEY)",
);
await db.query("INSERT INTO holder.rows VALUES ($1) ON CONFLICT DO NOTHING", [process.pid]);
console.log("ready");
for await (const _ of process.stdin) {
  // Wait for the test to close stdin.
}
const row = await db.queryOne("SELECT id FROM holder.rows WHERE id = $1", [process.pid]);
console.log(row === null ? "lost" : "intact");
await db.close();
