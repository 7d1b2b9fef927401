/**
 * Just enough of the tar format to read and trim the archives PGlite's `dumpDataDir("none")` writes
 * (512-byte ustar headers, names under 100 bytes, regular files and directories), so a cached data
 * directory can be stored without the zero tail of its WAL segment and unpacked onto disk without starting
 * PGlite.
 *
 * @module
 */

const BLOCK = 512;

/** One entry of a tar archive; `data` is a view into the archive's bytes. */
export interface TarEntry {
  /** The path, without a leading `/`. */
  name: string;
  type: "file" | "directory";
  /** Permission bits. */
  mode: number;
  data: Uint8Array<ArrayBuffer>;
  /** The entry's header block, kept so {@linkcode writeTar} can write it back unchanged but for its size. */
  header: Uint8Array;
}

/**
 * The entries of `bytes`.
 *
 * @throws {Error} When `bytes` is not a whole tar archive of files and directories (truncated, foreign, or
 * with an entry type or a checksum this reader does not accept).
 */
export function readTar(bytes: Uint8Array<ArrayBuffer>): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    if (ascii(header, 257, 262) !== "ustar") throw new Error(`no tar header at byte ${offset}`);
    if (octal(header, 148, 156) !== checksum(header)) {
      throw new Error(`bad header checksum at byte ${offset}`);
    }
    const size = octal(header, 124, 136);
    const flag = String.fromCharCode(header[156] ?? 0);
    if (flag !== "0" && flag !== "\0" && flag !== "5") {
      throw new Error(`unsupported entry type '${flag}' at byte ${offset}`);
    }
    const start = offset + BLOCK;
    if (start + size > bytes.length) throw new Error(`entry at byte ${offset} is truncated`);
    entries.push({
      name: ascii(header, 0, 100).replace(/^\/+/, "").replace(/\/+$/, ""),
      type: flag === "5" ? "directory" : "file",
      mode: octal(header, 100, 108),
      data: bytes.subarray(start, start + size),
      header,
    });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error(`archive ends without its end-of-archive blocks (${bytes.length} bytes)`);
}

/** An archive of `entries`, each with its own header (size and checksum rewritten for its `data`). */
export function writeTar(entries: readonly TarEntry[]): Uint8Array<ArrayBuffer> {
  let length = 2 * BLOCK;
  for (const entry of entries) length += BLOCK + Math.ceil(entry.data.length / BLOCK) * BLOCK;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const entry of entries) {
    const header = out.subarray(offset, offset + BLOCK);
    header.set(entry.header);
    header.set(encodeOctal(entry.data.length, 12), 124);
    header.set(encodeOctal(checksum(header), 8), 148);
    out.set(entry.data, offset + BLOCK);
    offset += BLOCK + Math.ceil(entry.data.length / BLOCK) * BLOCK;
  }
  return out;
}

/** `data` without its trailing zero bytes, rounded up to whole `page`s. */
export function withoutZeroTail(
  data: Uint8Array<ArrayBuffer>,
  page: number,
): Uint8Array<ArrayBuffer> {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;
  return data.subarray(0, Math.min(data.length, Math.ceil(end / page) * page));
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  const field = bytes.subarray(from, to);
  const nul = field.indexOf(0);
  return String.fromCharCode(...(nul === -1 ? field : field.subarray(0, nul)));
}

function octal(bytes: Uint8Array, from: number, to: number): number {
  const text = ascii(bytes, from, to).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** The header's checksum: the sum of its bytes with the checksum field counted as spaces. */
function checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum;
}

function encodeOctal(value: number, width: number): Uint8Array {
  const text = value.toString(8).padStart(width - 1, "0") + "\0";
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
