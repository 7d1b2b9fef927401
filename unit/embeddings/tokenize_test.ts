import assert from "node:assert/strict";
import fc from "fast-check";
import { tokenize } from "../../src/embeddings/tokenize.ts";

Deno.test("tokenize() lower-cases, splits on punctuation and drops stop words", () => {
  assert.deepEqual(tokenize("Read a file, from THE filesystem!"), ["read", "fil", "filesystem"]);
});

Deno.test("tokenize() splits camel case and snake case", () => {
  assert.deepEqual(tokenize("readFile parse_json"), ["read", "fil", "pars", "json"]);
});

Deno.test("tokenize() maps inflections of one word to one token", async (t) => {
  const cases: [string[], string][] = [
    [["file", "files", "filed"], "fil"],
    [["parse", "parses", "parsed", "parsing"], "pars"],
    [["request", "requests"], "request"],
    [["directory", "directories"], "directory"],
    [["process", "processes", "processing"], "process"],
  ];
  for (const [words, token] of cases) {
    await t.step(`${words.join(", ")} → ${token}`, () => {
      assert.deepEqual(words.map((word) => tokenize(word)), words.map(() => [token]));
    });
  }
});

Deno.test("tokenize() keeps short words whole rather than over-stemming them", () => {
  assert.deepEqual(tokenize("uses get post"), ["use", "get", "post"]);
});

Deno.test("tokenize() keeps stop words when the text has nothing else", () => {
  assert.deepEqual(tokenize("to the"), ["to", "the"]);
});

Deno.test("tokenize() folds diacritics", () => {
  assert.deepEqual(tokenize("Café résumé"), tokenize("cafe resume"));
});

Deno.test("tokenize() returns no token for text without letters or digits", () => {
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize(" ?! -- "), []);
});

Deno.test("tokenize() rejects a value that is not a string", () => {
  assert.throws(() => tokenize(42 as unknown as string), {
    name: "TypeError",
    message: "Cannot tokenize text: expected a string, found number",
  });
});

Deno.test("tokenize() ignores surrounding punctuation and white space", () => {
  fc.assert(fc.property(fc.string(), (text) => {
    assert.deepEqual(tokenize(` (${text}) \n`), tokenize(text));
  }));
});

Deno.test("tokenize() gives the same tokens for a lower-case and an upper-case text", () => {
  fc.assert(fc.property(fc.stringMatching(/^[a-z ]{0,40}$/), (text) => {
    assert.deepEqual(tokenize(text.toUpperCase()), tokenize(text));
  }));
});

Deno.test("tokenize() yields non-empty lower-case tokens made of letters and digits", () => {
  fc.assert(fc.property(fc.string(), (text) => {
    for (const token of tokenize(text)) assert.match(token, /^[\p{Ll}\p{Lo}\p{Lm}\p{Nd}]+$/u);
  }));
});
