"""`python -m ingest --json` on a folder with every format and every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from tests.ingest.test_loaders import _encrypt, _pdf

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _folder(base: Path) -> Path:
    folder = base / "docs"
    folder.mkdir()
    (folder / "voice.zh.md").write_text(
        "---\ntitle: 语聊房选型\ndoc_type: guide\nlang: zh\n---\n\n# 语聊房选型\n\n## 回声消除\n\n"
        "语聊房必须做好回声消除。请现场用两台手机外放测试。\n",
        "utf-8",
    )
    (folder / "notes-gbk.txt").write_bytes(
        "弱网测试\n\n用 tc netem 模拟百分之三十的丢包，语音仍要可懂。".encode("gbk")
    )
    (folder / "faq.html").write_text(
        "<html><head><title>Pricing FAQ</title><script>x=1</script></head><body><nav>menu</nav>"
        "<h1>Pricing FAQ</h1><p>Audio minutes are billed below video minutes.</p></body></html>",
        "utf-8",
    )
    (folder / "whitepaper.pdf").write_bytes(
        _pdf([["NimbusRTC white paper", "", "NimbusRTC states a 99.95% availability SLA."]])
    )
    document = docx.Document()
    document.add_heading("Contract notes", level=1)
    document.add_paragraph("The contract must define the SLA credits in writing.")
    document.save(str(folder / "contract.docx"))
    # The bad ones.
    (folder / "empty.md").write_text("")
    (folder / "binary.pdf").write_bytes(os.urandom(2048))
    (folder / "locked.pdf").write_bytes(_encrypt(_pdf([["secret text"]]), "pw", "owner"))
    (folder / "scanned.pdf").write_bytes(_pdf([[]]))
    (folder / "picture.xyz").write_bytes(b"\x89PNG....")
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    return folder


def _ingest(store: Path, data: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "ingest", "--store", str(store), "--json", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


def test_every_format_in_every_bad_input_out(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    store, data = tmp_path / "store", tmp_path / "data"
    result = _ingest(store, data, folder)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"added", "updated", "unchanged", "removed", "chunks", "failed"}
    assert summary["added"] == 5 and summary["chunks"] >= 5
    failed = {Path(item["path"]).name: item["error"] for item in summary["failed"]}
    assert set(failed) == {
        "empty.md",
        "binary.pdf",
        "locked.pdf",
        "scanned.pdf",
        "picture.xyz",
        "huge.txt",
    }
    assert "empty" in failed["empty.md"]
    assert "encrypted" in failed["locked.pdf"]
    assert "no text layer" in failed["scanned.pdf"]
    assert "unsupported file type .xyz" in failed["picture.xyz"]
    assert "too large" in failed["huge.txt"]
    assert all("\n" not in error for error in failed.values())

    from config.settings import Settings
    from store.client import open_store

    records = open_store(Settings(data_dir=data), store).chunks.get(
        include=["metadatas", "documents"]
    )
    by_name = {
        Path(str(m["source"])).name: (m, d)
        for m, d in zip(records["metadatas"], records["documents"], strict=True)
    }  # type: ignore[arg-type]
    zh_meta, _ = by_name["voice.zh.md"]
    assert (zh_meta["lang"], zh_meta["section"], zh_meta["title"]) == (
        "zh",
        "回声消除",
        "语聊房选型",
    )
    gbk_meta, gbk_text = by_name["notes-gbk.txt"]
    assert gbk_meta["lang"] == "zh" and "tc netem" in gbk_text
    assert "x=1" not in by_name["faq.html"][1] and "menu" not in by_name["faq.html"][1]

    again = json.loads(_ingest(store, data, folder).stdout)
    assert (again["added"], again["updated"], again["unchanged"], again["chunks"]) == (0, 0, 5, 0)
