/**
 * A script run in a new `deno` process under GNU time, for the A/B benchmarks that compare whole
 * starts: what the script printed, and the process's wall time, CPU time and maximum resident set;
 * and the alternating rounds those benchmarks run.
 *
 * @module
 */

import { median } from "./_medians.ts";

/** What one timed process printed and cost. */
export interface TimedProcess {
  stdout: string;
  wallMs: number;
  /** User plus system time. */
  cpuMs: number;
  maxRssMb: number;
}

const root = new URL("../", import.meta.url).pathname;

/**
 * Runs `script` with `deno eval --v8-flags=--liftoff-only` (the test tasks' flag) in the project
 * root, timed by `/usr/bin/time`; throws naming `label` when the process fails.
 */
export async function runTimedProcess(script: string, label: string): Promise<TimedProcess> {
  const { code, stdout, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S %M", Deno.execPath(), "eval", "--v8-flags=--liftoff-only", script],
    cwd: root,
  }).output();
  const times = new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`Cannot time ${label}: the process failed: ${times}`);
  const [wall, user, system, rssKb] = times.trim().split("\n").at(-1)!.split(" ").map(Number);
  return {
    stdout: new TextDecoder().decode(stdout),
    wallMs: wall! * 1000,
    cpuMs: (user! + system!) * 1000,
    maxRssMb: rssKb! / 1024,
  };
}

/** The medians of one case: the number its script printed, wall time, CPU time, maximum RSS. */
export interface TimedMedians {
  printed: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  /** How many measured runs the medians are of. */
  runs: number;
}

/**
 * Runs every case once per round, alternating between them so a drift of the machine's speed hits all
 * alike, after one warm-up round that is not measured; the medians of each case, in order.
 */
export async function alternateTimed(
  rounds: number,
  cases: readonly { label: string; script: string }[],
): Promise<TimedMedians[]> {
  const samples = cases.map(() => [] as TimedProcess[]);
  for (let round = 0; round <= rounds; round++) {
    for (const [index, { label, script }] of cases.entries()) {
      const run = await runTimedProcess(script, label);
      if (round > 0) samples[index]!.push(run);
    }
  }
  return samples.map((runs) => ({
    printed: median(runs.map((run) => Number(run.stdout))),
    wallMs: median(runs.map((run) => run.wallMs)),
    cpuMs: median(runs.map((run) => run.cpuMs)),
    maxRssMb: median(runs.map((run) => run.maxRssMb)),
    runs: runs.length,
  }));
}
