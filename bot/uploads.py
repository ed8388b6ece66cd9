"""Adding an admin's document to the knowledge base through ingest's upload function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from config import Settings

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit


class UploadResult(Protocol):
    """What ingest reports for one uploaded file."""

    status: Literal["added", "updated", "unchanged"]
    chunks: int
    source: str


Uploader = Callable[[bytes, str], UploadResult]


class UploadRejected(Exception):
    """Ingest refused the file; the message is fit to show the admin."""


def ingest_uploader(settings: Settings) -> Uploader:
    """The production uploader: `ingest.upload.ingest_upload`, imported only when first used."""

    def upload(data: bytes, filename: str) -> UploadResult:
        from ingest.errors import IngestError
        from ingest.upload import ingest_upload

        try:
            return ingest_upload(data, filename, settings)
        except IngestError as error:
            raise UploadRejected(str(error)) from error

    return upload
