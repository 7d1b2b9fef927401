/**
 * SQL of vector search, kept apart so the e2e suite can EXPLAIN exactly the statement the module runs.
 *
 * @module
 */

/**
 * The `topK` nearest embeddings by cosine distance, joined to their tools.
 *
 * `<=>` is pgvector's cosine distance (score = 1 − distance). The inner query orders by the bare
 * `embedding <=> $1` expression with a `LIMIT`, the only shape for which PostgreSQL can walk the HNSW
 * index `idx_tool_embedding_hnsw` (built with `vector_cosine_ops`); filtering on the distance or ordering by
 * a derived score would force a scan of every row. The `minScore` cut-off is therefore applied afterwards.
 * The join to `tool_schema` happens outside, on at most `topK` rows.
 *
 * Parameters: `$1` the query vector as a pgvector literal, `$2` the limit.
 */
export const NEAREST_TOOLS_SQL = `
  WITH nearest AS (
    SELECT tool_id, embedding <=> $1::vector AS distance
    FROM tool_embedding
    ORDER BY embedding <=> $1::vector
    LIMIT $2
  )
  SELECT n.tool_id, s.server_id, s.name, s.description, s.input_schema, n.distance
  FROM nearest n JOIN tool_schema s ON s.tool_id = n.tool_id
  ORDER BY n.distance, n.tool_id`;

/** Tools of `tool_schema` that have no embedding yet: the candidates of the keyword fallback. */
export const UNEMBEDDED_TOOLS_SQL = `
  SELECT s.tool_id, s.server_id, s.name, s.description, s.input_schema
  FROM tool_schema s
  WHERE NOT EXISTS (SELECT 1 FROM tool_embedding e WHERE e.tool_id = s.tool_id)
  ORDER BY s.tool_id`;
