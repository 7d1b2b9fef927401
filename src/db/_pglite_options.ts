/**
 * The options every PGlite instance of pml-store starts with.
 *
 * @module
 */
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";

/** Where an instance keeps its cluster: PGlite's in-memory file system, or a data directory on disk. */
export type PgliteStorage = "memory" | "directory";

/**
 * `shared_buffers` of an in-memory instance. PostgreSQL's default, 128 MB, is allocated and touched at
 * every start: 150 ms of a 530 ms start from a template, and 120 MB of its resident memory
 * (`bench/startup_bench.ts`). In memory the buffers only hold a second copy of pages the in-memory file
 * system already has, so a small pool costs a copy on a miss, not a read; a data directory keeps the
 * default, where a miss is a read from disk.
 */
export const MEMORY_SHARED_BUFFERS = "16MB";

/**
 * pgvector, and PGlite's own start parameters plus `log_startup_progress_interval=0`: a cluster that starts
 * with recovery (one unpacked from a template, or reopened after a crash) would otherwise arm a repeating
 * 10-second timer that keeps a Node process alive after its work is done. In memory, also
 * {@linkcode MEMORY_SHARED_BUFFERS}.
 */
export function pgliteOptions(
  storage: PgliteStorage,
  extra: Omit<PGliteOptions, "extensions" | "startParams"> = {},
): PGliteOptions {
  const memory = storage === "memory" ? ["-c", `shared_buffers=${MEMORY_SHARED_BUFFERS}`] : [];
  return {
    ...extra,
    extensions: { vector },
    startParams: [
      ...PGlite.defaultStartParams,
      "-c",
      "log_startup_progress_interval=0",
      ...memory,
    ],
  };
}
