/**
 * A canonical, stable description of a database schema — extensions, tables, columns with types and
 * defaults, constraints, indexes and triggers — as data and as text, so two schemas can be compared with a
 * readable diff and a committed golden copy can pin the result of the migrations.
 *
 * @module
 */
import type { DbClient } from "../client/db_client.ts";

/** One column of a table. */
export interface ColumnSnapshot {
  /** Column name. */
  name: string;
  /** The type as PostgreSQL formats it, e.g. `timestamp with time zone`, `vector(1024)`. */
  type: string;
  /** Whether the column is `NOT NULL`. */
  notNull: boolean;
  /** The default expression, or `null`. */
  default: string | null;
}

/** One table of the schema. */
export interface TableSnapshot {
  /** Table name. */
  name: string;
  /**
   * Columns sorted by name. Physical order is left out on purpose: it records history, not schema (a
   * column dropped by one migration and re-added by a rollback moves to the end of the table).
   */
  columns: ColumnSnapshot[];
  /**
   * Constraints as `name: definition`, sorted by name. NOT NULL is shown on the column, so PostgreSQL 18's
   * not-null constraint entries are left out.
   */
  constraints: string[];
  /** Indexes as their `CREATE INDEX` text, sorted by index name. */
  indexes: string[];
  /** Triggers (user-defined, not internal ones) as `name: definition`, sorted by name. */
  triggers: string[];
}

/** The schema of the current search-path schema (normally `public`). */
export interface SchemaSnapshot {
  /** Installed extensions, sorted. */
  extensions: string[];
  /** Tables, sorted by name. */
  tables: TableSnapshot[];
  /**
   * Everything else a migration can create in the schema, one line each, sorted: sequences, views,
   * functions and user-defined types (objects that belong to an extension are left out).
   */
  objects: string[];
}

// One line per sequence, view, function and type of the current schema that no extension owns.
const OTHER_OBJECTS_SQL = `
SELECT 'sequence ' || c.relname || ': ' || format_type(q.seqtypid, NULL)
       || ' start ' || q.seqstart || ' increment ' || q.seqincrement AS text
FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid
WHERE c.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'view ' || c.relname || ': ' || btrim(regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g'))
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') returns '
       || pg_get_function_result(p.oid)
FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'type ' || t.typname || ': ' || CASE t.typtype
         WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
         WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
         WHEN 'c' THEN 'composite'
         ELSE 'kind ' || t.typtype::text
       END
FROM pg_type t
WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r', 'm')
  AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')`;

/**
 * Reads the schema of the current schema (`current_schema()`), sorted so the same schema always gives the
 * same snapshot.
 *
 * @example Usage
 * ```ts
 * import { readSchemaSnapshot } from "@pml/store";
 * import { withFastDb } from "@pml/store/fixtures";
 * import assert from "node:assert/strict";
 *
 * await withFastDb(async (db) => {   // a database at the last migration
 *   const snapshot = await readSchemaSnapshot(db);
 *   assert.deepEqual(snapshot.extensions, ["plpgsql", "vector"]);
 *   const config = snapshot.tables.find((t) => t.name === "config");
 *   assert.deepEqual(config?.columns[0], { name: "key", type: "text", notNull: true, default: null });
 * });
 * ```
 */
export async function readSchemaSnapshot(db: DbClient): Promise<SchemaSnapshot> {
  const [extensions, columns, constraints, indexes, triggers, objects] = await Promise.all([
    db.query<{ name: string }>("SELECT extname AS name FROM pg_extension ORDER BY extname"),
    db.query<
      { table: string; name: string; type: string; not_null: boolean; default: string | null }
    >(
      `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
         AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY c.relname, a.attname COLLATE "C"`,
    ),
    db.query<{ table: string; text: string }>(
      `SELECT c.relname AS table, con.conname || ': ' || pg_get_constraintdef(con.oid) AS text
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
       WHERE c.relnamespace = current_schema()::regnamespace AND con.contype <> 'n'
       ORDER BY c.relname, con.conname`,
    ),
    db.query<{ table: string; text: string }>(
      `SELECT tablename AS table, indexdef AS text FROM pg_indexes
       WHERE schemaname = current_schema() ORDER BY tablename, indexname`,
    ),
    db.query<{ table: string; text: string }>(
      `SELECT c.relname AS table, t.tgname || ': ' || pg_get_triggerdef(t.oid) AS text
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
       ORDER BY c.relname, t.tgname`,
    ),
    db.query<{ text: string }>(OTHER_OBJECTS_SQL),
  ]);
  const tables = new Map<string, TableSnapshot>();
  for (const column of columns) {
    const table = tables.get(column.table) ??
      { name: column.table, columns: [], constraints: [], indexes: [], triggers: [] };
    table.columns.push({
      name: column.name,
      type: column.type,
      notNull: column.not_null,
      default: column.default,
    });
    tables.set(column.table, table);
  }
  for (
    const [rows, key] of [[constraints, "constraints"], [indexes, "indexes"], [
      triggers,
      "triggers",
    ]] as const
  ) {
    for (const row of rows) tables.get(row.table)?.[key].push(row.text);
  }
  return {
    extensions: extensions.map((e) => e.name),
    tables: [...tables.values()].sort((a, b) => compareText(a.name, b.name)),
    objects: objects.map((o) => o.text).sort(compareText),
  };
}

/**
 * Formats a snapshot as canonical text, one line per fact, for display and for line diffs.
 *
 * @example Usage
 * ```ts
 * import { formatSchemaSnapshot } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const text = formatSchemaSnapshot({
 *   extensions: ["plpgsql"],
 *   tables: [{
 *     name: "notes",
 *     columns: [{ name: "id", type: "integer", notNull: true, default: null }],
 *     constraints: ["notes_pkey: PRIMARY KEY (id)"],
 *     indexes: [],
 *     triggers: [],
 *   }],
 *   objects: ["sequence notes_id_seq: integer start 1 increment 1"],
 * });
 * assert.equal(text, [
 *   "extension plpgsql",
 *   "table notes",
 *   "  column id integer NOT NULL",
 *   "  constraint notes_pkey: PRIMARY KEY (id)",
 *   "sequence notes_id_seq: integer start 1 increment 1",
 *   "",
 * ].join("\n"));
 * ```
 */
export function formatSchemaSnapshot(snapshot: SchemaSnapshot): string {
  const lines = snapshot.extensions.map((name) => `extension ${name}`);
  for (const table of snapshot.tables) {
    lines.push(`table ${table.name}`);
    for (const column of table.columns) {
      const notNull = column.notNull ? " NOT NULL" : "";
      const fallback = column.default === null ? "" : ` DEFAULT ${column.default}`;
      lines.push(`  column ${column.name} ${column.type}${notNull}${fallback}`);
    }
    for (const constraint of table.constraints) lines.push(`  constraint ${constraint}`);
    for (const index of table.indexes) lines.push(`  index ${index}`);
    for (const trigger of table.triggers) lines.push(`  trigger ${trigger}`);
  }
  lines.push(...snapshot.objects);
  return `${lines.join("\n")}\n`;
}

/** Code-point order, independent of the locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
