"""Finding papers: reading a reader's query (query), keyword and semantic retrieval fused
(retrieval), the pure rankers (rank), where the words are (highlight)."""
