import assert from "node:assert/strict";
import fc from "fast-check";
import { EmbeddingDimensionError } from "../../src/embeddings/embedding_dimension_error.ts";
import { parseVectorLiteral, toVectorLiteral } from "../../src/embeddings/vector_literal.ts";

Deno.test("toVectorLiteral() writes pgvector's text form", () => {
  assert.equal(toVectorLiteral([0.5, -0.25, 0], { dimension: 3 }), "[0.5,-0.25,0]");
});

Deno.test("toVectorLiteral() rounds to the 9 digits a float4 keeps", () => {
  assert.equal(toVectorLiteral([1 / 3], { dimension: 1 }), "[0.333333333]");
});

Deno.test("toVectorLiteral() refuses a vector of the wrong dimension with expected and found", () => {
  assert.throws(
    () => toVectorLiteral([1, 2, 3], { action: 'store the embedding of "json:parse"' }),
    (error: unknown) => {
      assert.ok(error instanceof EmbeddingDimensionError);
      assert.ok(error instanceof RangeError);
      assert.equal(error.code, "EMBEDDING_DIMENSION_MISMATCH");
      assert.equal(
        error.message,
        'Cannot store the embedding of "json:parse": expected a vector of 1024 dimensions, found 3',
      );
      assert.deepEqual([error.expected, error.found], [1024, 3]);
      return true;
    },
  );
});

Deno.test("toVectorLiteral() refuses values that are not finite numbers", () => {
  assert.throws(() => toVectorLiteral([0, Number.NaN], { dimension: 2 }), {
    name: "RangeError",
    message: "Cannot encode the vector: expected finite numbers, found NaN at index 1",
  });
});

Deno.test("parseVectorLiteral() reads what toVectorLiteral() writes, to float4 precision", () => {
  const value = fc.double({ min: -1, max: 1, noNaN: true });
  fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 16 }), (vector) => {
    const parsed = parseVectorLiteral(toVectorLiteral(vector, { dimension: vector.length }));
    assert.equal(parsed.length, vector.length);
    parsed.forEach((component, index) => {
      assert.ok(
        Math.abs(component - (vector[index] ?? 0)) <= 1e-8,
        `${component} vs ${vector[index]}`,
      );
    });
  }));
});

Deno.test("parseVectorLiteral() rejects text that is not a vector", () => {
  assert.throws(() => parseVectorLiteral("0.1,0.2"), {
    name: "TypeError",
    message: 'Cannot parse the vector: expected text like "[0.1,0.2]", found 0.1,0.2',
  });
  assert.throws(() => parseVectorLiteral("[0.1,x]"), {
    name: "TypeError",
    message: 'Cannot parse the vector: "x" is not a number',
  });
  assert.deepEqual(parseVectorLiteral("[]"), []);
});
