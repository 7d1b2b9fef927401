/**
 * E2E 09 — full workflow: an intent is turned into tools by vector search over `tool_schema`, planned as
 * a DAG, kept in Deno KV while it runs layer by layer through the gateway, and recorded durably in
 * PostgreSQL (`workflow_execution`, `workflow_pattern`, `permission_audit_log`, observed
 * `tool_dependency` edges). One hour after its last update the KV state is gone; the records stay.
 */
import assert from "node:assert/strict";
import { createKvFixture } from "../fixtures/kv_fixture.ts";
import { connectFixtureServers } from "../fixtures/mcp_servers.ts";
import { withMigratedDb } from "../fixtures/test_db.ts";
import type {
  JsonObject,
  JsonValue,
  WorkflowDag,
  WorkflowTask,
} from "../src/cache/workflow_dag.ts";
import { discoverTools } from "../src/discovery/tool_discovery.ts";
import { embedToolSchemas } from "../src/embeddings/embed_tool_schemas.ts";
import { HashingEmbedder } from "../src/embeddings/hashing_embedder.ts";
import { recordCapabilityUse } from "../src/gateway/capability_store.ts";
import { recordWorkflowExecution } from "../src/gateway/execution_log.ts";
import { Gateway } from "../src/gateway/gateway.ts";
import { topologicalLayers } from "../src/graph/topological_layers.ts";
import { searchTools } from "../src/search/vector_search.ts";

const INTENT = "Read the config file, parse its JSON, check the API status, then post a report";
const WORKFLOW_ID = "wf-report";
const LAYER_MS = 1_000;

/** The intent split into steps; each step's tool is found by search, not named. */
const STEPS = [
  { id: "read", query: "read a file", arguments: { path: "/data/config.json" }, dependsOn: [] },
  {
    id: "status",
    query: "perform a GET request",
    arguments: { url: "https://api.example.com/status" },
    dependsOn: [],
  },
  {
    id: "parse",
    query: "parse JSON data",
    arguments: { text: { $from: "read" } },
    dependsOn: ["read"],
  },
  {
    id: "post",
    query: "send a POST request",
    arguments: {
      url: "https://api.example.com/reports",
      body: { config: { $from: "parse", json: true }, status: { $from: "status", json: true } },
    },
    dependsOn: ["parse", "status"],
  },
] as const;

/** Replaces `{ $from: id }` with the text result of task `id` (parsed when `json` is true). */
function resolve(value: JsonValue, results: Readonly<Record<string, string>>): JsonValue {
  if (Array.isArray(value)) return value.map((item) => resolve(item, results));
  if (typeof value !== "object" || value === null) return value;
  if (typeof value.$from === "string") {
    const text = results[value.$from];
    if (text === undefined) {
      throw new Error(`Cannot resolve the result of "${value.$from}": not run yet`);
    }
    return value.json === true ? JSON.parse(text) : text;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, resolve(item, results)]),
  );
}

Deno.test("09 full workflow: intent → search → DAG → KV state → gateway → records → expiry", async (t) => {
  await using servers = await connectFixtureServers();
  await using kvFixture = await createKvFixture();
  const { cache, clock } = kvFixture;
  const embedder = new HashingEmbedder();

  await withMigratedDb(async (db) => {
    await discoverTools(db, servers.clients);
    await embedToolSchemas(db, embedder);
    const gateway = new Gateway(db, servers.clients, { clock, newId: () => "audit-wf-report" });
    const startedAt = clock.now();
    let dag: WorkflowDag = { tasks: [] };

    await t.step(
      "each step of the intent is matched to a cached tool by vector search",
      async () => {
        const tasks: WorkflowTask[] = [];
        for (const step of STEPS) {
          const [best] = await searchTools(db, embedder, step.query, { topK: 1 });
          assert.ok(best, `a tool for "${step.query}"`);
          tasks.push({
            id: step.id,
            tool: best.toolId,
            arguments: structuredClone(step.arguments) as JsonObject,
            dependsOn: [...step.dependsOn],
          });
        }
        assert.deepEqual(tasks.map((task) => task.tool), [
          "filesystem:read",
          "api:get",
          "json:parse",
          "api:post",
        ]);
        dag = { tasks, completed: [], results: {} };
      },
    );

    await t.step("the DAG has three layers, the independent read and status check first", () => {
      assert.deepEqual(topologicalLayers(dag.tasks), [["read", "status"], ["parse"], ["post"]]);
    });

    await t.step("the workflow state is saved in KV with the intent", async () => {
      await cache.save(WORKFLOW_ID, dag, INTENT);
      const record = await cache.getRecord(WORKFLOW_ID);
      assert.deepEqual(record?.dag, dag);
      assert.equal(record?.intent, INTENT);
    });

    await t.step("the layers run through the gateway, the state updated after each", async () => {
      const toolOf = new Map(dag.tasks.map((task) => [task.id, task.tool]));
      for (const layer of topologicalLayers(dag.tasks)) {
        const state = await cache.get(WORKFLOW_ID);
        assert.ok(state, "the state is live while the workflow runs");
        const results = { ...(state.results as Record<string, string>) };
        for (const id of layer) {
          const task = state.tasks.find((candidate) => candidate.id === id);
          assert.ok(task);
          const outcome = await gateway.callTool(
            task.tool,
            resolve(task.arguments, results) as JsonObject,
            {
              after: task.dependsOn.map((dependency) => toolOf.get(dependency) ?? dependency),
            },
          );
          results[id] = outcome.text;
        }
        clock.advance(LAYER_MS);
        await cache.update(WORKFLOW_ID, {
          ...state,
          completed: [...(state.completed as string[]), ...layer],
          results,
        });
      }
      dag = (await cache.get(WORKFLOW_ID)) ?? dag;
      assert.deepEqual(dag.completed, ["read", "status", "parse", "post"]);
      assert.deepEqual(JSON.parse((dag.results as Record<string, string>).post ?? "null"), {
        status: 201,
        body: {
          id: 1,
          received: {
            config: { service: "pml-store", retries: 3 },
            status: { status: 200, body: { ok: true, service: "example" } },
          },
        },
      });
    });

    await t.step("the run taught the gateway the edges between the tools it used", async () => {
      const rows = await db.query<{ edge: string; edge_source: string; known: boolean }>(
        `SELECT d.from_tool_id || ' > ' || d.to_tool_id AS edge, d.edge_source,
                (f.tool_id IS NOT NULL AND t.tool_id IS NOT NULL) AS known
         FROM tool_dependency d
         LEFT JOIN tool_schema f ON f.tool_id = d.from_tool_id
         LEFT JOIN tool_schema t ON t.tool_id = d.to_tool_id
         ORDER BY edge`,
      );
      assert.deepEqual(rows, [
        { edge: "api:get > api:post", edge_source: "observed", known: true },
        { edge: "filesystem:read > json:parse", edge_source: "observed", known: true },
        { edge: "json:parse > api:post", edge_source: "observed", known: true },
      ]);
    });

    await t.step("the execution, the capability and an audit row are recorded", async () => {
      const execution = await recordWorkflowExecution(db, {
        intentText: INTENT,
        dagStructure: dag,
        success: true,
        executionTimeMs: clock.now() - startedAt,
      }, { clock });
      const capability = await recordCapabilityUse(db, {
        patternHash: dag.tasks.map((task) => task.tool).join(" | "),
        dagStructure: { tasks: dag.tasks },
        intentEmbedding: await embedder.embed(INTENT),
        success: true,
        durationMs: clock.now() - startedAt,
        name: "config report",
        permissionSet: "network-api",
      }, { clock });
      await gateway.recordPermissionAudit({
        capabilityId: capability.patternId,
        fromSet: "minimal",
        toSet: "network-api",
        approved: true,
        approvedBy: "e2e",
        detectedOperation: "api:post",
      });

      assert.deepEqual(
        await db.queryOne(
          `SELECT intent_text, success, execution_time_ms, user_id, dag_structure = $2::jsonb AS same_dag
           FROM workflow_execution WHERE execution_id = $1::uuid`,
          [execution.executionId, JSON.stringify(dag)],
        ),
        {
          intent_text: INTENT,
          success: true,
          execution_time_ms: 3 * LAYER_MS,
          user_id: "local",
          same_dag: true,
        },
      );
      assert.deepEqual(
        await db.queryOne(
          `SELECT p.usage_count, p.success_count, p.permission_set, a.to_set, a.detected_operation
           FROM permission_audit_log a JOIN workflow_pattern p ON p.pattern_id = a.capability_id
           WHERE a.id = 'audit-wf-report'`,
        ),
        {
          usage_count: 1,
          success_count: 1,
          permission_set: "network-api",
          to_set: "network-api",
          detected_operation: "api:post",
        },
      );
    });

    await t.step(
      "one hour after the last update the KV state is gone; the records stay",
      async () => {
        const record = await cache.getRecord(WORKFLOW_ID);
        assert.equal(record?.expires_at.getTime(), clock.now() + 3_600_000);
        clock.advance(3_600_000);
        assert.equal(await cache.get(WORKFLOW_ID), null);
        const row = await db.queryOne<{ executions: number; patterns: number; audits: number }>(
          `SELECT (SELECT count(*)::int FROM workflow_execution) AS executions,
                (SELECT count(*)::int FROM workflow_pattern) AS patterns,
                (SELECT count(*)::int FROM permission_audit_log) AS audits`,
        );
        assert.deepEqual(row, { executions: 1, patterns: 1, audits: 1 });
      },
    );
  });
});
