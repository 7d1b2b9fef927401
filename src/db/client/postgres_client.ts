/**
 * The PostgreSQL-server implementation of {@linkcode DbClient}, over the wire protocol with `postgres`
 * (postgres.js). Same contract as the PGlite client: `$1` parameters, `exec` of multi-statement text
 * without parameters, transactions with savepoints, an explicit lifecycle, and `DbError` codes.
 *
 * @module
 */
import type postgres from "postgres";
import type { DbClient, QueryParam, Row } from "./db_client.ts";
import { DbError } from "./db_error.ts";
import { Serial } from "./serial.ts";

/** Options of {@linkcode openPostgres}. */
export interface OpenPostgresOptions {
  /**
   * How long to wait for the server to accept the first connection, in milliseconds.
   *
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * The most connections the client opens at once (each transaction holds one).
   *
   * @default {4}
   */
  maxConnections?: number;
}

/** Whether `path` is a PostgreSQL connection URL (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(path: string): boolean {
  return /^postgres(ql)?:\/\//i.test(path);
}

/**
 * What a URL points at, for messages: `host:port/database as user`, never the password.
 *
 * @example Usage
 * ```ts
 * import { describePostgresUrl } from "./postgres_client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describePostgresUrl("postgres://me:secret@db.local:6543/pml"), "db.local:6543/pml as me");
 * ```
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "an unparseable URL";
  }
  const host = parsed.hostname || "localhost";
  const port = parsed.port || "5432";
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) ||
    decodeURIComponent(parsed.username) || "postgres";
  const user = parsed.username === "" ? "" : ` as ${decodeURIComponent(parsed.username)}`;
  return `${host}:${port}/${database}${user}`;
}

// As the PGlite client does: int8 comes back as a number, and a string given for a json/jsonb parameter is
// JSON text already (postgres.js would encode it again, storing a JSON string instead of the object).
const TYPES = {
  int8: {
    to: 20,
    from: [20],
    serialize: (x: unknown) => String(x),
    parse: (x: string) => Number(x),
  },
  json: {
    to: 114,
    from: [114, 3802],
    serialize: (x: unknown) => typeof x === "string" ? x : JSON.stringify(x),
    parse: (x: string) => JSON.parse(x),
  },
};

/**
 * Connects to a PostgreSQL server and checks the connection with one round trip, so a wrong URL fails
 * here rather than at the first query.
 *
 * @throws {DbError} `DB_PATH_INVALID` for a URL that cannot be parsed; `DB_OPEN_FAILED` naming host, port,
 * database and user (never the password) with the server's reason, when the server cannot be reached or
 * refuses the connection.
 *
 * @example Refused connections name the target, not the password
 * ```ts
 * import { openPostgres } from "./postgres_client.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(openPostgres("postgres://me:secret@127.0.0.1:1/pml", { connectTimeoutMs: 2000 }), {
 *   code: "DB_OPEN_FAILED",
 *   message: /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/pml as me: /,
 * });
 * ```
 */
export async function openPostgres(
  url: string,
  options: OpenPostgresOptions = {},
): Promise<DbClient> {
  const target = describePostgresUrl(url);
  try {
    new URL(url);
  } catch {
    throw new DbError(
      "DB_PATH_INVALID",
      "Cannot open a PostgreSQL database: the URL cannot be parsed; give postgres://user:password@host:port/database",
    );
  }
  // Imported here, not at the top: a module that never connects to a server does not load postgres.js.
  const { default: connect } = await import("postgres");
  const sql = connect(url, {
    max: options.maxConnections ?? 4,
    connect_timeout: Math.max(1, Math.ceil((options.connectTimeoutMs ?? 10_000) / 1000)),
    onnotice: () => {},
    types: TYPES,
    connection: { application_name: "pml-store" },
  });
  let version: string;
  try {
    const [row] = await sql.unsafe("SELECT version() AS version");
    version = String(row?.version ?? "");
  } catch (cause) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new DbError(
      "DB_OPEN_FAILED",
      `Cannot connect to PostgreSQL at ${target}: ${connectionReason(cause)}; check that the ` +
        "server is running and that the URL names the right host, port, database and user",
      { cause },
    );
  }
  // PGlite served over the wire (`serve`) reports itself in version(): it has one backend session that
  // every connection shares, so what the server is is known here, once.
  const sharedSession = /\(PGlite /.test(version);
  return new PostgresClient(sql, { owner: true, sharedSession });
}

function connectionReason(cause: unknown): string {
  const error = cause as { code?: unknown; message?: unknown };
  const code = typeof error?.code === "string" ? error.code : "";
  if (code === "ECONNREFUSED") return "the connection was refused (no server listens there)";
  if (code === "CONNECT_TIMEOUT") return "the server did not answer in time";
  if (code === "ENOTFOUND") return "the host name is unknown";
  const message = typeof error?.message === "string" ? error.message : String(cause);
  return /^[0-9A-Z]{5}$/.test(code) ? `${message} (SQLSTATE ${code})` : message;
}

/** A postgres.js handle: the pool, or one transaction's connection. */
type Sql = postgres.Sql | postgres.TransactionSql;

interface ClientOptions {
  /** Whether `close()` ends the pool. */
  owner?: boolean;
  /** Whether the server is PGlite served over the wire: one backend session shared by all. */
  sharedSession?: boolean;
  /** Set for the client of a transaction: `transaction()` then makes savepoints. */
  inTransaction?: boolean;
}

class PostgresClient implements DbClient {
  #sql: Sql;
  #owner: boolean;
  #inTransaction: boolean;
  #closed = false;
  #ended = false;
  readonly sharedSession: boolean;
  // Savepoints form a stack on one connection: sibling calls (Promise.all) take turns.
  #savepoints = new Serial();

  constructor(sql: Sql, options: ClientOptions) {
    this.#sql = sql;
    this.#owner = options.owner ?? false;
    this.sharedSession = options.sharedSession ?? false;
    this.#inTransaction = options.inTransaction ?? false;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<T extends Row = Row>(sql: string, params: readonly QueryParam[] = []): Promise<T[]> {
    this.#assertUsable("run a query");
    return await this.#reported(sql, async () => {
      const rows = await this.#sql.unsafe(sql, params.map(toWire) as never[], { prepare: false });
      return [...rows] as unknown as T[];
    });
  }

  async queryOne<T extends Row = Row>(
    sql: string,
    params: readonly QueryParam[] = [],
  ): Promise<T | null> {
    return (await this.query<T>(sql, params))[0] ?? null;
  }

  // `extra` rejects parameters from untyped callers, as the PGlite client does.
  async exec(sql: string, ...extra: never[]): Promise<void> {
    if (extra.length > 0) {
      throw new TypeError(
        `Cannot run SQL with exec(): it takes no parameters, found ${extra.length}; use query() instead`,
      );
    }
    this.#assertUsable("run SQL");
    await this.#reported(sql, async () => {
      await this.#sql.unsafe(sql).simple();
    });
  }

  async transaction<T>(fn: (tx: DbClient) => Promise<T>): Promise<T> {
    this.#assertUsable("start a transaction");
    if (!this.#inTransaction) {
      return await this.#run(() =>
        (this.#sql as postgres.Sql).begin((tx) => this.#within(tx, fn)) as Promise<T>
      );
    }
    const tx = this.#sql as postgres.TransactionSql;
    return await this.#savepoints.run(() =>
      this.#run(() => tx.savepoint((inner) => this.#within(inner, fn)) as Promise<T>)
    );
  }

  /** Runs one statement, reporting its failure as a `DbError` that carries the SQL. */
  async #reported<R>(sql: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (cause) {
      throw queryError(sql, cause);
    }
  }

  async #within<T>(tx: Sql, fn: (tx: DbClient) => Promise<T>): Promise<T> {
    const client = new PostgresClient(tx, {
      inTransaction: true,
      sharedSession: this.sharedSession,
    });
    try {
      return await fn(client);
    } finally {
      client.#ended = true;
    }
  }

  /** Runs BEGIN/SAVEPOINT work, reporting a failure of the control statements as a `DbError`. */
  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isPostgresError(error)) throw queryError("(transaction control)", error);
      throw error;
    }
  }

  #assertUsable(action: string): void {
    if (this.#ended) {
      throw new DbError(
        "DB_TRANSACTION_ENDED",
        `Cannot ${action}: the transaction this client belongs to has ended`,
      );
    }
    if (this.#closed) throw new DbError("DB_CLOSED", `Cannot ${action}: the client is closed`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owner) await (this.#sql as postgres.Sql).end({ timeout: 5 });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Objects other than dates, bytes and arrays go as JSON text, as the PGlite client sends them. */
function toWire(value: QueryParam): unknown {
  if (
    value !== null && typeof value === "object" && !(value instanceof Date) &&
    !(value instanceof Uint8Array) && !Array.isArray(value)
  ) {
    return JSON.stringify(value);
  }
  return value;
}

function isPostgresError(error: unknown): error is { code: string } {
  return error instanceof Error && error.name === "PostgresError";
}

function queryError(sql: string, cause: unknown): DbError {
  const fields = cause as { code?: unknown; constraint_name?: unknown; message?: unknown };
  const details: { sql: string; cause: unknown; sqlState?: string; constraint?: string } = {
    sql,
    cause,
  };
  if (isPostgresError(cause)) details.sqlState = cause.code;
  if (typeof fields?.constraint_name === "string") details.constraint = fields.constraint_name;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new DbError("DB_QUERY_FAILED", `Cannot run query: ${message}`, details);
}
