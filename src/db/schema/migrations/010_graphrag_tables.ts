/**
 * Migration 010 — GraphRAG learning: `workflow_execution` logs every executed workflow, `workflow_pattern`
 * stores recurring workflows (capabilities) with an intent embedding for similarity search, and
 * `adaptive_config` holds the global decision thresholds, seeded with their starting values.
 *
 * The seed uses ON CONFLICT DO NOTHING so a re-run never adds rows nor overwrites learned values.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates `workflow_execution`, `workflow_pattern` and `adaptive_config`, and seeds three thresholds. */
export const migration: Migration = Object.freeze({
  version: 10,
  name: "graphrag_tables",
  up: `
CREATE TABLE IF NOT EXISTS workflow_execution (
  execution_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  executed_at TIMESTAMP DEFAULT NOW(),
  intent_text TEXT,
  dag_structure JSONB NOT NULL,
  success BOOLEAN NOT NULL,
  execution_time_ms INTEGER NOT NULL,
  error_message TEXT
);

CREATE INDEX IF NOT EXISTS idx_execution_timestamp ON workflow_execution (executed_at DESC);

CREATE TABLE IF NOT EXISTS workflow_pattern (
  pattern_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern_hash TEXT UNIQUE NOT NULL,
  dag_structure JSONB NOT NULL,
  intent_embedding vector(1024) NOT NULL,
  usage_count INTEGER DEFAULT 1,
  success_count INTEGER DEFAULT 0,
  last_used TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_pattern_intent_embedding
  ON workflow_pattern USING hnsw (intent_embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 64);

CREATE TABLE IF NOT EXISTS adaptive_config (
  config_key TEXT PRIMARY KEY,
  config_value REAL NOT NULL,
  last_updated TIMESTAMP DEFAULT NOW(),
  total_samples INTEGER DEFAULT 0
);

INSERT INTO adaptive_config (config_key, config_value, total_samples)
VALUES
  ('threshold_speculative', 0.85, 0),
  ('threshold_suggestion', 0.70, 0),
  ('threshold_explicit', 0.70, 0)
ON CONFLICT (config_key) DO NOTHING;
`,
  // Dropping adaptive_config removes the seed rows with it.
  down: `
DROP TABLE IF EXISTS adaptive_config;
DROP TABLE IF EXISTS workflow_pattern;
DROP TABLE IF EXISTS workflow_execution;
`,
});
