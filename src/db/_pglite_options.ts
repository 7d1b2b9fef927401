/**
 * The options every PGlite instance of pml-store starts with.
 *
 * @module
 */
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";

/**
 * pgvector, and PGlite's own start parameters plus `log_startup_progress_interval=0`: a cluster that starts
 * with recovery (one unpacked from a template, or reopened after a crash) would otherwise arm a repeating
 * 10-second timer that keeps a Node process alive after its work is done.
 */
export function pgliteOptions(
  extra: Omit<PGliteOptions, "extensions" | "startParams"> = {},
): PGliteOptions {
  return {
    ...extra,
    extensions: { vector },
    startParams: [...PGlite.defaultStartParams, "-c", "log_startup_progress_interval=0"],
  };
}
