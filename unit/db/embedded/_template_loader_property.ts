// The property of loadTemplate(), run by tar_property_test.ts in a process of its own (the loader reads
// PML_TEMPLATE_CACHE_DIR, which is process-wide). An entry is stored as the cache stores it, the
// archive then its SHA-256 digest; truncated, or with one byte changed, it must not load at all, and
// it is removed. Exits 1 with the counterexample on stderr when the property fails; prints nothing else.
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadTemplate } from "../../../src/db/embedded/template_cache.ts";
import { readTar, writeTar } from "../../../src/db/embedded/tar.ts";
import { contents, tarEntry } from "./_tar_arbitraries.ts";

const dir = await Deno.makeTempDir();
Deno.env.set("PML_TEMPLATE_CACHE_DIR", dir);
const warnings: string[] = [];
console.warn = (message: string) => warnings.push(message);

/** A mutation of a stored entry: a truncation to `length` bytes, or `byte` XOR-ed into one position. */
const damage = fc.oneof(
  fc.record({ cut: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    byte: fc.integer({ min: 1, max: 255 }),
  }),
);

try {
  await fc.assert(
    fc.asyncProperty(fc.array(tarEntry, { maxLength: 4 }), damage, async (entries, change) => {
      const archive = writeTar(entries);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", archive));
      const stored = new Uint8Array([...archive, ...digest]);
      const path = `${dir}/entry.tar`;
      await Deno.writeFile(path, stored);
      const loaded = await loadTemplate("entry", "property");
      assert.ok(loaded !== null, "the intact entry loads");
      assert.deepEqual(contents(readTar(loaded)), contents(entries));

      let damaged: Uint8Array;
      if ("cut" in change) {
        damaged = stored.slice(0, Math.floor(change.cut * stored.length));
      } else {
        damaged = stored.slice();
        damaged[Math.floor(change.at * stored.length)]! ^= change.byte;
      }
      await Deno.writeFile(path, damaged);
      const before = warnings.length;
      assert.equal(await loadTemplate("entry", "property"), null, "the damaged entry is refused");
      assert.equal(warnings.length, before + 1, "one warning");
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "the damaged entry is removed");
    }),
    { seed: Number(Deno.env.get("PML_PROPERTY_SEED")), numRuns: 200, endOnFailure: true },
  );
} catch (error) {
  Deno.stderr.writeSync(new TextEncoder().encode(`${(error as Error).message}\n`));
  Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
