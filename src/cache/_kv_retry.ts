/**
 * Retries of KV calls that lost to another process. Private to the cache.
 *
 * Two processes on one KV file share one SQLite database; when one holds the write lock longer than
 * SQLite waits, the other's call fails with `TypeError: database is locked`. That is contention, not a
 * fault, so the call is tried again with jittered exponential backoff for up to
 * a bounded time (default {@linkcode KV_BUSY_TIMEOUT_MS}), then reported as a coded error.
 *
 * @module
 */

import { CacheError } from "./cache_error.ts";

/** How long a KV call is retried, by default, while the database is locked by another process. */
export const KV_BUSY_TIMEOUT_MS = 10_000;

const BUSY_MESSAGE = /database is (locked|busy)/i;

/**
 * Runs `call`, again while it fails because the database is locked.
 *
 * @throws {CacheError} `KV_BUSY` (the last error as `cause`) when the lock outlasts the budget.
 * @throws Whatever else `call` throws, unchanged.
 */
export async function retryWhileBusy<T>(
  action: string,
  call: () => Promise<T>,
  timeoutMs: number = KV_BUSY_TIMEOUT_MS,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof Error) || !BUSY_MESSAGE.test(error.message)) throw error;
      if (performance.now() >= deadline) {
        throw new CacheError(
          "KV_BUSY",
          `Cannot ${action}: the KV database stayed locked by another process for ${timeoutMs} ms (${attempt} attempts); retry later or give each process its own PML_KV_PATH`,
          { attempts: attempt, cause: error },
        );
      }
      await backoff(attempt);
    }
  }
}

/** Sleeps a random time below `2^attempt` ms, capped at 50 ms, so contenders spread out. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
