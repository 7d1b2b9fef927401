#!/usr/bin/env node
/**
 * Entry point of the npm `bin` (`npx pml-store migrate`): the CLI of `deno task migrate` under Node, with
 * the same commands, output and exit codes.
 *
 * @module
 */
import process from "node:process";
import { runProcessCli } from "./_process_cli.ts";

// An exit code rather than process.exit(): Node writes piped output asynchronously and would cut it short.
process.exitCode = await runProcessCli();
