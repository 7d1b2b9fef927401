/**
 * What the template cache's entry format costs a start, measured A/B: the harness's `test-empty`
 * template as it is cached (an uncompressed tar without the unused tail of the 16 MiB WAL segment),
 * against the same tar with the segment padded back to its full size (what `dumpDataDir("none")`
 * holds), and both gzipped (what `dumpDataDir("gzip")` makes). Each start runs in a new process,
 * alternating between the formats (so a drift of the machine's speed hits all alike), with the
 * harness's start options, timed by GNU time: the median time from reading the entry (and checking
 * its SHA-256, as the cache does) to the first query, wall time, CPU time (user + system) and maximum
 * resident set size of each, and each file's size.
 *
 * Run: `npx deno run -A bench/template_format_ab.ts [rounds]` (default 10; needs `/usr/bin/time`).
 *
 * @module
 */
import { join } from "node:path";
import { alternateTimed } from "./_timed_process.ts";
import { closeSharedPglite, sharedPglite } from "../fixtures/shared_pglite.ts";
import {
  loadTemplate,
  templateKey,
  WAL_SEGMENT,
  WAL_SEGMENT_BYTES,
} from "../src/db/embedded/template_cache.ts";
import { readTar, writeTar } from "../src/db/embedded/tar.ts";
import { TEST_SHARED_BUFFERS } from "../src/db/embedded/pglite_options.ts";

const rounds = Number(Deno.args[0] ?? 10);
// The harness's empty template, built here when missing (so no measured process builds it).
await sharedPglite("empty");
await closeSharedPglite();
const trimmed = await loadTemplate(await templateKey("test-empty") ?? "", "test-empty");
if (trimmed === null) throw new Error("Cannot compare the formats: the template cache is off");
const padded = writeTar(
  readTar(trimmed).map((entry) => {
    if (!WAL_SEGMENT.test(entry.name) || entry.data.length >= WAL_SEGMENT_BYTES) return entry;
    const data = new Uint8Array(WAL_SEGMENT_BYTES);
    data.set(entry.data);
    return { ...entry, data };
  }),
);
if (padded.length <= trimmed.length) {
  throw new Error("Cannot compare the formats: the template holds no trimmed WAL segment");
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const directory = await Deno.makeTempDir({ prefix: "pml-template-format-" });
const formats: { name: string; bytes: Uint8Array<ArrayBuffer>; type: string }[] = [
  { name: "tar, WAL tail trimmed (the cache's format)", bytes: trimmed, type: "" },
  { name: "tar, full WAL segment (dumpDataDir none)", bytes: padded, type: "" },
  { name: "gzip of the trimmed tar", bytes: await gzip(trimmed), type: "application/gzip" },
  {
    name: "gzip of the full tar (dumpDataDir gzip)",
    bytes: await gzip(padded),
    type: "application/gzip",
  },
];
const files = await Promise.all(formats.map(async (format, index) => {
  const path = join(directory, `${index}.bin`);
  await Deno.writeFile(path, format.bytes);
  return path;
}));

const start = (path: string, type: string) =>
  `import { PGlite } from "@electric-sql/pglite";
  import { vector } from "@electric-sql/pglite-pgvector";
  const started = performance.now();
  const bytes = await Deno.readFile(${JSON.stringify(path)});
  await crypto.subtle.digest("SHA-256", bytes); // The cache checks each entry's digest before use.
  const pg = await PGlite.create({
    loadDataDir: new Blob([bytes], { type: ${JSON.stringify(type)} }),
    extensions: { vector },
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=${TEST_SHARED_BUFFERS}"],
  });
  const [{ n }] = (await pg.query("SELECT count(*)::int AS n FROM pg_class")).rows;
  if (!(n > 0)) throw new Error("the started cluster has no catalog");
  console.log(performance.now() - started);
  await pg.close();`;

const cases = formats.map((format, index) => ({
  label: `'${format.name}'`,
  script: start(files[index]!, format.type),
}));
const medians = await alternateTimed(rounds, cases)
  .finally(() => Deno.remove(directory, { recursive: true }));
for (const [index, m] of medians.entries()) {
  const format = formats[index]!;
  const size = (format.bytes.length / 1024 / 1024).toFixed(1);
  console.log(
    `${format.name}, ${size} MB: read + check + PGlite.create ${m.printed.toFixed(0)} ms, process ${
      m.wallMs.toFixed(0)
    } ms wall, ${m.cpuMs.toFixed(0)} ms CPU, ${
      m.maxRssMb.toFixed(0)
    } MB max RSS (medians of ${m.runs})`,
  );
}
