/**
 * Embeddings: the {@linkcode Embedder} contract, the offline {@linkcode HashingEmbedder}, and storage of
 * tool vectors in `tool_embedding`.
 *
 * @module
 */

export * from "./embedder.ts";
export * from "./embedding_dimension_error.ts";
export * from "./hashing_embedder.ts";
export * from "./embedding_store.ts";
export {
  embedToolSchemas,
  type EmbedToolSchemasOptions,
  type EmbedToolSchemasResult,
} from "./embed_tool_schemas.ts";
