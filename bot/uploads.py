"""Adding an admin's document to the knowledge base through ingest's upload function."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, Protocol

from config import Settings

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_VENDOR_CHARS = 80
# "vendor: Skylark Cloud" (or "厂商：鹊桥音视频") in an upload's caption marks the document as that
# vendor's, as `python -m ingest --vendor` does; any other caption marks nothing.
_CAPTION_VENDOR = re.compile(r"^\s*(?:@\w+\s+)?(?:vendor|厂商)\s*[:：]\s*(.+?)\s*$", re.I | re.S)


class UploadResult(Protocol):
    """What ingest reports for one uploaded file."""

    status: Literal["added", "updated", "unchanged"]
    chunks: int
    source: str


# uploader(data, filename) or, for a caption naming the vendor, uploader(data, filename, vendor)
Uploader = Callable[..., UploadResult]


def caption_vendor(caption: str) -> str:
    """The vendor an upload's caption names ("vendor: NAME", "厂商：名称"), or ""."""
    match = _CAPTION_VENDOR.match(caption or "")
    if match is None:
        return ""
    return " ".join(match.group(1).split())[:MAX_VENDOR_CHARS]


class UploadRejected(Exception):
    """Ingest refused the file; the message is fit to show the admin."""


def ingest_uploader(settings: Settings) -> Uploader:
    """The production uploader: `ingest.upload.ingest_upload`, imported only when first used."""

    def upload(data: bytes, filename: str, vendor: str = "") -> UploadResult:
        from ingest.errors import IngestError
        from ingest.upload import ingest_upload

        try:
            return ingest_upload(data, filename, settings, vendor=vendor)
        except IngestError as error:
            raise UploadRejected(str(error)) from error

    return upload
