/**
 * The CLI run as this process, in Deno or Node alike: its arguments, console, environment and working
 * directory, with SIGINT and SIGTERM resolving `stopped` (what `serve` waits for). The two entry points,
 * `main.ts` (Deno) and `node_main.ts` (the npm `bin`), differ only in how they hand back the exit code.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./run_cli.ts";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Runs the CLI on `process.argv` and resolves to its exit code; the signal listeners end with the run. */
export async function runProcessCli(): Promise<number> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    return await runCli(process.argv.slice(2), {
      stopped,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      env: (name) => process.env[name],
      cwd: process.cwd(),
    });
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}
