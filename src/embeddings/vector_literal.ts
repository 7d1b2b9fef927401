/**
 * Conversion between JavaScript vectors and pgvector's text form `[0.1,0.2,…]`.
 *
 * PGlite sends and returns `vector` values as text, so every query passes `toVectorLiteral(v)` with a
 * `::vector` cast and reads columns back through {@linkcode parseVectorLiteral}. The length is checked here,
 * before the database, so a wrong dimension fails with an {@linkcode EmbeddingDimensionError} instead of a
 * bare pgvector message.
 *
 * @module
 */

import { EMBEDDING_DIMENSION } from "./embedder.ts";
import { EmbeddingDimensionError } from "./embedding_dimension_error.ts";

/** Options of {@linkcode toVectorLiteral}. */
export interface VectorLiteralOptions {
  /** The required length. Defaults to {@linkcode EMBEDDING_DIMENSION} (1024). */
  readonly dimension?: number;
  /** Completes the error message "Cannot …". Defaults to `"encode the vector"`. */
  readonly action?: string;
}

/**
 * Formats `vector` as a pgvector literal, checking its length and that every value is finite.
 *
 * Values are rounded to 9 significant digits, enough to round-trip the `real` (float4) numbers pgvector
 * stores, so the literal stays short without losing anything the column keeps.
 *
 * @throws {EmbeddingDimensionError} When the length is not `options.dimension`.
 * @throws {RangeError} When a value is not a finite number.
 *
 * @example Usage
 * ```ts
 * import { toVectorLiteral } from "./vector_literal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(toVectorLiteral([0.6, 0.8, 0], { dimension: 3 }), "[0.6,0.8,0]");
 * ```
 */
export function toVectorLiteral(
  vector: readonly number[],
  options: VectorLiteralOptions = {},
): string {
  const dimension = options.dimension ?? EMBEDDING_DIMENSION;
  const action = options.action ?? "encode the vector";
  if (vector.length !== dimension) {
    throw new EmbeddingDimensionError(action, dimension, vector.length);
  }
  const parts = vector.map((value, index) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot ${action}: expected finite numbers, found ${String(value)} at index ${index}`,
      );
    }
    return String(Number(value.toPrecision(9)));
  });
  return `[${parts.join(",")}]`;
}

/**
 * Parses a pgvector literal such as `"[0.6,0.8]"` (as PGlite returns `vector` columns).
 *
 * @throws {TypeError} When `text` is not a bracketed list of numbers.
 *
 * @example Usage
 * ```ts
 * import { parseVectorLiteral } from "./vector_literal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseVectorLiteral("[0.6,0.8,0]"), [0.6, 0.8, 0]);
 * ```
 */
export function parseVectorLiteral(text: string): number[] {
  const match = typeof text === "string" ? /^\s*\[(.*)\]\s*$/s.exec(text) : null;
  if (match === null) {
    throw new TypeError(
      `Cannot parse the vector: expected text like "[0.1,0.2]", found ${String(text)}`,
    );
  }
  const body = (match[1] ?? "").trim();
  if (body === "") return [];
  return body.split(",").map((part) => {
    const value = Number(part);
    if (part.trim() === "" || !Number.isFinite(value)) {
      throw new TypeError(`Cannot parse the vector: "${part}" is not a number`);
    }
    return value;
  });
}
