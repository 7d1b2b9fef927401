/**
 * `serve [--port N]`: the embedded database over the PostgreSQL wire protocol on 127.0.0.1 until
 * `io.stopped` resolves (the process's SIGINT/SIGTERM), its lock held throughout.
 *
 * @module
 */
import { isPostgresUrl } from "../../db/client/postgres_client.ts";
import { isMemoryPath, openPglite } from "../../db/embedded/open_embedded.ts";
import { serveDatabase } from "../../db/embedded/serve_database.ts";
import { type CliCommand, type CliFlag, UsageError, valueFlag } from "../cli_command.ts";
import { DB_FLAG, WAIT_FLAG, WAIT_MS } from "../database_flags.ts";

/** `--port N`: the TCP port, 0–65535 (0 picks a free one). */
const PORT_FLAG: CliFlag<number> = valueFlag({
  name: "port",
  value: "N",
  description: "the port to listen on (default 5432, 0 picks a free one)",
  read(given = "5432") {
    if (!/^\d+$/.test(given) || Number(given) > 65535) {
      throw new UsageError(`--port must be a port number 0–65535, found '${given}'`);
    }
    return Number(given);
  },
});

/** The `serve` command; it needs `io.stopped`. */
export const SERVE_COMMAND: CliCommand = {
  name: "serve",
  summary: "serve the embedded database over the PostgreSQL wire protocol on 127.0.0.1 until " +
    "interrupted, holding its lock",
  flags: [PORT_FLAG, DB_FLAG, WAIT_FLAG],
  async run(context) {
    const { io } = context;
    const path = context.get(DB_FLAG);
    if (isPostgresUrl(path)) {
      throw new UsageError("serve serves an embedded database; --db is a server already");
    }
    if (io.stopped === undefined) throw new TypeError("serve needs io.stopped");
    await using pg = await openPglite(path, {
      create: isMemoryPath(path),
      directoryLockTimeoutMs: context.get(WAIT_FLAG) ? WAIT_MS : 0,
    });
    const server = await serveDatabase(pg, { port: context.get(PORT_FLAG) });
    try {
      io.out(`Serving ${path} at ${server.url} until interrupted (Ctrl-C).`);
      io.out(`  psql "${server.url}"`);
      await io.stopped;
    } finally {
      await server.close();
    }
    io.out("Stopped.");
    return 0;
  },
};
