"""The vector store shared by ingest (writer) and knowledge (reader): schema, client, embeddings."""
