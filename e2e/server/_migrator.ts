/**
 * Test support: a migrator process. Applies the NOTES migrations to the database at `Deno.args[0]` and
 * prints the versions it applied as JSON; exits 1 with the error when the run failed.
 *
 * @module
 */
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { HANG_MS } from "./child_process.ts";
import { migrate } from "../../src/db/migrate/migrator.ts";
import { NOTES } from "./notes.ts";

const db = await openPostgres(Deno.args[0]!, { connectTimeoutMs: HANG_MS });
try {
  const { results, error } = await migrate(db, { migrations: NOTES });
  if (error !== undefined) {
    console.error(`error: [${error.code}] ${error.message}`);
    Deno.exitCode = 1;
  } else {
    console.log(JSON.stringify(results.map((r) => r.version)));
  }
} finally {
  await db.close();
}
