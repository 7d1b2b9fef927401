/**
 * The data move of migration 019: live workflow state goes from the historical `workflow_dags` table into
 * the Deno KV workflow state, where it lives from 019 on. It sits above both the database and the cache,
 * and reaches 019 as a service of the migration context ({@linkcode workflowDagsMoveContext}), so that
 * `migrate()` moves the rows in 019's own transaction, from the library and the CLI alike.
 *
 * @module
 */
import type { KvClient } from "../cache/kv_client.ts";
import { type Clock, systemClock } from "../cache/clock.ts";
import { WorkflowStateCache } from "../cache/workflow_state_cache.ts";
import type { WorkflowDag } from "../cache/workflow_dag.ts";
import type { DbClient } from "../db/client/db_client.ts";
import { MigrationError } from "../db/migrate/migration_error.ts";

/** Options of {@linkcode moveWorkflowDagsToKv}. */
export interface MoveWorkflowDagsOptions {
  /** The KV store that holds the workflow state (normally the shared handle of `getKv()`). */
  kv: KvClient;
  /** Decides which rows are live and how much of their TTL remains; defaults to the system clock. */
  clock?: Clock;
}

/** What {@linkcode moveWorkflowDagsToKv} did. */
export interface MoveWorkflowDagsResult {
  /** Live rows written to KV and then deleted from `workflow_dags`. */
  moved: number;
  /** Rows left in `workflow_dags` because they are expired (or have no expiry): 019 drops and counts them. */
  expired: number;
}

interface WorkflowDagRow {
  workflow_id: string;
  dag: unknown;
  intent: string | null;
  expires_at: Date | null;
  row_version: string;
  [column: string]: unknown;
}

const MAX_NAMED = 5;

/**
 * Moves every live row of `workflow_dags` (its `expires_at` later than `clock.now()`) into the KV workflow
 * state with the TTL it has left, then deletes it from the table. Each row is deleted only after its KV
 * write succeeded, so a crash in between leaves it in both places, never in neither; running the step
 * again writes it again. A row changed by someone else after it was read is not deleted (019 then refuses
 * to run until the step is run again). Expired rows, and rows whose `expires_at` is NULL (the historical
 * reader never returned them), are left for 019 to drop and count. In KV a moved state's `created_at` is
 * the time of the move. Does nothing when the table does not exist (019 already ran, or 008 never did).
 * 019 itself judges liveness by the database's `NOW()`; with the system clock the two agree.
 *
 * Rows the cache refuses are kept: every other row is still moved, then the error names each refused
 * `workflow_id` and why.
 *
 * @param db The database, before migration 019.
 * @param options The KV store and, for tests, the clock.
 * @returns How many rows were moved, and how many expired ones were left for 019.
 * @throws {MigrationError} `MIGRATION_DATA_INVALID` when the cache refuses a row (an invalid DAG, id or
 * intent, or a state too large for KV); those rows stay in `workflow_dags`, the `cause` is the cache's
 * error (an `AggregateError` when several were refused).
 * @throws {CacheError | DbError} on a storage fault; rows moved until then stay moved, the rest stay put.
 *
 * @example Before migrating to 019
 * ```ts
 * import { moveWorkflowDagsToKv } from "./move_workflow_dags.ts";
 * import { runStatements } from "../db/migrate/migrator.ts";
 * import { migrations, WorkflowStateCache } from "@pml/store";
 * import { FakeClock, withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   // Bring back the table of migration 008, as a database at version 18 has it.
 *   await runStatements(db, migrations.find((m) => m.version === 8)!, "up");
 *   await db.query(
 *     "INSERT INTO workflow_dags (workflow_id, dag, expires_at) VALUES " +
 *       "('wf-live', '{\"tasks\": []}', to_timestamp(1800)), ('wf-old', '{\"tasks\": []}', to_timestamp(60))",
 *   );
 *   using kv = await Deno.openKv(":memory:");
 *   const clock = new FakeClock(600_000); // 10 minutes after the epoch
 *   assert.deepEqual(await moveWorkflowDagsToKv(db, { kv, clock }), { moved: 1, expired: 1 });
 *   const record = await new WorkflowStateCache({ kv, clock }).getRecord("wf-live");
 *   assert.equal(record?.expires_at.getTime(), 1_800_000); // the TTL it had left
 *   const left = await db.query("SELECT workflow_id FROM workflow_dags");
 *   assert.deepEqual(left, [{ workflow_id: "wf-old" }]);
 * });
 * ```
 */
export async function moveWorkflowDagsToKv(
  db: DbClient,
  options: MoveWorkflowDagsOptions,
): Promise<MoveWorkflowDagsResult> {
  const { kv, clock = systemClock } = options;
  const table = await db.queryOne<{ name: string | null }>(
    "SELECT to_regclass('workflow_dags')::text AS name",
  );
  if (table?.name == null) return { moved: 0, expired: 0 };
  const rows = await db.query<WorkflowDagRow>(
    "SELECT workflow_id, dag, intent, expires_at, xmin::text AS row_version FROM workflow_dags " +
      "ORDER BY workflow_id",
  );
  const result: MoveWorkflowDagsResult = { moved: 0, expired: 0 };
  const refused: { workflowId: string; error: Error }[] = [];
  for (const row of rows) {
    const remainingMs = row.expires_at === null ? 0 : row.expires_at.getTime() - clock.now();
    if (!(remainingMs > 0)) {
      result.expired += 1;
      continue;
    }
    try {
      const cache = new WorkflowStateCache({ kv, clock, ttlMs: Math.ceil(remainingMs) });
      await cache.save(row.workflow_id, row.dag as WorkflowDag, row.intent);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      refused.push({ workflowId: row.workflow_id, error });
      continue;
    }
    const deleted = await db.query(
      "DELETE FROM workflow_dags WHERE workflow_id = $1 AND xmin::text = $2 RETURNING workflow_id",
      [row.workflow_id, row.row_version],
    );
    if (deleted.length === 1) result.moved += 1;
  }
  if (refused.length > 0) throw refusedError(refused, result.moved);
  return result;
}

/**
 * How many rows of `workflow_dags` are live at `clock.now()` (0 when the table does not exist): what
 * {@linkcode moveWorkflowDagsToKv} would move. Lets a caller open KV only when there is something to move.
 */
export async function countLiveWorkflowDags(
  db: DbClient,
  clock: Clock = systemClock,
): Promise<number> {
  const table = await db.queryOne<{ name: string | null }>(
    "SELECT to_regclass('workflow_dags')::text AS name",
  );
  if (table?.name == null) return 0;
  const row = await db.queryOne<{ live: number }>(
    "SELECT count(*)::int AS live FROM workflow_dags WHERE expires_at > to_timestamp($1 / 1000.0)",
    [clock.now()],
  );
  return row?.live ?? 0;
}

/** Whether the cache refused the row itself (bad input, or too large), as opposed to a storage fault. */
function isRefusal(error: unknown): error is Error {
  return error instanceof TypeError || error instanceof RangeError ||
    (error instanceof Error && (error as { code?: unknown }).code === "WORKFLOW_STATE_TOO_LARGE");
}

function refusedError(
  refused: readonly { workflowId: string; error: Error }[],
  moved: number,
): MigrationError {
  const named = refused.slice(0, MAX_NAMED)
    .map(({ workflowId, error }) => `${JSON.stringify(workflowId)} (${error.message})`)
    .join(", ");
  const more = refused.length > MAX_NAMED ? ` and ${refused.length - MAX_NAMED} more` : "";
  const cause = refused.length === 1
    ? refused[0]!.error
    : new AggregateError(refused.map((r) => r.error), "the cache refused several rows");
  return new MigrationError(
    "MIGRATION_DATA_INVALID",
    `Cannot move workflow_dags to Deno KV: the workflow state cache refuses ${refused.length} live ` +
      `row(s), left in workflow_dags: ${named}${more}; correct or delete them in workflow_dags, then ` +
      `migrate again (${moved} other row(s) were written to KV; a rolled-back migration leaves them in ` +
      "both places, and the next run writes them again)",
    { version: 19, migrationName: "db_schema_cleanup", cause },
  );
}

/** Options of {@linkcode workflowDagsMoveContext}. */
export interface WorkflowDagsMoveContextOptions {
  /**
   * The KV store of the workflow state, or a function that opens it: called only when there are live rows
   * to move (the CLI opens the shared handle this way).
   */
  kv: KvClient | (() => Promise<KvClient>);
  /** Decides which rows are live; defaults to the system clock. */
  clock?: Clock;
  /** Called after the move with what it did, when it moved anything (for a progress line). */
  onMoved?: (result: MoveWorkflowDagsResult) => void;
}

/**
 * The migration context that lets 019 move live `workflow_dags` rows into Deno KV in its own transaction:
 * pass it as `migrate(db, { context })`. Each row is written to KV before it is deleted from the table, and
 * the deletion commits with 019, so a crash at any moment leaves a row in both places, never in neither;
 * rows the cache refuses stay in the table, 019 does not run, and the error names them.
 *
 * @example Migrating a database whose workflow_dags holds live rows
 * ```ts
 * import { migrate, migrations, workflowDagsMoveContext, WorkflowStateCache } from "@pml/store";
 * import { openDatabase } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * await using db = await openDatabase({ path: ":memory:" });
 * await migrate(db, { to: 18 });
 * await db.query(
 *   "INSERT INTO workflow_dags (workflow_id, dag, expires_at) VALUES ('wf-1', '{\"tasks\": []}', NOW() + interval '1 hour')",
 * );
 * using kv = await Deno.openKv(":memory:");
 * const { error } = await migrate(db, { context: workflowDagsMoveContext({ kv }) });
 * assert.equal(error, undefined);
 * assert.deepEqual((await new WorkflowStateCache({ kv }).get("wf-1"))?.tasks, []);
 * assert.equal(migrations.at(-1)!.version >= 19, true);
 * ```
 */
export function workflowDagsMoveContext(
  options: WorkflowDagsMoveContextOptions,
): { moveWorkflowDags: (db: DbClient) => Promise<MoveWorkflowDagsResult> } {
  const { clock = systemClock, onMoved } = options;
  return {
    moveWorkflowDags: async (db) => {
      if (await countLiveWorkflowDags(db, clock) === 0) return { moved: 0, expired: 0 };
      const kv = typeof options.kv === "function" ? await options.kv() : options.kv;
      const result = await moveWorkflowDagsToKv(db, { kv, clock });
      if (result.moved > 0) onMoved?.(result);
      return result;
    },
  };
}
