// Property-based tests of the template archive reader. fast-check runs each property with a fixed seed
// (SEED, below), so a failure reproduces on every run; to explore other inputs locally, change the seed,
// and paste a failure's reported seed and path here.
import assert from "node:assert/strict";
import fc from "fast-check";
import { readTar, writeTar } from "../../../src/db/embedded/tar.ts";
import { contents, tarEntry } from "./_tar_arbitraries.ts";

const SEED = 20_251_207;
// endOnFailure: the archives are large values that shrink slowly; the seed and path reproduce a failure.
const RUNS = { seed: SEED, numRuns: 1000, endOnFailure: true };
const LOADER = new URL("./_template_loader_property.ts", import.meta.url);

Deno.test("readTar() reads back what writeTar() wrote, and writeTar() rewrites it byte for byte", () => {
  fc.assert(
    fc.property(fc.array(tarEntry, { maxLength: 6 }), (entries) => {
      const archive = writeTar(entries);
      const read = readTar(archive);
      assert.deepEqual(contents(read), contents(entries));
      assert.deepEqual(writeTar(read), archive);
    }),
    RUNS,
  );
});

Deno.test("readTar() refuses a truncated archive, never returning part of its entries", () => {
  fc.assert(
    fc.property(fc.array(tarEntry, { maxLength: 6 }), fc.nat(), (entries, cut) => {
      const archive = writeTar(entries);
      const length = cut % archive.length;
      let read;
      try {
        read = readTar(archive.slice(0, length));
      } catch {
        return; // Refused.
      }
      // Only the second end-of-archive block may go missing: the first one still ends the archive.
      assert.ok(length >= archive.length - 512, `read ${read.length} entries of ${length} bytes`);
      assert.deepEqual(contents(read), contents(entries));
    }),
    RUNS,
  );
});

Deno.test("loadTemplate() refuses a cached entry with any truncation or corrupted byte", async () => {
  // In a subprocess, which runs the property itself: the loader reads PML_TEMPLATE_CACHE_DIR, which
  // is process-wide, and test:lib runs test modules side by side in one process.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-env", LOADER.pathname],
    env: { PML_PROPERTY_SEED: String(SEED) },
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, `the property failed:\n${decoder.decode(stderr)}`);
  assert.equal(decoder.decode(stdout), "");
});
