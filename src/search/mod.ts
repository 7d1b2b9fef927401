/**
 * Vector search over the tool cache, with a keyword fallback for tools not yet embedded.
 *
 * @module
 */

export * from "./vector_search.ts";
