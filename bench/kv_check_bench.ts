/**
 * Cost of the damage check that the first open of a KV file in a process runs, on a 1 MB and a 50 MB
 * KV file (written by Deno KV itself), each group with the plain open as the baseline:
 *
 * - `open`: `Deno.openKv` of the file and its close, without any check.
 * - `quick_check + open`: the check `openKvClient` runs where `node:sqlite` exists (Deno, Node 22.13+),
 *   then the same open.
 * - `page walk + open`: the weaker check of Node 20 (no `node:sqlite`), then the same open.
 *
 * Run: `npx deno bench --allow-read --allow-write --allow-env bench/kv_check_bench.ts`
 *
 * @module
 */

import { findKvFileDamage, walkSqliteFile } from "../src/cache/kv_file_check.ts";
import { timed } from "./_medians.ts";

/** Writes a new KV file at `path` with 1,000-byte values until it is at least `bytes` long. */
async function writeKvFile(path: string, bytes: number): Promise<void> {
  const kv = await Deno.openKv(path);
  try {
    for (let i = 0; (await Deno.stat(path)).size < bytes; i++) {
      const batch = kv.atomic();
      for (let j = 0; j < 500; j++) batch.set(["workflow", `wf-${i}-${j}`], "x".repeat(1000));
      await batch.commit();
    }
  } finally {
    kv.close();
  }
}

async function open(path: string): Promise<void> {
  (await Deno.openKv(path)).close();
}

async function checked(path: string, check: (path: string) => Promise<string | null>) {
  const damage = await check(path);
  if (damage !== null) throw new Error(`the bench's KV file is damaged: ${damage}`);
  await open(path);
}

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

for (const [group, bytes, n] of [["1 MB", 1_000_000, 50], ["50 MB", 50_000_000, 10]] as const) {
  const path = `${dir}/kv-${bytes}.db`;
  await writeKvFile(path, bytes);
  Deno.bench({
    name: "open",
    group,
    baseline: true,
    n,
    fn: timed(`${group} / open`, () => open(path)),
  });
  Deno.bench({
    name: "quick_check + open",
    group,
    n,
    fn: timed(`${group} / quick_check + open`, () => checked(path, findKvFileDamage)),
  });
  Deno.bench({
    name: "page walk + open",
    group,
    n,
    fn: timed(`${group} / page walk + open`, () => checked(path, walkSqliteFile)),
  });
}
