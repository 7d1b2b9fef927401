/**
 * The narrow database interface every module of pml-store depends on.
 *
 * Code takes a {@linkcode DbClient} as a parameter instead of a concrete PGlite instance, so tests can pass
 * the harness's isolated database and other runtimes can supply their own implementation.
 *
 * @module
 */

/** A row returned by a query: column name to parsed value. */
export type Row = Record<string, unknown>;

/** Parameter values accepted by {@linkcode DbClient.query}. */
export type QueryParam =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | Uint8Array
  | unknown[]
  | object;

/**
 * A connection to a PostgreSQL-compatible database.
 *
 * @example Any client: here the test harness's isolated database
 * ```ts
 * import type { DbClient } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * async function answer(db: DbClient): Promise<number | undefined> {
 *   const row = await db.queryOne<{ answer: number }>("SELECT 42 AS answer");
 *   return row?.answer;
 * }
 * await withFastDb(async (db) => assert.equal(await answer(db), 42));
 * ```
 */
export interface DbClient {
  /** Runs one statement with `$1`-style parameters and returns all rows. */
  query<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<T[]>;
  /** Runs one statement and returns the first row, or `null` when there is none. */
  queryOne<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<T | null>;
  /**
   * Runs SQL text that may hold several statements. It takes no parameters: use
   * {@linkcode DbClient.query} for parameterised SQL.
   */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when `fn` resolves, rolled back when it throws. A call made on
   * the client passed to `fn` (or on a client already inside a transaction) becomes a savepoint.
   */
  transaction<T>(fn: (tx: DbClient) => Promise<T>): Promise<T>;
  /** Closes the connection; any later call fails with a `DbClosedError`. Closing twice is harmless. */
  close(): Promise<void>;
  /** Whether {@linkcode DbClient.close} was called. */
  readonly closed: boolean;
  /**
   * Whether every connection of the backend shares one session: true for PGlite, in process or served
   * over the wire, where a session advisory lock excludes nobody and a transaction runs alone; false for
   * a PostgreSQL server, where the migration runner takes an advisory lock. Known once, at connect.
   */
  readonly sharedSession: boolean;
  /** Same as {@linkcode DbClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
