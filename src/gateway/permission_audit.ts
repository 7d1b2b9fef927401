/**
 * The permission audit trail: every decision to change a capability's permission set is written to
 * `permission_audit_log`. Since migration 019 each row must name a capability of `workflow_pattern`
 * (foreign key `fk_permission_audit_capability`, `ON DELETE RESTRICT`), so an audited capability can
 * neither be invented nor deleted.
 *
 * @module
 */

import { type Clock, systemClock } from "../cache/clock.ts";
import type { DbClient } from "../db/client/db_client.ts";
import { DbError } from "../db/client/db_error.ts";
import { GatewayError } from "./gateway_error.ts";

/** The permission sets of `workflow_pattern.permission_set` (migration 017). */
export type PermissionSet =
  | "minimal"
  | "readonly"
  | "filesystem"
  | "network-api"
  | "mcp-standard"
  | "trusted";

const PERMISSION_SETS: ReadonlySet<string> = new Set<PermissionSet>([
  "minimal",
  "readonly",
  "filesystem",
  "network-api",
  "mcp-standard",
  "trusted",
]);

/** One decision to audit. */
export interface PermissionAuditEntry {
  /** The capability (`workflow_pattern.pattern_id`), a UUID in any letter case. */
  readonly capabilityId: string;
  readonly fromSet: PermissionSet;
  readonly toSet: PermissionSet;
  readonly approved: boolean;
  readonly approvedBy?: string | null;
  readonly reason?: string | null;
  /** The operation that triggered the request, e.g. `"filesystem:write"`. */
  readonly detectedOperation?: string | null;
}

/** A row of `permission_audit_log`. */
export interface PermissionAuditRecord extends PermissionAuditEntry {
  readonly id: string;
  /** Unix milliseconds from the injected clock. */
  readonly timestamp: number;
}

/** Options of {@linkcode recordPermissionAudit}. */
export interface RecordPermissionAuditOptions {
  /** Stamps the row. Default {@linkcode systemClock}. */
  readonly clock?: Clock;
  /** Makes the row id. Default `crypto.randomUUID()`. */
  readonly newId?: () => string;
}

const FOREIGN_KEY = "fk_permission_audit_capability";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes one row to `permission_audit_log`.
 *
 * @returns The row as written: absent optional fields as `null`, the capability id in lower case (as
 * PostgreSQL prints a UUID).
 * @throws {TypeError} When `capabilityId` is not a UUID.
 * @throws {RangeError} When `fromSet` or `toSet` is not a {@linkcode PermissionSet}.
 * @throws {GatewayError} `UNKNOWN_CAPABILITY` when no capability has this id; the message names the
 * foreign key and the database error is the `cause`.
 *
 * @example An audit row for an unknown capability is refused
 * ```ts
 * import { GatewayError, recordPermissionAudit } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {
 *   const entry = {
 *     capabilityId: "00000000-0000-4000-8000-000000000000",
 *     fromSet: "minimal",
 *     toSet: "filesystem",
 *     approved: false,
 *   } as const;
 *   await assert.rejects(recordPermissionAudit(db, entry), (error: unknown) =>
 *     error instanceof GatewayError && error.code === "UNKNOWN_CAPABILITY" &&
 *     error.message.includes("fk_permission_audit_capability"));
 * });
 * ```
 */
export async function recordPermissionAudit(
  db: DbClient,
  entry: PermissionAuditEntry,
  options: RecordPermissionAuditOptions = {},
): Promise<PermissionAuditRecord> {
  checkEntry(entry);
  const record: PermissionAuditRecord = {
    id: (options.newId ?? (() => crypto.randomUUID()))(),
    timestamp: (options.clock ?? systemClock).now(),
    capabilityId: entry.capabilityId.toLowerCase(),
    fromSet: entry.fromSet,
    toSet: entry.toSet,
    approved: entry.approved,
    approvedBy: entry.approvedBy ?? null,
    reason: entry.reason ?? null,
    detectedOperation: entry.detectedOperation ?? null,
  };
  try {
    // In a savepoint when the caller holds a transaction: a refused row must not abort the caller's work.
    await db.transaction((tx) =>
      tx.query(
        `INSERT INTO permission_audit_log
         (id, timestamp, capability_id, from_set, to_set, approved, approved_by, reason, detected_operation)
       VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9)`,
        [
          record.id,
          record.timestamp,
          record.capabilityId,
          record.fromSet,
          record.toSet,
          record.approved ? 1 : 0,
          record.approvedBy ?? null,
          record.reason ?? null,
          record.detectedOperation ?? null,
        ],
      )
    );
  } catch (error) {
    if (
      error instanceof DbError && error.sqlState === "23503" && error.constraint === FOREIGN_KEY
    ) {
      throw new GatewayError(
        "UNKNOWN_CAPABILITY",
        `Cannot record the permission audit: foreign key ${FOREIGN_KEY} rejects capability "${record.capabilityId}", which is not a workflow_pattern.pattern_id`,
        { cause: error },
      );
    }
    throw error;
  }
  return record;
}

function checkEntry(entry: PermissionAuditEntry): void {
  if (typeof entry.capabilityId !== "string" || !UUID.test(entry.capabilityId)) {
    throw new TypeError(
      `Cannot record the permission audit: expected the capability id to be a UUID, found ${
        JSON.stringify(entry.capabilityId)
      }`,
    );
  }
  for (const [field, value] of [["fromSet", entry.fromSet], ["toSet", entry.toSet]] as const) {
    if (!PERMISSION_SETS.has(value)) {
      throw new RangeError(
        `Cannot record the permission audit as '${field}' must be one of ${
          [...PERMISSION_SETS].join(", ")
        }: current value is ${JSON.stringify(value)}`,
      );
    }
  }
}
