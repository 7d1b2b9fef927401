/**
 * Serves an embedded database over the PostgreSQL wire protocol with `@electric-sql/pglite-socket`, so
 * `psql`, `pg_dump`, GUI tools and the `postgres` client can use it.
 *
 * @module
 */
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { DbError } from "../client/db_error.ts";

/** Options of {@linkcode serveDatabase}. */
export interface ServeDatabaseOptions {
  /**
   * The TCP port on 127.0.0.1; `0` picks a free one (see `url` of the result).
   *
   * @default {5432}
   */
  port?: number;
  /**
   * How many clients may be connected at once. They share PGlite's one backend session; a transaction
   * holds it until it ends, so clients never see each other's uncommitted work.
   *
   * @default {16}
   */
  maxConnections?: number;
}

/** A running server: where it listens, and how to stop it. */
export interface DatabaseServer {
  /** A connection URL for it: `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Stops listening and disconnects the clients (rolling back their open transactions). */
  close(): Promise<void>;
}

/**
 * Serves `pg` on 127.0.0.1 (only loopback: there is no authentication). The caller keeps owning `pg`
 * (and, for a data directory, its lock) and closes it after the server.
 *
 * @throws {DbError} `DB_OPEN_FAILED` when the port cannot be listened on (in use, or not allowed).
 *
 * @example Querying a served database with postgres.js
 * ```ts
 * import { serveDatabase } from "./serve_database.ts";
 * import { openPglite } from "./open_embedded.ts";
 * import { openPostgres } from "../client/postgres_client.ts";
 * import assert from "node:assert/strict";
 *
 * const pg = await openPglite("memory://");
 * const server = await serveDatabase(pg, { port: 0 });
 * const db = await openPostgres(server.url);
 * assert.deepEqual(await db.query("SELECT 6 * 7 AS answer"), [{ answer: 42 }]);
 * await db.close();
 * await server.close();
 * await pg.close();
 * ```
 */
export async function serveDatabase(
  pg: PGlite,
  options: ServeDatabaseOptions = {},
): Promise<DatabaseServer> {
  const port = options.port ?? 5432;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot serve the database: port must be 0–65535, found ${port}`);
  }
  const server = new PGLiteSocketServer({
    db: pg,
    host: "127.0.0.1",
    port,
    maxConnections: options.maxConnections ?? 16,
  });
  keepExtendedQueriesWhole(server);
  try {
    await server.start();
  } catch (cause) {
    throw new DbError(
      "DB_OPEN_FAILED",
      `Cannot serve the database on 127.0.0.1:${port}: ${
        (cause as Error).message
      }; choose another ` +
        "port with --port (0 picks a free one)",
      { cause },
    );
  }
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    close: () => server.stop(),
  };
}

/** Frontend message types of the extended query protocol that a `Sync` ends (Parse, Bind, Describe, …). */
const EXTENDED = new Set(["P", "B", "D", "E", "C", "H"].map((c) => c.charCodeAt(0)));
const SYNC = "S".charCodeAt(0);
const QUERY = "Q".charCodeAt(0);

interface QueryQueue {
  enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number>;
  clearQueueForHandler(handlerId: number): void;
}

/**
 * pglite-socket queues each wire message on its own, so two clients' extended-protocol sequences
 * (Parse, Bind, Execute, Sync) can interleave in PGlite's one session, and one client's unnamed
 * statement replaces the other's ("unnamed prepared statement does not exist"). This gate gives the
 * session to one client at a time: from its first query message until a `Sync` or simple query has
 * run with no transaction open, so an extended sequence and a whole transaction are never interleaved
 * with another client's messages.
 */
function keepExtendedQueriesWhole(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  const db = server.db;
  const enqueue = queue.enqueue.bind(queue);
  const clear = queue.clearQueueForHandler.bind(queue);
  let owner: number | null = null;
  let waiting: (() => void)[] = [];
  const release = () => {
    owner = null;
    const wake = waiting;
    waiting = [];
    for (const resume of wake) resume();
  };
  queue.enqueue = async (handlerId, message, onData) => {
    while (owner !== null && owner !== handlerId) {
      await new Promise<void>((resume) => waiting.push(resume));
    }
    const type = message[0] ?? 0;
    if (EXTENDED.has(type) || type === QUERY) owner = handlerId;
    try {
      return await enqueue(handlerId, message, onData);
    } finally {
      const ended = type === SYNC || type === QUERY;
      if (ended && owner === handlerId && !db.isInTransaction()) release();
    }
  };
  queue.clearQueueForHandler = (handlerId) => {
    clear(handlerId);
    if (owner === handlerId) release(); // a client that left mid-sequence (its transaction is rolled back)
  };
}
