/**
 * The ordered registry of pml-store's migrations 001–019. Listed explicitly, never discovered by scanning a
 * directory, so the order is reviewed code. Version 5 was never used: the gap is declared, and
 * {@linkcode defineMigrations} rejects any other gap, duplicate or out-of-order version.
 *
 * @module
 */
import type { Migration } from "../migrate/migration.ts";
import { defineMigrations } from "../migrate/migration_registry.ts";
import { migration as m001 } from "./migrations/001_initial_schema.ts";
import { migration as m002 } from "./migrations/002_telemetry_logging.ts";
import { migration as m003 } from "./migrations/003_error_logging.ts";
import { migration as m004 } from "./migrations/004_mcp_tool_tables.ts";
import { migration as m006 } from "./migrations/006_workflow_checkpoints.ts";
import { migration as m007 } from "./migrations/007_episodic_memory.ts";
import { migration as m008 } from "./migrations/008_workflow_dags.ts";
import { migration as m009 } from "./migrations/009_tool_dependency_source.ts";
import { migration as m010 } from "./migrations/010_graphrag_tables.ts";
import { migration as m011 } from "./migrations/011_capability_storage.ts";
import { migration as m012 } from "./migrations/012_edge_types.ts";
import { migration as m013 } from "./migrations/013_user_id_workflow_execution.ts";
import { migration as m014 } from "./migrations/014_algorithm_traces.ts";
import { migration as m015 } from "./migrations/015_capability_community_id.ts";
import { migration as m016 } from "./migrations/016_capability_dependency.ts";
import { migration as m017 } from "./migrations/017_permission_inference.ts";
import { migration as m018 } from "./migrations/018_permission_audit_log.ts";
import { migration as m019 } from "./migrations/019_db_schema_cleanup.ts";

/**
 * Versions deliberately absent from the registry.
 *
 * @example Usage
 * ```ts
 * import { migrations } from "@pml/store";
 * import { MISSING_VERSIONS } from "./migrations.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(MISSING_VERSIONS, [5]);
 * assert.ok(!migrations.some((m) => MISSING_VERSIONS.includes(m.version)));
 * ```
 */
export const MISSING_VERSIONS: readonly number[] = Object.freeze([5]);

/**
 * pml-store's migrations, ascending: 18 entries, versions 1–4 and 6–19.
 *
 * @example Usage
 * ```ts
 * import { migrations } from "@pml/store";
 * import { MISSING_VERSIONS } from "./migrations.ts";
 * import assert from "node:assert/strict";
 *
 * const latest = migrations.at(-1)!.version;
 * assert.equal(migrations.length, latest - MISSING_VERSIONS.length);
 * assert.equal(migrations.find((m) => m.version === 19)?.name, "db_schema_cleanup");
 * ```
 */
export const migrations: readonly Migration[] = defineMigrations(
  [
    m001,
    m002,
    m003,
    m004,
    m006,
    m007,
    m008,
    m009,
    m010,
    m011,
    m012,
    m013,
    m014,
    m015,
    m016,
    m017,
    m018,
    m019,
  ],
  { missingVersions: MISSING_VERSIONS },
);
