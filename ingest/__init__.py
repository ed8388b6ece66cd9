"""Files → store: load, clean, chunk, embed and sync documents."""
