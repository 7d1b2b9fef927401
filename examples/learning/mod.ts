/**
 * The first migrations of the learning system, as a package that builds on pml-store would write them:
 * pml-store's 001–019, then this package's 020 (a table of execution traces per capability) and 021 (a
 * code migration that backfills it from the executions pml-store already recorded).
 *
 * @module
 */
import { type DbClient, type Migration, type MigrationContext, migrations } from "@pml/store";

/** 020: one row per execution of a capability, with an index for "the latest traces of a capability". */
export const capabilityTrace: Migration = Object.freeze({
  version: 20,
  name: "capability_trace",
  up: `CREATE TABLE IF NOT EXISTS capability_trace (
  execution_id UUID PRIMARY KEY,
  capability_id UUID NOT NULL REFERENCES workflow_pattern (pattern_id) ON DELETE CASCADE,
  executed_at TIMESTAMP NOT NULL,
  success BOOLEAN NOT NULL,
  duration_ms INTEGER NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_capability_trace_latest
  ON capability_trace (capability_id, executed_at DESC);`,
  down: "DROP TABLE IF EXISTS capability_trace;",
});

/** How many executions 021 reads and writes per round trip. */
const BATCH = 500;

/**
 * 021: every recorded execution whose code matches a capability's (`code_hash`) becomes a trace of that
 * capability, stamped with the time of the backfill from the context's clock. Re-runnable: an execution
 * already traced is skipped.
 */
export const backfillCapabilityTrace: Migration = Object.freeze({
  version: 21,
  name: "backfill_capability_trace",
  up: async (db: DbClient, context: MigrationContext) => {
    const recordedAt = new Date(context.clock?.now() ?? Date.now())
      .toISOString();
    let after = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const batch = await db.query<{ execution_id: string }>(
        `SELECT e.execution_id::text FROM workflow_execution AS e
         JOIN workflow_pattern AS p ON p.code_hash = e.code_hash
         WHERE e.execution_id > $1::uuid ORDER BY e.execution_id LIMIT $2`,
        [after, BATCH],
      );
      if (batch.length === 0) return;
      const ids = batch.map((row) => row.execution_id);
      await db.query(
        `INSERT INTO capability_trace
           (execution_id, capability_id, executed_at, success, duration_ms, recorded_at)
         SELECT e.execution_id, p.pattern_id, e.executed_at, e.success, e.execution_time_ms, $2
         FROM workflow_execution AS e JOIN workflow_pattern AS p ON p.code_hash = e.code_hash
         WHERE e.execution_id = ANY($1::uuid[])
         ON CONFLICT (execution_id) DO NOTHING`,
        [ids, recordedAt],
      );
      after = ids.at(-1)!;
    }
  },
  down: "DELETE FROM capability_trace;",
  // Changed whenever the code above changes, so status and verify can tell it was edited.
  checksum: "backfill_capability_trace-1",
});

/** pml-store's migrations followed by this package's. */
export const learningMigrations: readonly Migration[] = Object.freeze([
  ...migrations,
  capabilityTrace,
  backfillCapabilityTrace,
]);
