/** fast-check generators of tar entries, shared by the tar property test and its loader subprocess. */

import fc from "fast-check";
import type { TarEntry } from "../../../src/db/embedded/tar.ts";

/** A ustar header for `name`, `type` and `mode`; `writeTar` fills in the size and the checksum. */
export function ustarHeader(name: string, type: TarEntry["type"], mode: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (at: number, text: string) =>
    header.set(Uint8Array.from(text, (c) => c.charCodeAt(0)), at);
  put(0, name);
  put(100, `${mode.toString(8).padStart(7, "0")}\0`);
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(136, "00000000000\0");
  put(156, type === "directory" ? "5" : "0");
  put(257, "ustar\0");
  put(263, "00");
  return header;
}

/** A tar entry: a relative path under 100 bytes, a file with up to 1.5 KB of data or a directory. */
export const tarEntry: fc.Arbitrary<TarEntry> = fc.record({
  name: fc.stringMatching(/^[a-z0-9_.-]{1,20}(\/[a-z0-9_.-]{1,20}){0,3}$/),
  type: fc.constantFrom("file" as const, "directory" as const),
  mode: fc.integer({ min: 0, max: 0o777 }),
  data: fc.uint8Array({ maxLength: 1500 }),
}).map(({ name, type, mode, data }) => ({
  name,
  type,
  mode,
  data: type === "file" ? new Uint8Array(data) : new Uint8Array(0),
  header: ustarHeader(name, type, mode),
}));

/** What a reader should see of `entries`. */
export function contents(entries: readonly TarEntry[]): [string, string, number, number[]][] {
  return entries.map((entry) => [entry.name, entry.type, entry.mode, [...entry.data]]);
}
