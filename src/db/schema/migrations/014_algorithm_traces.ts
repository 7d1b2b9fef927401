/**
 * Migration 014 — algorithm traces: `algorithm_traces` records every scoring decision (mode, target, input
 * signals, parameters, score, threshold, decision and later outcome) so the scoring algorithms can be
 * observed and validated against what users actually did.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the `algorithm_traces` table. */
export const migration: Migration = Object.freeze({
  version: 14,
  name: "algorithm_traces",
  up: `
CREATE TABLE IF NOT EXISTS algorithm_traces (
  trace_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  timestamp TIMESTAMPTZ DEFAULT NOW(),
  algorithm_mode TEXT NOT NULL,
  target_type TEXT NOT NULL,
  intent TEXT,
  context_hash TEXT,
  signals JSONB NOT NULL DEFAULT '{}',
  params JSONB NOT NULL DEFAULT '{}',
  final_score REAL NOT NULL,
  threshold_used REAL NOT NULL,
  decision TEXT NOT NULL,
  outcome JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_algorithm_traces_timestamp ON algorithm_traces (timestamp);
CREATE INDEX IF NOT EXISTS idx_algorithm_traces_mode ON algorithm_traces (algorithm_mode);
CREATE INDEX IF NOT EXISTS idx_algorithm_traces_target_type ON algorithm_traces (target_type);
CREATE INDEX IF NOT EXISTS idx_algorithm_traces_decision ON algorithm_traces (decision);
CREATE INDEX IF NOT EXISTS idx_algorithm_traces_signals_gin
  ON algorithm_traces USING GIN (signals);
`,
  down: `
DROP TABLE IF EXISTS algorithm_traces;
`,
});
