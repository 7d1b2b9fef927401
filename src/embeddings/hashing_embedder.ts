/**
 * The offline, deterministic default {@linkcode Embedder}: feature hashing of normalised word tokens.
 *
 * Each token of {@linkcode tokenize} is hashed to one of the dimensions with a hashed sign (the "hashing
 * trick"), counts are summed and the vector is scaled to unit length. Texts that share words therefore
 * share dimensions and score a higher cosine similarity than unrelated texts, with no model download and
 * the same vector on every machine. It knows nothing of synonyms: "fetch" and "get" are unrelated to it.
 *
 * @module
 */

import { type Embedder, EMBEDDING_DIMENSION } from "./embedder.ts";
import { tokenize } from "./tokenize.ts";

/** Options of {@linkcode HashingEmbedder}. */
export interface HashingEmbedderOptions {
  /** Length of the vectors, a positive integer. Defaults to {@linkcode EMBEDDING_DIMENSION} (1024). */
  readonly dimension?: number;
}

const encoder = new TextEncoder();

/**
 * Embeds text by feature hashing; see the module documentation.
 *
 * @example Texts sharing words score higher than unrelated texts
 * ```ts
 * import { HashingEmbedder } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const embedder = new HashingEmbedder();
 * const cosine = (a: readonly number[], b: readonly number[]) =>
 *   a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
 * const query = await embedder.embed("read a file");
 * const related = await embedder.embed("Read a file from the filesystem");
 * const unrelated = await embedder.embed("Perform GET request");
 * assert.equal(query.length, 1024);
 * assert.ok(cosine(query, related) > cosine(query, unrelated));
 * ```
 */
export class HashingEmbedder implements Embedder {
  /** Identifies the algorithm; change it whenever vectors would change. */
  readonly id = "hashing-v1";
  /** The length of every vector. */
  readonly dimension: number;

  /**
   * @param options See {@linkcode HashingEmbedderOptions}.
   * @throws {RangeError} When `options.dimension` is not a positive integer.
   */
  constructor(options: HashingEmbedderOptions = {}) {
    const dimension = options.dimension ?? EMBEDDING_DIMENSION;
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new RangeError(
        `Cannot create a HashingEmbedder as 'dimension' must be a positive integer: current value is ${dimension}`,
      );
    }
    this.dimension = dimension;
  }

  /**
   * Embeds `text` into a unit vector of {@linkcode HashingEmbedder.dimension} numbers.
   *
   * A text made only of punctuation is hashed as one token, so it still gets a (unit) vector.
   *
   * @throws {TypeError} When `text` is not a string.
   * @throws {RangeError} When `text` is empty or only white space.
   */
  embed(text: string): Promise<readonly number[]> {
    try {
      return Promise.resolve(this.#embedSync(text));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #embedSync(text: string): number[] {
    if (typeof text !== "string") {
      throw new TypeError(`Cannot embed text: expected a string, found ${typeof text}`);
    }
    const trimmed = text.trim();
    if (trimmed === "") throw new RangeError("Cannot embed text: it is empty");
    const tokens = tokenize(trimmed);
    const vector = new Array<number>(this.dimension).fill(0);
    for (const token of tokens.length > 0 ? tokens : [trimmed]) {
      const hash = hashToken(token);
      const index = hash % this.dimension;
      vector[index] = (vector[index] ?? 0) + (hash & 0x80000000 ? -1 : 1);
    }
    const norm = Math.hypot(...vector);
    // Two tokens can collide with opposite signs and cancel; fall back to the first token's dimension so
    // the vector stays unit-length instead of becoming all zeros (whose cosine is undefined).
    if (norm === 0) {
      vector.fill(0);
      vector[hashToken(tokens[0] ?? trimmed) % this.dimension] = 1;
      return vector;
    }
    return vector.map((value) => value / norm);
  }
}

/** FNV-1a over the UTF-8 bytes, then murmur3's finaliser so low and high bits are both well mixed. */
function hashToken(token: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(token)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
