/**
 * Cost of tool search: `searchTools()` over a seeded catalogue of 1,000 tools, broken down into its parts,
 * and the per-query cost as the catalogue grows from 100 to 1,000 to 10,000 tools.
 *
 * Each catalogue lives in its own in-memory PGlite, migrated to 019, filled with
 * `generateToolCatalog(n)` and embedded with the `HashingEmbedder`, so the HNSW index is built row by row
 * exactly as discovery would build it. Set-up times and whether the planner uses the index are printed
 * before the runs; the median of each benchmark (which `deno bench` does not report) is printed after.
 * Queries rotate through a fixed list so no result is served from a warm page more than another.
 *
 * Run: `npx deno bench --allow-read --allow-write --allow-env bench/search_bench.ts`
 *
 * @module
 */

import { generateToolCatalog, seedToolSchemas } from "../fixtures/tool_catalog.ts";
import type { DbClient } from "../src/db/client/db_client.ts";
import { migrate } from "../src/db/migrate/migrator.ts";
import { openDatabase } from "../src/db/open_database.ts";
import { embedToolSchemas } from "../src/embeddings/embed_tool_schemas.ts";
import { HashingEmbedder } from "../src/embeddings/hashing_embedder.ts";
import { toVectorLiteral } from "../src/embeddings/vector_literal.ts";
import { NEAREST_TOOLS_SQL } from "../src/search/queries.ts";
import { searchTools } from "../src/search/vector_search.ts";
import { formatMs as ms, timed } from "./_medians.ts";

const SIZES = [100, 1_000, 10_000] as const;
const QUERIES = [
  "read a file",
  "parse JSON data",
  "send an email with retries",
  "resize an image over HTTP",
  "upload a zip archive to cloud storage",
  "summarize a PDF report as markdown",
  "query a database row for a user",
  "schedule a calendar event",
];

const embedder = new HashingEmbedder();
const queryVectors = await Promise.all(
  QUERIES.map(async (query) => toVectorLiteral(await embedder.embed(query))),
);

async function seededCatalogue(size: number): Promise<DbClient> {
  const started = performance.now();
  const db = await openDatabase();
  const { error } = await migrate(db);
  if (error !== undefined) throw error;
  const migrated = performance.now();
  await seedToolSchemas(db, generateToolCatalog(size));
  await embedToolSchemas(db, embedder);
  const plan = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${NEAREST_TOOLS_SQL}`, [
    queryVectors[0] ?? "",
    5,
  ]);
  const usesIndex = plan.some((row) => row["QUERY PLAN"].includes("idx_tool_embedding_hnsw"));
  console.log(
    `catalogue of ${size} tools: migrated in ${
      ms(migrated - started)
    }, seeded, embedded and indexed in ` +
      `${ms(performance.now() - migrated)}; nearest-tools plan uses the HNSW index: ${usesIndex}`,
  );
  return db;
}

const catalogues = new Map<number, DbClient>();
for (const size of SIZES) catalogues.set(size, await seededCatalogue(size));

function catalogue(size: number): DbClient {
  const db = catalogues.get(size);
  if (db === undefined) throw new Error(`Cannot run the benchmark: no catalogue of ${size} tools`);
  return db;
}

/** Registers a benchmark whose body gets the next query index; its median is printed at the end. */
function bench(
  name: string,
  group: string,
  body: (index: number) => Promise<unknown>,
  baseline = false,
): void {
  let next = 0;
  const run = timed(`${group} / ${name}`, () => body(next++ % QUERIES.length));
  Deno.bench({ name, group, baseline }, async () => {
    await run();
  });
}

const query = (index: number) => QUERIES[index] ?? "";

const ONE_THOUSAND = "search over 1,000 tools";
bench(
  "searchTools (vector + keyword fallback)",
  ONE_THOUSAND,
  (i) => searchTools(catalogue(1_000), embedder, query(i)),
  true,
);
bench(
  "searchTools (vector only)",
  ONE_THOUSAND,
  (i) => searchTools(catalogue(1_000), embedder, query(i), { keywordFallback: false }),
);
bench(
  "nearest-tools SQL only (query pre-embedded)",
  ONE_THOUSAND,
  (i) => catalogue(1_000).query(NEAREST_TOOLS_SQL, [queryVectors[i] ?? "", 5]),
);
bench("HashingEmbedder.embed only", ONE_THOUSAND, (i) => embedder.embed(query(i)));

for (const size of SIZES) {
  bench(
    `${size} tools`,
    "searchTools as the catalogue grows",
    (i) => searchTools(catalogue(size), embedder, query(i)),
    size === SIZES[0],
  );
}
for (const size of SIZES) {
  bench(
    `${size} tools`,
    "vector only as the catalogue grows",
    (i) => searchTools(catalogue(size), embedder, query(i), { keywordFallback: false }),
    size === SIZES[0],
  );
}
