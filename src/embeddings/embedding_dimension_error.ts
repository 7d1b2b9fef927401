/**
 * The error for a vector whose length does not match the `vector(1024)` columns, raised before the
 * database sees it so the message says which vector, what was expected and what was found.
 *
 * @module
 */

/**
 * A vector has the wrong number of dimensions. It is a `RangeError` (a bad argument) with a stable
 * {@linkcode EmbeddingDimensionError.code}.
 *
 * @example Catching it by code
 * ```ts
 * import { EmbeddingDimensionError } from "@pml/store";
 * import { toVectorLiteral } from "./vector_literal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => toVectorLiteral([0.6, 0.8]), (error: unknown) =>
 *   error instanceof EmbeddingDimensionError &&
 *   error.code === "EMBEDDING_DIMENSION_MISMATCH" &&
 *   error.expected === 1024 && error.found === 2);
 * ```
 */
export class EmbeddingDimensionError extends RangeError {
  /** Stable identifier of this failure. */
  readonly code = "EMBEDDING_DIMENSION_MISMATCH";
  /** The dimension the column or embedder requires. */
  readonly expected: number;
  /** The length of the vector that was passed. */
  readonly found: number;

  /**
   * @param action What could not be done, completing "Cannot …" (e.g. `store the embedding of "fs:read"`).
   * @param expected The required dimension.
   * @param found The actual length.
   */
  constructor(action: string, expected: number, found: number) {
    super(`Cannot ${action}: expected a vector of ${expected} dimensions, found ${found}`);
    this.name = "EmbeddingDimensionError";
    this.expected = expected;
    this.found = found;
  }
}
