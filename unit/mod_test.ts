import assert from "node:assert/strict";
import * as store from "../mod.ts";
import * as fixtures from "../fixtures/mod.ts";
import * as fixturesDb from "../fixtures/db.ts";
import * as fixturesKv from "../fixtures/kv.ts";
import * as fixturesMcp from "../fixtures/mcp.ts";
import * as legacy from "../legacy.ts";

// Pins the public API: adding or removing an export must be a deliberate change to these lists.

const STORE_VALUES: Record<string, string> = {
  CacheError: "function",
  DbError: "function",
  EMBEDDING_DIMENSION: "number",
  EmbeddingDimensionError: "function",
  Gateway: "function",
  GatewayError: "function",
  HashingEmbedder: "function",
  MigrationError: "function",
  ToolGraph: "function",
  WORKFLOW_STATE_TTL_MS: "number",
  WorkflowStateCache: "function",
  closeKv: "function",
  defineMigrations: "function",
  deleteWorkflowState: "function",
  discoverTools: "function",
  embedToolSchemas: "function",
  formatSchemaSnapshot: "function",
  getKv: "function",
  getToolEmbedding: "function",
  getToolSchema: "function",
  getWorkflowState: "function",
  getWorkflowStateRecord: "function",
  listToolSchemas: "function",
  loadToolGraph: "function",
  migrate: "function",
  migrations: "object",
  moveWorkflowDagsToKv: "function",
  openDatabase: "function",
  readSchemaSnapshot: "function",
  recordCapabilityUse: "function",
  recordObservedEdges: "function",
  recordObservedSequence: "function",
  recordPermissionAudit: "function",
  recordWorkflowExecution: "function",
  refreshWorkflowState: "function",
  rollback: "function",
  saveWorkflowState: "function",
  searchTools: "function",
  status: "function",
  sweepExpiredWorkflowStates: "function",
  systemClock: "object",
  updateWorkflowState: "function",
  upsertToolEmbeddings: "function",
  upsertToolSchemas: "function",
  verify: "function",
  workflowDagsMoveContext: "function",
  loadMigrationDirectory: "function",
  nextMigrationVersion: "function",
};

// The fixtures in three parts, each an entry point of its own; `./fixtures` is all three together.
const FIXTURE_DB_VALUES: Record<string, string> = {
  IsolationError: "function",
  assertMigrationsIdempotent: "function",
  closeTestDatabases: "function",
  diffLines: "function",
  readFingerprint: "function",
  withFastDb: "function",
  withMigratedDb: "function",
};

const FIXTURE_KV_VALUES: Record<string, string> = {
  FakeClock: "function",
  KV_FIXTURE_START_MS: "number",
  createKvFixture: "function",
  getClock: "function",
  installClock: "function",
  installKv: "function",
};

const FIXTURE_MCP_VALUES: Record<string, string> = {
  DEFAULT_FIXTURE_FILES: "object",
  FIXTURE_TOOLS: "object",
  connectFixtureServers: "function",
  generateToolCatalog: "function",
  seedToolSchemas: "function",
};

const FIXTURE_VALUES: Record<string, string> = {
  ...FIXTURE_DB_VALUES,
  ...FIXTURE_KV_VALUES,
  ...FIXTURE_MCP_VALUES,
};

const LEGACY_VALUES: Record<string, string> = {
  cleanupExpiredDAGs: "function",
  deleteWorkflowDAG: "function",
  extendWorkflowDAGExpiration: "function",
  getWorkflowDAG: "function",
  getWorkflowDAGRecord: "function",
  saveWorkflowDAG: "function",
  updateWorkflowDAG: "function",
};

/** How many type-only exports (interfaces and type aliases) `deno doc --json` lists per entry point. */
const TYPE_COUNTS = {
  ".": 85,
  "./fixtures": 14,
  "./fixtures/db": 6,
  "./fixtures/kv": 2,
  "./fixtures/mcp": 6,
  "./legacy": 1,
};

const typesOf = (module: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(module).sort().map((name) => [name, typeof module[name]]));

async function typeExportCount(entry: string): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout));
  const [file] = Object.values(doc.nodes) as { symbols: { declarations: { kind: string }[] }[] }[];
  return file!.symbols.filter((symbol) =>
    symbol.declarations.every((declaration) =>
      ["interface", "typeAlias"].includes(declaration.kind)
    )
  ).length;
}

Deno.test("the entry points export exactly the public API: values by typeof, types by count", async () => {
  assert.deepEqual(typesOf(store), STORE_VALUES);
  assert.deepEqual(typesOf(fixtures), FIXTURE_VALUES);
  assert.deepEqual(typesOf(fixturesDb), FIXTURE_DB_VALUES);
  assert.deepEqual(typesOf(fixturesKv), FIXTURE_KV_VALUES);
  assert.deepEqual(typesOf(fixturesMcp), FIXTURE_MCP_VALUES);
  assert.deepEqual(typesOf(legacy), LEGACY_VALUES);
  assert.deepEqual(
    {
      values: Object.keys(store).length,
      fixtureValues: Object.keys(fixtures).length,
      legacyValues: Object.keys(legacy).length,
    },
    { values: 48, fixtureValues: 18, legacyValues: 7 },
  );
  assert.deepEqual(
    {
      ".": await typeExportCount("../mod.ts"),
      "./fixtures": await typeExportCount("../fixtures/mod.ts"),
      "./fixtures/db": await typeExportCount("../fixtures/db.ts"),
      "./fixtures/kv": await typeExportCount("../fixtures/kv.ts"),
      "./fixtures/mcp": await typeExportCount("../fixtures/mcp.ts"),
      "./legacy": await typeExportCount("../legacy.ts"),
    },
    TYPE_COUNTS,
  );
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.deepEqual(config.exports, {
    ".": "./mod.ts",
    "./fixtures": "./fixtures/mod.ts",
    "./fixtures/db": "./fixtures/db.ts",
    "./fixtures/kv": "./fixtures/kv.ts",
    "./fixtures/mcp": "./fixtures/mcp.ts",
    "./legacy": "./legacy.ts",
  });
});
