/**
 * Cost of the workflow state cache against raw Deno KV, each group with the raw call as the baseline:
 *
 * - `get`: cache `get` of a 10-task DAG vs raw `kv.get` of the same DAG.
 * - `set`: cache `save` of a 10-task DAG vs raw `kv.set` with the same `expireIn`.
 * - `chunked get`: cache `get` of a 2,000-task (chunked) state vs raw `getMany` of its chunks.
 *
 * Before the groups, two writers (Web Workers, each with its own KV connection to one temporary file,
 * contending for SQLite's lock as two processes do) run updater-function updates on one id; the
 * throughput in updates/s and the lost updates are printed.
 *
 * Run: `npx deno bench --allow-read --allow-write --allow-env bench/cache_bench.ts`
 *
 * @module
 */

import { systemClock } from "../src/cache/clock.ts";
import { WorkflowStateCache } from "../src/cache/workflow_state_cache.ts";
import type { WorkflowDag } from "../src/cache/workflow_dag.ts";
import { timed } from "./_medians.ts";

const HOUR = 3_600_000;

function chainDag(count: number, tag: string): WorkflowDag {
  return {
    tasks: Array.from({ length: count }, (_, index) => ({
      id: `task-${index}`,
      tool: "filesystem:read_file",
      arguments: { path: `/data/${tag}/file-${index}.txt` },
      dependsOn: index === 0 ? [] : [`task-${index - 1}`],
    })),
  };
}

const DAG = chainDag(10, "small");
const BIG = chainDag(2_000, "big");

/** Two writers × `count` updater updates of one id on one KV file. */
async function twoWriters(count: number) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/kv.db`;
  const cacheUrl = new URL("../src/cache/workflow_state_cache.ts", import.meta.url).href;
  {
    using kv = await Deno.openKv(path);
    await new WorkflowStateCache({ kv }).save("shared", { tasks: [], count: 0 });
  }
  const source = `import { WorkflowStateCache } from ${JSON.stringify(cacheUrl)};
    self.onmessage = async ({ data: { path, count } }) => {
      const kv = await Deno.openKv(path);
      const cache = new WorkflowStateCache({ kv });
      const failures = {};
      for (let i = 0; i < count; i++) {
        try {
          await cache.update("shared", (dag) => ({ ...dag, count: dag.count + 1 }));
        } catch (error) {
          const key = error.code ?? String(error);
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
      kv.close();
      self.postMessage(failures);
    };`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const started = performance.now();
  const failures = await Promise.all(
    [0, 1].map(() =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const worker = new Worker(url, { type: "module" });
        worker.onmessage = ({ data }) => {
          worker.terminate();
          resolve(data);
        };
        worker.onerror = (event) => {
          worker.terminate();
          reject(new Error(event.message));
        };
        worker.postMessage({ path, count });
      })
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  URL.revokeObjectURL(url);
  using kv = await Deno.openKv(path);
  const final = (await new WorkflowStateCache({ kv }).get("shared"))?.count as number;
  await Deno.remove(dir, { recursive: true });
  const failed = failures.reduce((sum, f) => sum + Object.values(f).reduce((a, b) => a + b, 0), 0);
  const succeeded = 2 * count - failed;
  console.log(
    `two writers × ${count} updater updates of one id: ${Math.round(final / seconds)} updates/s, ${
      succeeded - final
    } lost, failures ${JSON.stringify(failures)}`,
  );
}

await twoWriters(1_000);

const kv = await Deno.openKv(":memory:");
const cache = new WorkflowStateCache({ kv, clock: systemClock });
await kv.set(["raw", "wf"], DAG, { expireIn: HOUR });
await cache.save("wf", DAG, "read ten files");
await cache.save("big", BIG, "read 2,000 files");
const chunkKeys: Deno.KvKey[] = [];
for await (const entry of kv.list({ prefix: ["workflow_chunk", "big"] })) chunkKeys.push(entry.key);
for (
  const [name, value, expected] of [["get", await cache.get("wf"), DAG], [
    "big",
    await cache.get("big"),
    BIG,
  ]] as const
) {
  if (JSON.stringify(value) !== JSON.stringify(expected)) {
    throw new Error(`Cannot run the cache benchmark: ${name} read back another DAG`);
  }
}

const groups: [group: string, baseline: () => Promise<unknown>, subject: () => Promise<unknown>][] =
  [
    ["get", () => kv.get(["raw", "wf"]), () => cache.get("wf")],
    [
      "set",
      () => kv.set(["raw", "wf"], DAG, { expireIn: HOUR }),
      () => cache.save("wf", DAG, "read ten files"),
    ],
    ["chunked get", () => kv.getMany(chunkKeys), () => cache.get("big")],
  ];
for (const [group, baseline, subject] of groups) {
  Deno.bench({
    name: "raw Deno KV",
    group,
    baseline: true,
    fn: timed(`${group} / raw Deno KV`, baseline),
  });
  Deno.bench({
    name: "workflow state cache",
    group,
    fn: timed(`${group} / workflow state cache`, subject),
  });
}
