/**
 * Entry point of `deno task migrate`: runs the CLI with the process's arguments, streams and environment.
 * Under Node the entry point is `node_main.ts`.
 *
 * @module
 */
import process from "node:process";
import { runProcessCli } from "./_process_cli.ts";

// `import.meta.main` is Deno's (Node 20 lacks it), typed here so the file also compiles with Node's types.
if ((import.meta as { main?: boolean }).main) {
  // Deno writes the console synchronously, so exiting at once loses no output and stops what still runs.
  process.exit(await runProcessCli());
}
