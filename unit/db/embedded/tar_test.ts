import assert from "node:assert/strict";
import { readTar, withoutZeroTail, writeTar } from "../../../src/db/embedded/tar.ts";
import { openPglite } from "../../../src/db/embedded/open_embedded.ts";

Deno.test("readTar() and writeTar() round-trip a PGlite dump, with one entry trimmed", async () => {
  const pg = await openPglite("memory://");
  const dump = new Uint8Array(await (await pg.dumpDataDir("none")).arrayBuffer());
  await pg.close();
  const entries = readTar(dump);
  assert.ok(entries.some((e) => e.name === "PG_VERSION" && e.type === "file"));
  assert.ok(entries.some((e) => e.name === "base" && e.type === "directory"));
  const wal = entries.findIndex((e) => e.name.startsWith("pg_wal/0"));
  const trimmed = entries.map((e, i) =>
    i === wal ? { ...e, data: withoutZeroTail(e.data, 8192) } : e
  );
  const again = readTar(writeTar(trimmed));
  assert.deepEqual(
    again.map((e) => [e.name, e.type, e.mode, e.data.length]),
    trimmed.map((e) => [e.name, e.type, e.mode, e.data.length]),
  );
  assert.equal(again[wal]!.data.length % 8192, 0);
  assert.equal(new TextDecoder().decode(again.find((e) => e.name === "PG_VERSION")!.data), "18\n");
});

Deno.test("readTar() refuses what is not a whole archive", () => {
  assert.throws(() => readTar(new TextEncoder().encode("not a tar archive")), {
    message: "archive ends without its end-of-archive blocks (17 bytes)",
  });
  assert.throws(() => readTar(new Uint8Array(1024).fill(1)), {
    message: "no tar header at byte 0",
  });
});

Deno.test("withoutZeroTail() keeps whole pages up to the last non-zero byte", () => {
  const data = new Uint8Array(32);
  data[9] = 1;
  assert.equal(withoutZeroTail(data, 8).length, 16);
  assert.equal(withoutZeroTail(new Uint8Array(16), 8).length, 0);
});
