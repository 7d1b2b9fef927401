/**
 * Migration 001 — the initial schema: the tool catalogue (`tool_schema`), tool embeddings for semantic
 * search (`tool_embedding`, with an HNSW cosine index), key/value settings (`config`) and the learned tool
 * graph (`tool_dependency`).
 *
 * It creates the `vector` extension first: the embedding column needs it, and a migration must not rely on
 * the client having created it, so the same SQL also runs on a PostgreSQL server.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `vector` extension and the tool catalogue, embedding, config and dependency tables. */
export const migration: Migration = Object.freeze({
  version: 1,
  name: "initial_schema",
  requires: { postgres: 14, extensions: ["vector"] },
  up: `
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS tool_schema (
  tool_id TEXT PRIMARY KEY,
  server_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  input_schema JSONB NOT NULL,
  output_schema JSONB,
  cached_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS tool_embedding (
  tool_id TEXT PRIMARY KEY,
  server_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  embedding vector(1024) NOT NULL,
  metadata JSONB,
  created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_tool_embedding_hnsw
  ON tool_embedding USING hnsw (embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 64);

CREATE TABLE IF NOT EXISTS config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS tool_dependency (
  from_tool_id TEXT NOT NULL,
  to_tool_id TEXT NOT NULL,
  observed_count INTEGER DEFAULT 1,
  confidence_score REAL DEFAULT 0.5,
  last_observed TIMESTAMP DEFAULT NOW(),
  PRIMARY KEY (from_tool_id, to_tool_id)
);

CREATE INDEX IF NOT EXISTS idx_tool_schema_server_id ON tool_schema (server_id);
CREATE INDEX IF NOT EXISTS idx_tool_embedding_server_id ON tool_embedding (server_id);
CREATE INDEX IF NOT EXISTS idx_tool_dependency_from ON tool_dependency (from_tool_id);
CREATE INDEX IF NOT EXISTS idx_tool_dependency_to ON tool_dependency (to_tool_id);
CREATE INDEX IF NOT EXISTS idx_tool_dependency_confidence ON tool_dependency (confidence_score);
`,
  // Dropping a table drops its indexes. No CASCADE: anything else still depending on these tables or on
  // the extension makes the down fail loudly instead of being dropped silently.
  down: `
DROP TABLE IF EXISTS tool_dependency;
DROP TABLE IF EXISTS config;
DROP TABLE IF EXISTS tool_embedding;
DROP TABLE IF EXISTS tool_schema;
DROP EXTENSION IF EXISTS vector;
`,
});
