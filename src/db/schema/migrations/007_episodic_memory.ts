/**
 * Migration 007 — episodic memory: `episodic_events` records what happened during workflows (speculation,
 * task results, agent and human decisions), and `adaptive_thresholds` keeps per-context suggestion and
 * explicit-execution thresholds learned from those events, bounded by CHECK constraints so learning can
 * never push them out of their safe ranges.
 *
 * The bounds are cast to REAL on purpose. The historical checks compared the REAL columns with numeric
 * literals, which PostgreSQL evaluates in double precision: 0.80 stored as REAL becomes 0.800000011920929,
 * so the documented upper bound `explicit_threshold = 0.80` was rejected. Comparing in REAL keeps the
 * documented inclusive ranges.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `episodic_events` and `adaptive_thresholds` tables. */
export const migration: Migration = Object.freeze({
  version: 7,
  name: "episodic_memory",
  up: `
CREATE TABLE IF NOT EXISTS episodic_events (
  id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  task_id TEXT,
  timestamp TIMESTAMPTZ DEFAULT NOW(),
  context_hash TEXT,
  data JSONB NOT NULL,
  CONSTRAINT chk_event_type CHECK (event_type IN (
    'speculation_start',
    'task_complete',
    'ail_decision',
    'hil_decision',
    'workflow_start',
    'workflow_complete'
  ))
);

CREATE INDEX IF NOT EXISTS idx_episodic_workflow ON episodic_events (workflow_id);
CREATE INDEX IF NOT EXISTS idx_episodic_type ON episodic_events (event_type);
CREATE INDEX IF NOT EXISTS idx_episodic_timestamp ON episodic_events (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_episodic_context_hash ON episodic_events (context_hash);
CREATE INDEX IF NOT EXISTS idx_episodic_data ON episodic_events USING GIN (data);

CREATE TABLE IF NOT EXISTS adaptive_thresholds (
  context_hash TEXT PRIMARY KEY,
  context_keys JSONB NOT NULL,
  suggestion_threshold REAL NOT NULL DEFAULT 0.70,
  explicit_threshold REAL NOT NULL DEFAULT 0.50,
  success_rate REAL,
  sample_count INTEGER DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT chk_suggestion_threshold
    CHECK (suggestion_threshold >= 0.40::REAL AND suggestion_threshold <= 0.90::REAL),
  CONSTRAINT chk_explicit_threshold
    CHECK (explicit_threshold >= 0.30::REAL AND explicit_threshold <= 0.80::REAL),
  CONSTRAINT chk_success_rate
    CHECK (success_rate IS NULL OR (success_rate >= 0.0::REAL AND success_rate <= 1.0::REAL))
);

CREATE INDEX IF NOT EXISTS idx_adaptive_updated ON adaptive_thresholds (updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_adaptive_context_keys
  ON adaptive_thresholds USING GIN (context_keys);
`,
  down: `
DROP TABLE IF EXISTS adaptive_thresholds;
DROP TABLE IF EXISTS episodic_events;
`,
});
