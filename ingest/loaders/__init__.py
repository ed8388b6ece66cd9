"""File → LoadedDocument: one loader module per format, chosen through a registry by file type."""

from ingest.loaders.registry import (
    LOADERS,
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    load_document,
    read_file,
)

__all__ = ["LOADERS", "MAX_FILE_BYTES", "SUPPORTED_SUFFIXES", "load_document", "read_file"]
