/**
 * The options every PGlite instance of pml-store starts with.
 *
 * @module
 */
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";

/** What an instance is for: an application's database, or one of the test harness's shared bases. */
export type PgliteUse = "database" | "test";

/**
 * `shared_buffers` of the test harness's instances. PostgreSQL's default, 128 MB, is allocated and
 * touched at every start: a start from a template measured 408 and 342 ms with it, 339 and 282 ms with
 * 16 MB, 15 % less CPU and 115–125 MB less resident memory (two runs of `bench/buffer_pool_ab.ts`),
 * paid by every test module, where a test touches a few hundred pages. Databases keep the default:
 * over 10,000 embedded tools in memory, a 16 MB pool made a vector query 2–3× slower
 * (`bench/search_bench.ts`).
 */
export const TEST_SHARED_BUFFERS = "16MB";

/**
 * pgvector, and PGlite's own start parameters plus `log_startup_progress_interval=0`: a cluster that starts
 * with recovery (one unpacked from a template, or reopened after a crash) would otherwise arm a repeating
 * 10-second timer that keeps a Node process alive after its work is done. For the test harness, also
 * {@linkcode TEST_SHARED_BUFFERS}.
 */
export function pgliteOptions(
  use: PgliteUse,
  extra: Omit<PGliteOptions, "extensions" | "startParams"> = {},
): PGliteOptions {
  const pool = use === "test" ? ["-c", `shared_buffers=${TEST_SHARED_BUFFERS}`] : [];
  return {
    ...extra,
    extensions: { vector },
    startParams: [
      ...PGlite.defaultStartParams,
      "-c",
      "log_startup_progress_interval=0",
      ...pool,
    ],
  };
}
