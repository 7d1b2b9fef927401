/**
 * The checksum that ties an applied migration to the SQL it ran, so an edited migration is detected.
 *
 * @module
 */
import type { Migration } from "./migration.ts";

/** What the history records for a code migration that declares no checksum: nothing to compare. */
export const UNCHECKED = "unchecked";

/**
 * The checksum recorded for a migration: the SHA-256 (lower-case hex) of its `up`, `down` and `report`
 * SQL, so editing any changes it; for a migration with code, the `checksum` its author declared, or
 * {@linkcode UNCHECKED} when there is none.
 *
 * @example Usage
 * ```ts
 * import { migrationChecksum } from "./migration_checksum.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await migrationChecksum({ version: 1, name: "a", up: "SELECT 1;", down: "" });
 * const b = await migrationChecksum({ version: 1, name: "a", up: "SELECT 2;", down: "" });
 * assert.match(a, /^[0-9a-f]{64}$/);
 * assert.notEqual(a, b);
 * ```
 */
export async function migrationChecksum(migration: Migration): Promise<string> {
  if (typeof migration.up !== "string" || typeof migration.down !== "string") {
    return migration.checksum ?? UNCHECKED;
  }
  return await sqlChecksum(migration.up, migration.down, migration.report);
}

/**
 * The SHA-256 of SQL `up`, `down` and `report` text, as {@linkcode migrationChecksum} computes it for a
 * SQL migration: a code migration that wraps SQL can declare it to keep the checksum the SQL had.
 */
export async function sqlChecksum(up: string, down: string, report?: string): Promise<string> {
  // The separator cannot occur in SQL text, so moving text between up and down changes the checksum too.
  const tail = report === undefined ? "" : `\u0000${report}`;
  const bytes = new TextEncoder().encode(`${up}\u0000${down}${tail}`);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
