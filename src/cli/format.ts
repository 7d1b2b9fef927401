/**
 * Text formatting of runner results for the CLI: the library returns data, this turns it into lines.
 *
 * @module
 */
import type { MigrationResult } from "../db/migrate/migration.ts";
import type { StatusResult } from "../db/migrate/migration_status.ts";

/** One line for a migration that was applied, rolled back or failed. */
export function formatResult(result: MigrationResult): string {
  const report = result.report ? ` — ${result.report}` : "";
  const verb = result.status.replace("_", " ");
  return `  ${verb} ${pad(result.version)} ${result.name} (${result.ms} ms)${report}`;
}

/** The status table: one row per migration with its state and when it was applied. */
export function formatStatusTable(result: StatusResult): string {
  const rows = result.entries.map((entry) => [
    pad(entry.version),
    entry.name,
    entry.unchecked ? `${entry.state} (unchecked)` : entry.state,
    entry.appliedAt === undefined
      ? ""
      : entry.appliedAt.toISOString().replace("T", " ").slice(0, 19),
  ]);
  const header = ["VERSION", "NAME", "STATE", "APPLIED AT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  const summary = `${
    result.entries.length - result.pendingCount
  } applied, ${result.pendingCount} pending`;
  return [line(header), ...rows.map(line), summary].join("\n");
}

/** `7` → `007`; a negative version (only a damaged history has one) keeps its sign: `-1`. */
function pad(version: number): string {
  return version < 0 ? String(version) : String(version).padStart(3, "0");
}
