/**
 * Splits SQL text into statements, so the migrator can run them one at a time and name the one that fails.
 *
 * @module
 */

/**
 * Splits `sql` at top-level semicolons. Semicolons inside string literals (`'…'`, `E'…'`), quoted
 * identifiers (`"…"`), dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`) and comments do not split;
 * block comments nest, as in PostgreSQL (`/* a /* b *\/ still a *\/`). Empty
 * statements and comment-only statements are dropped; each statement is returned trimmed, without its `;`.
 *
 * @example Usage
 * ```ts
 * import { splitSqlStatements } from "./sql_statements.ts";
 * import assert from "node:assert/strict";
 *
 * const sql = "CREATE TABLE t (s TEXT DEFAULT ';'); DO $$ BEGIN PERFORM 1; END $$; -- done";
 * assert.deepEqual(splitSqlStatements(sql), [
 *   "CREATE TABLE t (s TEXT DEFAULT ';')",
 *   "DO $$ BEGIN PERFORM 1; END $$",
 * ]);
 * ```
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasCode = false;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    const next = sql[i + 1];
    if (char === "-" && next === "-") {
      i = indexAfter(sql, "\n", i + 2);
    } else if (char === "/" && next === "*") {
      i = endOfBlockComment(sql, i);
    } else if (char === "'" || char === '"') {
      i = endOfQuoted(sql, i, char);
      hasCode = true;
    } else if (char === "$" && dollarTagAt(sql, i) !== null) {
      const tag = dollarTagAt(sql, i) as string;
      i = indexAfter(sql, tag, i + tag.length);
      hasCode = true;
    } else if (char === ";") {
      if (hasCode) statements.push(sql.slice(start, i).trim());
      start = i + 1;
      hasCode = false;
      i += 1;
    } else {
      if (char !== undefined && !/\s/.test(char)) hasCode = true;
      i += 1;
    }
  }
  if (hasCode) statements.push(sql.slice(start).trim());
  return statements.map(stripLeadingComments);
}

/**
 * The first `count` words of a statement, upper-cased, skipping whitespace and comments (nested block
 * comments included) before and between them. It stops at the first thing that is not a word, so
 * `leadingKeywords("(SELECT 1)", 1)` is empty. Used to recognise a statement by its keywords however it is
 * spelled: `start /* why *\/ transaction` starts with `START TRANSACTION`.
 *
 * @example Usage
 * ```ts
 * import { leadingKeywords } from "./sql_statements.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(leadingKeywords("start /* a /* nested *\/ comment *\/\n transaction;", 2), [
 *   "START",
 *   "TRANSACTION",
 * ]);
 * assert.deepEqual(leadingKeywords("'COMMIT'", 1), []);
 * ```
 */
export function leadingKeywords(statement: string, count: number): string[] {
  const words: string[] = [];
  const word = /[A-Za-z_][A-Za-z0-9_$]*/y;
  let i = 0;
  while (i < statement.length && words.length < count) {
    const char = statement[i] as string;
    const next = statement[i + 1];
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === "-" && next === "-") {
      i = indexAfter(statement, "\n", i + 2);
    } else if (char === "/" && next === "*") {
      i = endOfBlockComment(statement, i);
    } else {
      word.lastIndex = i;
      const match = word.exec(statement);
      if (match === null) break;
      words.push(match[0].toUpperCase());
      i = word.lastIndex;
    }
  }
  return words;
}

/** The index after the block comment opening at `open`; PostgreSQL nests block comments, so this counts them. */
function endOfBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth += 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** The index just after the next `token` at or after `from`, or the end of the text. */
function indexAfter(sql: string, token: string, from: number): number {
  const at = sql.indexOf(token, from);
  return at === -1 ? sql.length : at + token.length;
}

/** The index after a quoted literal starting at `open`; a doubled quote is an escaped quote. */
function endOfQuoted(sql: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    // E'…' strings may escape a quote with a backslash.
    if (sql[i] === "\\" && quote === "'" && isEscapeString(sql, open)) {
      i += 2;
      continue;
    }
    i += 1;
  }
  return sql.length;
}

function isEscapeString(sql: string, open: number): boolean {
  const prefix = sql[open - 1];
  return (prefix === "E" || prefix === "e") && !/[A-Za-z0-9_]/.test(sql[open - 2] ?? "");
}

/** The dollar-quote tag (`$$` or `$name$`) starting at `at`, or `null` when `$` starts something else. */
function dollarTagAt(sql: string, at: number): string | null {
  const match = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(at, at + 64));
  if (match === null) return null;
  // `$1` parameters and identifiers containing `$` are not dollar quotes.
  if (at > 0 && /[A-Za-z0-9_]/.test(sql[at - 1] ?? "")) return null;
  return match[0];
}

function stripLeadingComments(statement: string): string {
  let rest = statement;
  for (;;) {
    const trimmed = rest.trimStart();
    if (trimmed.startsWith("--")) {
      const newline = trimmed.indexOf("\n");
      rest = newline === -1 ? "" : trimmed.slice(newline + 1);
    } else if (trimmed.startsWith("/*")) {
      rest = trimmed.slice(endOfBlockComment(trimmed, 0));
    } else {
      return trimmed;
    }
  }
}
