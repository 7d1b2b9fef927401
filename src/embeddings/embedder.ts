/**
 * The contract between pml-store and whatever turns text into vectors. Storage and search depend on this
 * interface only, so the offline default can be swapped for a real model without touching them.
 *
 * @module
 */

/**
 * The dimension of every stored embedding: `tool_embedding.embedding` is `vector(1024)`.
 *
 * @example Usage
 * ```ts
 * import { EMBEDDING_DIMENSION, HashingEmbedder } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const vector = await new HashingEmbedder().embed("read a file");
 * assert.equal(vector.length, EMBEDDING_DIMENSION);
 * ```
 */
export const EMBEDDING_DIMENSION = 1024;

/**
 * Turns text into a fixed-length vector whose cosine similarity reflects how related two texts are.
 *
 * @example A trivial embedder that satisfies the contract
 * ```ts
 * import { EMBEDDING_DIMENSION, type Embedder } from "@pml/store";
 * import assert from "node:assert/strict";
 *
 * const constant: Embedder = {
 *   id: "constant",
 *   dimension: EMBEDDING_DIMENSION,
 *   embed: () => Promise.resolve(new Array(EMBEDDING_DIMENSION).fill(1 / 32)),
 * };
 * assert.equal((await constant.embed("anything")).length, 1024);
 * ```
 */
export interface Embedder {
  /** A stable name of the model and its version, stored with each embedding (e.g. `"hashing-v1"`). */
  readonly id: string;
  /** The length of every vector this embedder returns. */
  readonly dimension: number;
  /**
   * Embeds one text.
   *
   * @throws {RangeError} When the text is empty or cannot be embedded.
   */
  embed(text: string): Promise<readonly number[]>;
}
