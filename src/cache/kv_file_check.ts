/**
 * The damage check of a KV file, run before Deno KV opens it: Deno KV (and the native binary of
 * `@deno/kv`) panics and kills the process at the first read of a SQLite file with damaged pages.
 *
 * Where `node:sqlite` exists (Deno 2, Node 22.13+) the check is SQLite's own `PRAGMA quick_check` on
 * a read-only connection. A read-only connection never writes the database file and cannot checkpoint
 * or delete the WAL of another process's open connection; it only reads the committed frames of the
 * `-wal` sibling (and may create empty `-wal`/`-shm` siblings, as any reader of a WAL database does).
 *
 * Where it does not (Node 20) the check is {@linkcode walkSqliteFile}, weaker: a structural walk of
 * the b-trees in JavaScript, over the file as the WAL's committed frames leave it (see there).
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";

/** The part of `node:sqlite`'s `DatabaseSync` the check uses. */
interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): { all(): Record<string, unknown>[] };
  close(): void;
}
type SqliteModule = {
  DatabaseSync: new (path: string, options: { readOnly: boolean }) => SqliteDatabase;
};

/** SQLite's result codes for a damaged file: SQLITE_CORRUPT and SQLITE_NOTADB. */
const DAMAGE_CODES = new Set([11, 26]);
/** The number of problems `quick_check` reports at most. */
const REPORTED_PROBLEMS = 3;

/**
 * What is wrong with the SQLite file at `path`, in words, or `null` when the check found nothing.
 *
 * @throws {Error} when the file could not be checked (unreadable, or locked past 2 s).
 */
export async function findKvFileDamage(path: string): Promise<string | null> {
  const sqlite = await importSqlite();
  if (sqlite === null) {
    const problem = await walkSqliteFile(path);
    return problem === null ? null : `a walk of its pages found: ${problem}`;
  }
  let db: SqliteDatabase | undefined;
  try {
    db = new sqlite.DatabaseSync(path, { readOnly: true });
    db.exec("PRAGMA busy_timeout = 2000");
    const rows = db.prepare(`PRAGMA quick_check(${REPORTED_PROBLEMS})`).all();
    const found = rows.map((row) => String(Object.values(row)[0]));
    if (found.length === 1 && found[0] === "ok") return null;
    const problems = found.join("\n").replace(/^\*\*\* in database main \*\*\*\n/, "");
    return `SQLite's quick_check found: ${problems.replaceAll("\n", "; ")}`;
  } catch (error) {
    const code = (error as { errcode?: unknown }).errcode;
    if (typeof code === "number" && DAMAGE_CODES.has(code & 0xff)) {
      return `SQLite refused it: ${(error as Error).message}`;
    }
    throw error;
  } finally {
    db?.close();
  }
}

/** `node:sqlite`, or `null` where the runtime has none (Node 20, Node 22 before 22.13 unflagged). */
async function importSqlite(): Promise<SqliteModule | null> {
  const specifier = "node:sqlite"; // Through a variable: the Node build's type definitions lack it.
  try {
    return await import(specifier) as SqliteModule;
  } catch {
    return null;
  }
}

const TABLE_INTERIOR = 5, TABLE_LEAF = 13, INDEX_INTERIOR = 2, INDEX_LEAF = 10;

/**
 * A b-tree page to walk: its number, whether its tree is a rowid table or an index (`null`: either,
 * for a table's root, as a `WITHOUT ROWID` table is an index b-tree), whether it is the schema's.
 */
type Tree = { n: number; table: boolean | null; schema: boolean };

/**
 * A structural walk of the SQLite file at `path`, for runtimes without `node:sqlite`: the problem it
 * found, in words, or `null`. It overlays the committed frames of a `-wal` sibling (checksums
 * verified, as SQLite's recovery does), then walks every b-tree from the schema's root pages: each
 * page in range and reached once, of its tree's kind, its cell pointers, cells' local payloads, child
 * and overflow page numbers in bounds. Weaker than `quick_check`: it does not follow overflow pages
 * or the freelist, nor check the order of keys or that indexes match their tables. It reads the whole
 * file into memory.
 */
export async function walkSqliteFile(path: string): Promise<string | null> {
  const file = await readFile(path);
  if (file.length < 100) return `the file is ${file.length} bytes long, shorter than its header`;
  const rawSize = file.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    return `its page size ${rawSize} is invalid`;
  }
  const wal = await readWal(`${path}-wal`, pageSize);
  const page = (n: number) => wal.pages.get(n) ?? file.subarray((n - 1) * pageSize, n * pageSize);
  const page1 = page(1);
  const declared = page1.readUInt32BE(92) === page1.readUInt32BE(24) ? page1.readUInt32BE(28) : 0;
  const pageCount = wal.pageCount ?? (declared || Math.floor(file.length / pageSize));
  if (wal.pageCount === null && file.length < pageCount * pageSize) {
    return `the file is ${file.length} bytes long, shorter than its ${pageCount} pages`;
  }
  const geometry = { usable: pageSize - page1[20]!, pageCount };
  const seen = new Set<number>();
  const stack: Tree[] = [{ n: 1, table: true, schema: true }];
  while (stack.length > 0) {
    const tree = stack.pop()!;
    if (seen.has(tree.n)) return `page ${tree.n} is reached twice`;
    seen.add(tree.n);
    const found = walkPage(page(tree.n), tree, geometry, stack);
    if (found !== null) return `page ${tree.n} ${found}`;
  }
  return null;
}

/** Checks one b-tree page and pushes its children (and, for the schema, the trees' roots) on `stack`. */
function walkPage(
  bytes: Buffer,
  { n, table: declared, schema }: Tree,
  { usable, pageCount }: { usable: number; pageCount: number },
  stack: Tree[],
): string | null {
  const at = n === 1 ? 100 : 0;
  const inRange = (child: number) => child >= 1 && child <= pageCount;
  const type = bytes[at]!;
  const table = declared ?? (type === TABLE_INTERIOR || type === TABLE_LEAF);
  const interior = type === TABLE_INTERIOR || type === INDEX_INTERIOR;
  if (!(table ? [TABLE_INTERIOR, TABLE_LEAF] : [INDEX_INTERIOR, INDEX_LEAF]).includes(type)) {
    return `has the type byte ${type}, not that of ${table ? "a table" : "an index"} b-tree page`;
  }
  const cells = bytes.readUInt16BE(at + 3);
  const content = at + (interior ? 12 : 8) + 2 * cells;
  if (content > usable) return `claims ${cells} cells, more than fit`;
  const children = interior ? [bytes.readUInt32BE(at + 8)] : [];
  for (let i = 0; i < cells; i++) {
    let p = bytes.readUInt16BE(content - 2 * (cells - i));
    if (p < content || p + 4 > usable) return `has cell ${i} at ${p}, outside its content area`;
    if (interior) children.push(bytes.readUInt32BE(p));
    if (interior) p += 4;
    if (type === TABLE_INTERIOR) continue;
    const [size, afterSize] = varint(bytes, p);
    p = table ? varint(bytes, afterSize)[1] : afterSize;
    const local = localPayload(size, usable, table);
    if (p + local + (local < size ? 4 : 0) > usable) return `has cell ${i} overflowing the page`;
    if (local < size && !inRange(bytes.readUInt32BE(p + local))) {
      return `has cell ${i} with the overflow page ${bytes.readUInt32BE(p + local)}`;
    }
    if (schema && type === TABLE_LEAF) {
      const root = schemaRoot(bytes.subarray(p, p + local));
      if (root === undefined) return `has the unreadable schema record ${i}`;
      if (root !== null) children.push(root.n);
      if (root !== null) stack.push({ ...root, schema: false });
    }
  }
  for (const child of children) {
    if (!inRange(child)) return `names the page ${child}, outside 1..${pageCount}`;
  }
  if (interior) { for (const child of children) stack.push({ n: child, table, schema }); }
  return null;
}

/** How many bytes of a `size`-byte payload a cell holds itself (SQLite's file format, 1.6). */
function localPayload(size: number, usable: number, table: boolean): number {
  const max = table ? usable - 35 : Math.floor((usable - 12) * 64 / 255) - 23;
  if (size <= max) return size;
  const min = Math.floor((usable - 12) * 32 / 255) - 23;
  const kept = min + ((size - min) % (usable - 4));
  return kept <= max ? kept : min;
}

/** A SQLite varint at `at`: its value and the offset after it. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i] ?? 0;
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, at + i + 1];
  }
  return [value * 256 + (bytes[at + 8] ?? 0), at + 9];
}

/**
 * The root page of a schema record (`type, name, tbl_name, rootpage, sql`): `null` for one without
 * a b-tree (a view, a trigger), `undefined` when the record cannot be read.
 */
function schemaRoot(record: Uint8Array): { n: number; table: boolean | null } | null | undefined {
  const [headerSize, first] = varint(record, 0);
  const types: number[] = [];
  for (let p = first; p < headerSize && types.length < 4;) {
    const [type, next] = varint(record, p);
    types.push(type);
    p = next;
  }
  const sizes = types.map((t) => t >= 12 ? (t - 12) >> 1 : [0, 1, 2, 3, 4, 6, 8, 8, 0, 0][t] ?? -1);
  if (types.length < 4 || sizes.some((size) => size < 0)) return undefined;
  const kind = new TextDecoder().decode(record.subarray(headerSize, headerSize + sizes[0]!));
  let at = headerSize + sizes[0]! + sizes[1]! + sizes[2]!;
  if (at + sizes[3]! > record.length) return undefined;
  let root = 0;
  for (const end = at + sizes[3]!; at < end; at++) root = root * 256 + record[at]!;
  if (root === 0 || (kind !== "table" && kind !== "index")) return null;
  return { n: root, table: kind === "table" ? null : false };
}

/**
 * The pages of a WAL's committed frames, and the page count of its last commit (`null` without one),
 * read as SQLite's recovery does: frames are taken while their salts and running checksum match.
 */
async function readWal(
  path: string,
  pageSize: number,
): Promise<{ pages: Map<number, Buffer>; pageCount: number | null }> {
  const pages = new Map<number, Buffer>();
  const wal = await readFile(path).catch((error: { code?: string }) => {
    if (error?.code === "ENOENT") return null;
    throw error;
  });
  const magic = wal !== null && wal.length >= 32 ? wal.readUInt32BE(0) : 0;
  if (wal === null || (magic & ~1) !== 0x377f0682 || wal.readUInt32BE(8) !== pageSize) {
    return { pages, pageCount: null };
  }
  const bigEndian = magic === 0x377f0683;
  let sum = walChecksum(wal.subarray(0, 24), [0, 0], bigEndian);
  if (sum[0] !== wal.readUInt32BE(24) || sum[1] !== wal.readUInt32BE(28)) {
    return { pages, pageCount: null };
  }
  const pending = new Map<number, Buffer>();
  let pageCount: number | null = null;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (!wal.subarray(at + 8, at + 16).equals(wal.subarray(16, 24))) break;
    sum = walChecksum(wal.subarray(at, at + 8), sum, bigEndian);
    sum = walChecksum(wal.subarray(at + 24, at + 24 + pageSize), sum, bigEndian);
    if (sum[0] !== wal.readUInt32BE(at + 16) || sum[1] !== wal.readUInt32BE(at + 20)) break;
    pending.set(wal.readUInt32BE(at), wal.subarray(at + 24, at + 24 + pageSize));
    if (wal.readUInt32BE(at + 4) === 0) continue;
    for (const [n, bytes] of pending) pages.set(n, bytes);
    pending.clear();
    pageCount = wal.readUInt32BE(at + 4);
  }
  return { pages, pageCount };
}

/** SQLite's WAL checksum of `bytes` (a multiple of 8 long), continuing from `[s0, s1]`. */
function walChecksum(bytes: Buffer, [s0, s1]: number[], bigEndian: boolean): number[] {
  for (let i = 0; i < bytes.length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0! + x0 + s1!) >>> 0;
    s1 = (s1! + x1 + s0) >>> 0;
  }
  return [s0!, s1!];
}
