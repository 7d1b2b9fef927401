/**
 * The PGlite implementation of {@linkcode DbClient}: an embedded, in-process PostgreSQL with pgvector, in
 * memory or in a data directory.
 *
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { DbClient, QueryParam, Row } from "./db_client.ts";
import { DbError } from "./db_error.ts";
import {
  assertDatabasePath,
  describe,
  MEMORY_PATH as MEMORY,
  openDataDirectory,
} from "../embedded/data_directory.ts";
import { CLUSTER_TEMPLATE, startFromTemplate } from "../embedded/template_cache.ts";
import { pgliteOptions } from "../embedded/pglite_options.ts";

/**
 * The path that selects an in-memory database.
 *
 * @example Usage
 * ```ts
 * import { MEMORY_PATH } from "./pglite_client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MEMORY_PATH, "memory://");
 * ```
 */
export const MEMORY_PATH: string = MEMORY;

/** Options of {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * `"memory://"` for an in-memory database, or the path of a data directory. Other URLs and the empty
   * string are refused (`DB_PATH_INVALID`).
   *
   * @default {"memory://"}
   */
  path?: string;
  /**
   * Whether a missing path or an empty directory becomes a new database. With `false` such a path is
   * refused with `DB_NOT_FOUND` and nothing is created (the CLI's read-only commands use this).
   *
   * @default {true}
   */
  create?: boolean;
  /**
   * How long to wait, in milliseconds, when another opener holds the data directory's lock. `0` fails
   * at once with `DB_LOCKED`.
   *
   * @default {0}
   */
  lockTimeoutMs?: number;
}

/** A PGlite instance with pgvector loaded. */
export type PgliteWithVector = PGlite;

/**
 * Opens an embedded PostgreSQL database with the pgvector extension available (migration 001 creates it).
 *
 * A data directory is opened by one opener at a time: it is locked (an exclusive `flock` on
 * `<path>.lock`, released by `close()` or when the process dies) and a second opener, in this process or
 * another, gets `DB_LOCKED` naming the holder, unless `lockTimeoutMs` lets it wait. A new data directory is
 * initialised in a sibling directory and renamed into place, so a crash never leaves half a cluster.
 *
 * A new database (in memory, or a new data directory) starts from a cached, already initialised cluster
 * instead of running initdb, which takes about three times as long. The cache lives in
 * `$PML_TEMPLATE_CACHE_DIR`, by default `pml-store-cache` in the system temp directory (`$TMPDIR`, else
 * `/tmp`); its entries are keyed by the PGlite and pgvector versions, and one found damaged is rebuilt
 * with a warning on stderr. It is safe to delete at any time; `PML_TEMPLATE_CACHE=off` turns it off, and
 * so does running without permission to read the environment. Clusters made from one template share
 * PostgreSQL's system identifier, which only physical replication looks at.
 *
 * @throws {DbError} `DB_PATH_INVALID`, `DB_LOCKED`, `DB_NOT_FOUND` (with `create: false`),
 * `DB_HALF_INITIALIZED`, `DB_VERSION_MISMATCH`, `DB_DAMAGED`, `DB_PERMISSION_DENIED`, `DB_OPEN_FAILED`;
 * each message names the path, what is wrong and what to do.
 *
 * @example In memory
 * ```ts
 * import { openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: "memory://" });
 * assert.deepEqual(await db.query("SELECT 1 AS one"), [{ one: 1 }]);
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DbClient> {
  return new PgliteClient(await openPglite(options.path ?? MEMORY_PATH, options), { owner: true });
}

/**
 * Starts a raw PGlite instance with pgvector, with the same checks and the same lock as
 * {@linkcode openDatabase} (the lock is released when the instance is closed). For code that needs PGlite
 * itself, such as the test harness.
 *
 * @throws {DbError} As {@linkcode openDatabase}.
 *
 * @example A path that is a file is refused before PGlite starts
 * ```ts
 * import { DbError } from "@pml/store";
 * import { openPglite } from "./pglite_client.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * const error = await openPglite(file).catch((e) => e);
 * assert.ok(error instanceof DbError);
 * assert.equal(error.code, "DB_OPEN_FAILED");
 * await Deno.remove(file);
 * ```
 */
export async function openPglite(
  path: string = MEMORY_PATH,
  options: Omit<OpenDatabaseOptions, "path"> = {},
): Promise<PGlite> {
  assertDatabasePath(path);
  if (path !== MEMORY_PATH) return await openDataDirectory(path, options);
  try {
    return await startFromTemplate(
      CLUSTER_TEMPLATE,
      [],
      () => PGlite.create(pgliteOptions("database")),
    );
  } catch (cause) {
    throw inMemoryStartError("database", cause);
  }
}

/**
 * The `DB_OPEN_FAILED` error of an in-memory PGlite that failed to start, for `what` ("database", or
 * the test harness's), naming the likely causes. Private to pml-store: the harness throws it too.
 */
export function inMemoryStartError(what: string, cause: unknown): DbError {
  const reason = `PGlite failed to start (${describe(cause)})`;
  const advice =
    "check that the process has about 200 MB of memory to spare and that @electric-sql/pglite is fully installed";
  return new DbError("DB_OPEN_FAILED", `Cannot open ${what} in memory: ${reason}; ${advice}`, {
    cause,
  });
}

/**
 * Wraps an already open PGlite instance as a {@linkcode DbClient}. With `owner` false (the default),
 * `close()` only ends this client and leaves the instance open for whoever created it.
 *
 * @example Sharing one instance
 * ```ts
 * import { openPglite, pgliteClient } from "./pglite_client.ts";
 * import assert from "node:assert/strict";
 *
 * const pg = await openPglite();
 * const db = pgliteClient(pg);
 * assert.deepEqual(await db.query("SELECT 2 AS two"), [{ two: 2 }]);
 * await db.close();
 * assert.equal(pg.closed, false);
 * await pg.close();
 * ```
 */
export function pgliteClient(pg: PGlite, options: { owner?: boolean } = {}): DbClient {
  return new PgliteClient(pg, { owner: options.owner ?? false });
}

/**
 * Wraps an open PGlite transaction as a {@linkcode DbClient} that behaves like a connection of its own:
 * `transaction()` on it creates savepoints, and each statement run directly on it is guarded by a savepoint,
 * so a failing statement does not abort the surrounding transaction (as it would not on an autocommit
 * connection). `openSavepoints()` tells how many `transaction()` calls are still running, so the holder of
 * the transaction (the test harness) can detect work that was started and never finished.
 *
 * @example Inside a transaction that is rolled back
 * ```ts
 * import { openPglite, pgliteTransactionClient } from "./pglite_client.ts";
 * import assert from "node:assert/strict";
 *
 * const pg = await openPglite();
 * await pg.transaction(async (tx) => {
 *   const { client, openSavepoints } = pgliteTransactionClient(tx);
 *   await client.query("SELECT * FROM missing").catch(() => {});  // undone alone
 *   assert.deepEqual(await client.query("SELECT 1 AS one"), [{ one: 1 }]);
 *   assert.equal(openSavepoints(), 0);
 *   await tx.rollback();
 * });
 * await pg.close();
 * ```
 */
export function pgliteTransactionClient(
  tx: Transaction,
): { client: DbClient; openSavepoints: () => number } {
  const state = { savepoints: 0, created: 0 };
  return {
    client: new PgliteClient(tx, { transaction: state, guardStatements: true }),
    openSavepoints: () => state.savepoints,
  };
}

type Executor = PGlite | Transaction;

/** Savepoint bookkeeping shared by every client of one outer transaction. */
interface TransactionState {
  /** `transaction()` calls started and not yet finished (running or waiting their turn). */
  savepoints: number;
  /** Savepoints created so far, for unique names. */
  created: number;
}

/** How a {@linkcode PgliteClient} relates to its executor. */
interface ClientOptions {
  /** Whether `close()` closes the PGlite instance too (default false). */
  owner?: boolean;
  /** The savepoint bookkeeping of the outer transaction this client runs in, if any. */
  transaction?: TransactionState;
  /** Whether each statement runs under its own savepoint, so a failure does not abort the transaction. */
  guardStatements?: boolean;
}

/** Runs the functions given to {@linkcode Serial.run} one at a time, in call order. */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<R>(fn: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(fn);
    // The next caller waits for this one to settle, whichever way; its failure is reported to its own caller.
    this.#tail = result.catch(() => {});
    return result;
  }
}

class PgliteClient implements DbClient {
  #executor: Executor;
  #owner: boolean;
  #transaction: TransactionState | undefined;
  #guardStatements: boolean;
  // Savepoints form a stack inside one PostgreSQL transaction, and a guarded statement's SAVEPOINT/RELEASE
  // pair must not interleave with another's, so both take turns on this client (under Promise.all, say).
  // Two queues, not one: a callback given to transaction() may still run statements on this client, and
  // with one queue they would wait for the transaction that is waiting for them.
  #siblings = new Serial();
  #statements = new Serial();
  #closed = false;

  constructor(executor: Executor, options: ClientOptions = {}) {
    this.#executor = executor;
    this.#owner = options.owner ?? false;
    this.#transaction = options.transaction;
    this.#guardStatements = options.guardStatements ?? false;
  }

  get closed(): boolean {
    return this.#closed || this.#executor.closed;
  }

  async query<T extends Row = Row>(sql: string, params: readonly QueryParam[] = []): Promise<T[]> {
    this.#assertUsable("run a query");
    const result = await this.#run(sql, () => this.#executor.query<T>(sql, [...params]));
    return result.rows;
  }

  async queryOne<T extends Row = Row>(
    sql: string,
    params: readonly QueryParam[] = [],
  ): Promise<T | null> {
    const rows = await this.query<T>(sql, params);
    return rows[0] ?? null;
  }

  // `extra` exists only to reject parameters from untyped callers: exec() runs multi-statement text, which
  // PostgreSQL cannot parameterise, so dropping them silently would run different SQL than intended.
  async exec(sql: string, ...extra: never[]): Promise<void> {
    if (extra.length > 0) {
      throw new TypeError(
        `Cannot run SQL with exec(): it takes no parameters, found ${extra.length}; use query() instead`,
      );
    }
    this.#assertUsable("run SQL");
    await this.#run(sql, () => this.#executor.exec(sql));
  }

  async #run<R>(sql: string, run: () => Promise<R>): Promise<R> {
    if (!this.#guardStatements) {
      try {
        return await run();
      } catch (cause) {
        throw queryError(sql, cause);
      }
    }
    return await this.#statements.run(() => this.#guarded(sql, run));
  }

  async #guarded<R>(sql: string, run: () => Promise<R>): Promise<R> {
    const tx = this.#executor;
    await tx.exec("SAVEPOINT pml_statement");
    try {
      const result = await run();
      await tx.exec("RELEASE SAVEPOINT pml_statement");
      return result;
    } catch (cause) {
      const error = queryError(sql, cause);
      try {
        await tx.exec("ROLLBACK TO SAVEPOINT pml_statement; RELEASE SAVEPOINT pml_statement");
      } catch (cleanup) {
        // The statement's own error stays the one reported; the failed clean-up (the statement ended the
        // transaction, say) is attached to it.
        error.message += `; then undoing it failed too: ${(cleanup as Error).message}`;
      }
      throw error;
    }
  }

  transaction<T>(fn: (tx: DbClient) => Promise<T>): Promise<T> {
    this.#assertUsable("start a transaction");
    const executor = this.#executor;
    if (executor instanceof PGlite) {
      return executor.transaction((tx) => {
        const state = { savepoints: 0, created: 0 };
        const client = new PgliteClient(tx, { transaction: state });
        return fn(client).finally(() => client.#end());
      });
    }
    return this.#savepoint(executor, fn);
  }

  async #savepoint<T>(tx: Transaction, fn: (tx: DbClient) => Promise<T>): Promise<T> {
    const state = this.#transaction ?? { savepoints: 0, created: 0 };
    // Counted while waiting its turn too, so the harness sees work that was started and never finished.
    state.savepoints += 1;
    // A call nested inside `fn` uses the inner client, so it does not wait for this one.
    const client = new PgliteClient(tx, { transaction: state });
    try {
      return await this.#siblings.run(() => this.#inSavepoint(tx, state, client, fn));
    } finally {
      client.#end();
      state.savepoints -= 1;
    }
  }

  async #inSavepoint<T>(
    tx: Transaction,
    state: TransactionState,
    client: DbClient,
    fn: (tx: DbClient) => Promise<T>,
  ): Promise<T> {
    state.created += 1;
    const name = `pml_sp_${state.created}`;
    await control(tx, `SAVEPOINT ${name}`);
    try {
      const result = await fn(client);
      await control(tx, `RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      if (!tx.closed) {
        await control(tx, `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
      }
      throw error;
    }
  }

  #end(): void {
    this.#closed = true;
  }

  #assertUsable(action: string): void {
    if (this.#executor.closed) {
      const what = this.#executor instanceof PGlite
        ? "the database is closed"
        : "its transaction has ended";
      throw new DbError(
        this.#executor instanceof PGlite ? "DB_CLOSED" : "DB_TRANSACTION_ENDED",
        `Cannot ${action}: ${what}`,
      );
    }
    if (this.#closed) {
      const transactional = this.#transaction !== undefined || !(this.#executor instanceof PGlite);
      throw new DbError(
        transactional ? "DB_TRANSACTION_ENDED" : "DB_CLOSED",
        `Cannot ${action}: ${
          transactional
            ? "the transaction this client belongs to has ended"
            : "the client is closed"
        }`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owner && this.#executor instanceof PGlite && !this.#executor.closed) {
      await this.#executor.close();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Runs transaction-control SQL, reporting a failure like any other statement. */
async function control(tx: Transaction, sql: string): Promise<void> {
  try {
    await tx.exec(sql);
  } catch (cause) {
    throw queryError(sql, cause);
  }
}

function queryError(sql: string, cause: unknown): DbError {
  const fields = cause as { code?: unknown; constraint?: unknown };
  const details: { sql: string; cause: unknown; sqlState?: string; constraint?: string } = {
    sql,
    cause,
  };
  if (typeof fields?.code === "string") details.sqlState = fields.code;
  if (typeof fields?.constraint === "string") details.constraint = fields.constraint;
  return new DbError("DB_QUERY_FAILED", `Cannot run query: ${describe(cause)}`, details);
}
