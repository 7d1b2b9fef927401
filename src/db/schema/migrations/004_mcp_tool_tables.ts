/**
 * Migration 004 — `mcp_server` and `mcp_tool`, a second registry of MCP servers and their tools.
 *
 * Historical: it duplicated `tool_schema`, and migration 019 drops both tables again. It is kept unchanged
 * so that databases which went through it replay the same history.
 *
 * @module
 */

import type { Migration } from "../../migrate/migration.ts";

/** Creates the (later dropped) `mcp_server` and `mcp_tool` tables. */
export const migration: Migration = Object.freeze({
  version: 4,
  name: "mcp_tool_tables",
  up: `
CREATE TABLE IF NOT EXISTS mcp_server (
  id SERIAL PRIMARY KEY,
  server_id TEXT UNIQUE NOT NULL,
  server_name TEXT,
  connection_info JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS mcp_tool (
  id SERIAL PRIMARY KEY,
  server_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  tool_schema JSONB NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  UNIQUE (server_id, tool_name)
);

CREATE INDEX IF NOT EXISTS idx_mcp_tool_server_id ON mcp_tool (server_id);
CREATE INDEX IF NOT EXISTS idx_mcp_tool_tool_name ON mcp_tool (tool_name);
`,
  down: `
DROP TABLE IF EXISTS mcp_tool;
DROP TABLE IF EXISTS mcp_server;
`,
});
