/**
 * The checksum that ties an applied migration to the SQL it ran, so an edited migration is detected.
 *
 * @module
 */
import type { Migration } from "./migration.ts";

/**
 * The SHA-256 (lower-case hex) of a migration's `up`, `down` and `report` SQL. Editing any changes it.
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
  // The separator cannot occur in SQL text, so moving text between up and down changes the checksum too.
  const report = migration.report === undefined ? "" : `\u0000${migration.report}`;
  const bytes = new TextEncoder().encode(`${migration.up}\u0000${migration.down}${report}`);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
