/**
 * A scripted {@linkcode DbClient} for unit tests of code that only issues queries: answers by SQL prefix and records every call.
 */
import type { DbClient, QueryParam, Row } from "../src/db/client/db_client.ts";

export interface StubDb {
  readonly db: DbClient;
  readonly calls: { sql: string; params: readonly QueryParam[] }[];
}

/** `answer` maps a recorded call to its rows (or throws, to simulate a database error). */
export function stubDb(
  answer: (sql: string, params: readonly QueryParam[]) => Row[] = () => [],
): StubDb {
  const calls: StubDb["calls"] = [];
  const query = <T extends Row>(sql: string, params: readonly QueryParam[] = []) => {
    calls.push({ sql, params });
    try {
      return Promise.resolve(answer(sql, params) as T[]);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const db: DbClient = {
    query,
    queryOne: async <T extends Row>(sql: string, params?: readonly QueryParam[]) =>
      (await query<T>(sql, params))[0] ?? null,
    exec: () => Promise.reject(new Error("exec() is not expected")),
    transaction: (fn) => fn(db),
    close: () => Promise.resolve(),
    closed: false,
    sharedSession: false,
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { db, calls };
}
