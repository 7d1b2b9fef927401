/**
 * One process of the multi-process tests: `count` updater-function updates of one workflow in the KV
 * file at `path`, each adding 1 to `dag.count`. Prints `{ ok, failures, lostChecks, ms }` as JSON,
 * failures keyed by error code (or name), `lostChecks` counting commits that lost the versionstamp check. Run: `deno run --allow-read --allow-write <this> <path> <id> <count>`.
 *
 * @module
 */

import { CacheError } from "../../src/cache/cache_error.ts";
import type { KvClient } from "../../src/cache/kv_client.ts";
import { WorkflowStateCache } from "../../src/cache/workflow_state_cache.ts";

const [path, id, countText] = Deno.args;
const kv = await Deno.openKv(path);
let lostChecks = 0;
const counting: KvClient = {
  get: (key) => kv.get(key),
  getMany: (keys) => kv.getMany(keys),
  set: (key, value, options) => kv.set(key, value, options),
  delete: (key) => kv.delete(key),
  list: (selector, options) => kv.list(selector, options),
  close: () => kv.close(),
  atomic() {
    const operation = kv.atomic();
    const commit = operation.commit.bind(operation);
    operation.commit = async () => {
      const result = await commit();
      if (!result.ok) lostChecks++;
      return result;
    };
    return operation;
  },
};
const cache = new WorkflowStateCache({ kv: counting });
const failures: Record<string, number> = {};
let ok = 0;
const started = performance.now();
for (let index = 0; index < Number(countText); index++) {
  try {
    await cache.update(id!, (dag) => ({ ...dag, count: (dag.count as number) + 1 }));
    ok++;
  } catch (error) {
    const key = error instanceof CacheError
      ? error.code
      : `${(error as Error).name}: ${(error as Error).message}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
}
console.log(JSON.stringify({ ok, failures, lostChecks, ms: performance.now() - started }));
kv.close();
