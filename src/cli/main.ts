/**
 * Entry point of `deno task migrate`: runs the CLI with the process's arguments, streams and environment.
 *
 * @module
 */
import { runCli } from "./run_cli.ts";

if (import.meta.main) {
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  const code = await runCli(Deno.args, {
    stopped,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
  });
  Deno.exit(code);
}
