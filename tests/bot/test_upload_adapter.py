"""The production uploader adapter: ingest's function, its errors shown as refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.uploads import UploadRejected, ingest_uploader
from tests.bot.support import make_settings


def test_ingest_errors_become_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.upload
    from ingest.errors import IngestError

    calls: list[tuple[bytes, str, object, str]] = []

    def fake_ingest_upload(data: bytes, filename: str, settings: object, vendor: str) -> object:
        calls.append((data, filename, settings, vendor))
        if filename.endswith(".exe"):
            raise IngestError("unsupported file type: .exe")
        return ingest.upload.UploadResult(status="added", chunks=3, source=filename)

    monkeypatch.setattr(ingest.upload, "ingest_upload", fake_ingest_upload)
    settings = make_settings(tmp_path)
    upload = ingest_uploader(settings)
    assert upload(b"# doc", "a.md").chunks == 3
    with pytest.raises(UploadRejected, match="unsupported file type"):
        upload(b"MZ", "x.exe")
    assert calls[0][2] is settings and calls[0][3] == ""
    upload(b"<p>sheet</p>", "sheet.html", "Skylark Cloud")
    assert calls[-1][3] == "Skylark Cloud"
