/**
 * Test support: a migration list of our own for the native servers, which have no pgvector, so
 * pml-store's 001 cannot run there.
 *
 * @module
 */
import type { Migration } from "../../src/db/migrate/migration.ts";

/** Three small migrations: a table, a column, a row. */
export const NOTES: Migration[] = [
  {
    version: 1,
    name: "create_notes",
    up: "CREATE TABLE IF NOT EXISTS notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL);",
    down: "DROP TABLE IF EXISTS notes;",
  },
  {
    version: 2,
    name: "add_author",
    up: "ALTER TABLE notes ADD COLUMN IF NOT EXISTS author TEXT;",
    down: "ALTER TABLE notes DROP COLUMN IF EXISTS author;",
  },
  {
    version: 3,
    name: "seed_note",
    up: "INSERT INTO notes (body) SELECT 'first' WHERE NOT EXISTS (SELECT 1 FROM notes);",
    down: "DELETE FROM notes WHERE body = 'first';",
  },
];
