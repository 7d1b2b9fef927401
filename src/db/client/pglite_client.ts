/**
 * The PGlite implementation of {@linkcode DbClient}: an embedded, in-process PostgreSQL. Opening one (in
 * memory or in a data directory) is `../embedded/open_embedded.ts`'s job; this wraps an open instance.
 *
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { DbClient, QueryParam, Row } from "./db_client.ts";
import { DbError, describeCause } from "./db_error.ts";
import { Serial } from "./serial.ts";

/**
 * Wraps an already open PGlite instance as a {@linkcode DbClient}. With `owner` false (the default),
 * `close()` only ends this client and leaves the instance open for whoever created it.
 *
 * @example Sharing one instance
 * ```ts
 * import { pgliteClient } from "./pglite_client.ts";
 * import { openPglite } from "../embedded/open_embedded.ts";
 * import assert from "node:assert/strict";
 *
 * const pg = await openPglite("memory://");
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

type Executor = PGlite | Transaction;

/** Savepoint bookkeeping shared by every client of one outer transaction. */
interface TransactionState {
  /** Savepoints created so far, for unique names. */
  created: number;
}

/** How a {@linkcode PgliteClient} relates to its executor. */
interface ClientOptions {
  /** Whether `close()` closes the PGlite instance too (default false). */
  owner?: boolean;
  /** The savepoint bookkeeping of the outer transaction this client runs in, if any. */
  transaction?: TransactionState;
}

class PgliteClient implements DbClient {
  #executor: Executor;
  #owner: boolean;
  #transaction: TransactionState | undefined;
  // Savepoints form a stack inside one PostgreSQL transaction, so sibling transaction() calls on this
  // client (under Promise.all, say) take turns.
  #siblings = new Serial();
  #closed = false;
  /** PGlite has one backend session: see {@linkcode DbClient.sharedSession}. */
  readonly sharedSession: boolean = true;

  constructor(executor: Executor, options: ClientOptions = {}) {
    this.#executor = executor;
    this.#owner = options.owner ?? false;
    this.#transaction = options.transaction;
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
    try {
      return await run();
    } catch (cause) {
      throw queryError(sql, cause);
    }
  }

  transaction<T>(fn: (tx: DbClient) => Promise<T>): Promise<T> {
    this.#assertUsable("start a transaction");
    const executor = this.#executor;
    if (executor instanceof PGlite) {
      return executor.transaction((tx) => {
        const state = { created: 0 };
        const client = new PgliteClient(tx, { transaction: state });
        return fn(client).finally(() => client.#end());
      });
    }
    return this.#savepoint(executor, fn);
  }

  async #savepoint<T>(tx: Transaction, fn: (tx: DbClient) => Promise<T>): Promise<T> {
    const state = this.#transaction ?? { created: 0 };
    // A call nested inside `fn` uses the inner client, so it does not wait for this one.
    const client = new PgliteClient(tx, { transaction: state });
    try {
      return await this.#siblings.run(() => this.#inSavepoint(tx, state, client, fn));
    } finally {
      client.#end();
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
  return new DbError("DB_QUERY_FAILED", `Cannot run query: ${describeCause(cause)}`, details);
}
