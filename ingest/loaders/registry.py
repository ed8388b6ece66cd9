"""The loader of each file type, and the checks every file passes before its loader runs."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from ingest.document import LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.common import Loader

MAX_FILE_BYTES = 50 * 1024 * 1024 - 1
_MIB = 1024 * 1024
_MODULES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


class _Loaders(Mapping[str, Loader]):
    """The loader of each suffix, its module imported on first use: a re-sync of unchanged
    files reads none, and pypdf and python-docx cost half a second to import."""

    def __getitem__(self, suffix: str) -> Loader:
        module = importlib.import_module(f"ingest.loaders.{_MODULES[suffix]}")
        return module.load  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


LOADERS: Mapping[str, Loader] = _Loaders()
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_MODULES)


def load_document(path: Path, data: bytes | None = None) -> LoadedDocument:
    """Read one file (data = its bytes when the caller already read them); raises IngestError."""
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise IngestError(
            f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
        )
    if data is None:
        data = read_file(path)
    _check_size(len(data))
    if not data:
        raise IngestError("empty file")
    if not data.strip():
        raise IngestError("empty file (only whitespace)")
    document = loader(path, data)
    if not document.blocks:
        raise IngestError("no text found")
    return document


def read_file(path: Path) -> bytes:
    """The file's bytes; IngestError (one line) when it cannot be read or is too large."""
    try:
        if path.is_dir():
            raise IngestError("cannot read: is a directory")
        _check_size(path.stat().st_size)
        return path.read_bytes()
    except PermissionError:
        raise IngestError("cannot read: permission denied") from None
    except FileNotFoundError:
        raise IngestError("cannot read: no such file") from None
    except IsADirectoryError:
        raise IngestError("cannot read: is a directory") from None
    except OSError as error:
        raise IngestError(f"cannot read: {(error.strerror or str(error)).lower()}") from None


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        limit = (MAX_FILE_BYTES + 1) // _MIB
        raise IngestError(f"too large: {size / _MIB:.1f} MB, limit {limit} MB")
