/**
 * Several processes updating one workflow through one KV file, with updater functions: no update is
 * lost, none fails with `WORKFLOW_STATE_CONFLICT` or a raw `database is locked`.
 */
import assert from "node:assert/strict";
import { WorkflowStateCache } from "../../src/cache/workflow_state_cache.ts";

const WORKER = new URL("./_updater_process.ts", import.meta.url).pathname;

interface ProcessReport {
  ok: number;
  failures: Record<string, number>;
  ms: number;
}

/** Runs `processes` updaters of `count` updates each on a fresh KV file; returns the reports and the final count. */
export async function hammer(processes: number, count: number) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/kv.db`;
  try {
    {
      using kv = await Deno.openKv(path);
      await new WorkflowStateCache({ kv }).save("shared", { tasks: [], count: 0 });
    }
    const children = Array.from({ length: processes }, () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--unstable-kv",
          "--allow-read",
          "--allow-write",
          WORKER,
          path,
          "shared",
          String(count),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output());
    const reports: ProcessReport[] = [];
    for (const output of await Promise.all(children)) {
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      reports.push(JSON.parse(new TextDecoder().decode(output.stdout)));
    }
    using kv = await Deno.openKv(path);
    const final = (await new WorkflowStateCache({ kv }).get("shared"))?.count;
    return { reports, final };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [processes, count] of [[2, 150], [4, 60]] as const) {
  Deno.test(`${processes} processes × ${count} updater updates of one id lose nothing and all succeed`, async () => {
    const { reports, final } = await hammer(processes, count);
    const ok = reports.reduce((sum, report) => sum + report.ok, 0);
    assert.deepEqual(reports.map((report) => report.failures), reports.map(() => ({})));
    assert.equal(ok, processes * count);
    assert.equal(final, ok, "every successful update is in the final state");
  });
}
