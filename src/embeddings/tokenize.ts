/**
 * Turns free text into normalised word tokens, the shared vocabulary of the hashing embedder and of the
 * keyword fallback of vector search. Two spellings of the same word ("Files", "file", "readFile") should
 * meet on one token, so texts that share words can be recognised as related without a language model.
 *
 * @module
 */

/** Words too common to tell two tool descriptions apart. */
const STOPWORDS: ReadonlySet<string> = new Set([
  "a",
  "an",
  "and",
  "are",
  "as",
  "at",
  "be",
  "by",
  "for",
  "from",
  "i",
  "in",
  "into",
  "is",
  "it",
  "its",
  "me",
  "my",
  "of",
  "on",
  "or",
  "please",
  "some",
  "that",
  "the",
  "then",
  "this",
  "to",
  "with",
]);

/** A stem shorter than this is left alone: "uses" must not become "u". */
const MIN_STEM_LENGTH = 3;

/**
 * Splits `text` into lower-case, stemmed word tokens, in order, stop words removed.
 *
 * Camel case and snake case are split ("readFile" → "read", "fil"), diacritics are dropped, and each
 * word is reduced by a deliberately small stemmer (plural, "-ing", "-ed", then a final "e"), so "files",
 * "file" and "filed" share one token. When every word is a stop word the stop words are kept, so only a
 * text without any letter or digit yields no token.
 *
 * @param text Any text; it is not trimmed or validated beyond being a string.
 * @returns The tokens, possibly repeated; an empty array when `text` has no letter or digit.
 * @throws {TypeError} When `text` is not a string.
 *
 * @example Spellings of one word meet on one token
 * ```ts
 * import { tokenize } from "./tokenize.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tokenize("Read the Files"), ["read", "fil"]);
 * assert.deepEqual(tokenize("readFile"), ["read", "fil"]);
 * assert.deepEqual(tokenize("?!"), []);
 * ```
 */
export function tokenize(text: string): string[] {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot tokenize text: expected a string, found ${typeof text}`);
  }
  const words = text
    .replace(/([\p{Ll}\p{Nd}])(\p{Lu})/gu, "$1 $2")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{Nd}]+/u)
    .filter((word) => word !== "");
  const content = words.filter((word) => !STOPWORDS.has(word));
  return (content.length > 0 ? content : words).map(stem);
}

/**
 * Strips common English inflections in one pass, in the spirit of Porter's steps 1a–1b: the plural
 * ("-ies" → "-y", "-sses" → "-ss", "-s"), then "-ing" or "-ed", then a final "e" — so "parse", "parses",
 * "parsed" and "parsing" all become "pars".
 */
function stem(word: string): string {
  let stemmed = word;
  if (stemmed.endsWith("ies") && stemmed.length > 4) stemmed = `${stemmed.slice(0, -3)}y`;
  else if (stemmed.endsWith("sses")) stemmed = stemmed.slice(0, -2);
  else if (stemmed.endsWith("s") && !stemmed.endsWith("ss")) stemmed = strip(stemmed, "s");
  for (const suffix of ["ing", "ed"]) {
    const shorter = strip(stemmed, suffix);
    if (shorter !== stemmed) {
      stemmed = shorter;
      break;
    }
  }
  return strip(stemmed, "e");
}

/** `word` without `suffix`, unless it lacks it or the rest would be too short to mean anything. */
function strip(word: string, suffix: string): string {
  return word.endsWith(suffix) && word.length - suffix.length >= MIN_STEM_LENGTH
    ? word.slice(0, -suffix.length)
    : word;
}
