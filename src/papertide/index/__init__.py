"""The indexes derived from the database: keywords (tantivy BM25) and vectors (usearch HNSW)."""
