"""Ingest one uploaded file (the bot's admin upload), with the same checks as the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from config.settings import Settings
from ingest.errors import IngestError
from ingest.pipeline import Ingestor

UPLOAD_DIR_NAME = "uploads"


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What became of an uploaded document."""

    status: Literal["added", "updated", "unchanged"]
    chunks: int
    source: str


def safe_filename(filename: str) -> str:
    """A file name without directories or characters that could escape the upload folder."""
    name = Path(filename.replace("\\", "/")).name.strip()
    # \w is Unicode-aware: Chinese names stay readable.
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")
    if not name:
        raise IngestError("the upload has no usable file name")
    return name[:120]


def ingest_upload(data: bytes, filename: str, settings: Settings, vendor: str = "") -> UploadResult:
    """Save `data` under DATA_DIR/uploads and ingest it (as `vendor`'s document when given);
    IngestError says what was wrong."""
    from ingest.loaders import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
    from store.embedding import LazyEmbedder

    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(f"unsupported file type {suffix or '(none)'}; send one of {supported}")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"too large: {len(data) / (1024 * 1024):.1f} MB, limit 50 MB")
    folder = settings.data_dir / UPLOAD_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    previous = target.read_bytes() if target.exists() else None
    staging = target.with_name(f".{name}.part")
    staging.write_bytes(data)
    staging.replace(target)
    embedder = LazyEmbedder(settings.embedding_model_path)
    report = Ingestor(settings, embedder, vendor=vendor).sync([target])
    if report.failed:
        # Keep what was there before: a bad upload must not replace a good document on disk.
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(previous)
        raise IngestError(report.failed[0]["error"])
    status: Literal["added", "updated", "unchanged"] = (
        "added" if report.added else "updated" if report.updated else "unchanged"
    )
    return UploadResult(status=status, chunks=report.chunks, source=target.as_posix())
