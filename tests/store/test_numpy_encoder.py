"""The numpy encoder of the bundled model: the same vectors as the torch module ingest used to
run (stored vectors are compared with query vectors), batched with padding or alone, and an
answering process that never imports torch, transformers, sentence-transformers or sklearn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import bundled_model_dir

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers", "sklearn")
TEXTS = [
    "语聊房必须做好回声消除，否则麦上的人会听到自己的声音。",
    "Echo cancellation matters for voice rooms.",
    "首帧",
    "SLA",
    "长文本 " + "连麦 PK 需要低延迟，弱网下也要保持流畅。" * 120,
    "A long English passage about SFU cascading, simulcast layers and TURN relays. " * 40,
    "混合 mixed 文本 with 99.95% uptime and <1s 首帧.",
]


def _model_folder() -> Path:
    folder = bundled_model_dir()
    if not folder.is_dir():
        pytest.skip(f"embedding model not built at {folder} (run `make setup`)")
    return folder


@pytest.fixture(scope="module")
def numpy_encoder() -> object:
    from store.numpy_encoder import NumpyEncoder

    return NumpyEncoder(_model_folder())


@pytest.fixture(scope="module")
def torch_model() -> object:
    from sentence_transformers import SentenceTransformer

    from store.compact_encoder import compact_model_parts

    modules, prompts = compact_model_parts(_model_folder())
    return SentenceTransformer(modules=modules, prompts=prompts, device="cpu")


def test_numpy_vectors_equal_the_torch_modules_batched_with_padding(
    numpy_encoder: object, torch_model: object
) -> None:
    ours = numpy_encoder.encode(TEXTS, "passage: ", batch_size=4)  # type: ignore[attr-defined]
    theirs = torch_model.encode(  # type: ignore[attr-defined]
        TEXTS, prompt_name="passage", batch_size=4, normalize_embeddings=True
    )
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float((ours * theirs).sum(axis=1).min()) >= 0.9999


def test_numpy_query_vectors_equal_the_torch_modules(
    numpy_encoder: object, torch_model: object
) -> None:
    questions = ["怎么避免回声？", "What does a 99.95% SLA cover?"]
    ours = numpy_encoder.encode(questions, "query: ")  # type: ignore[attr-defined]
    theirs = torch_model.encode(  # type: ignore[attr-defined]
        questions, prompt_name="query", normalize_embeddings=True
    )
    assert float((ours * theirs).sum(axis=1).min()) >= 0.9999


def test_a_text_embeds_the_same_alone_and_among_longer_ones(numpy_encoder: object) -> None:
    together = numpy_encoder.encode(TEXTS, "passage: ", batch_size=len(TEXTS))  # type: ignore[attr-defined]
    for row, text in enumerate(TEXTS):
        alone = numpy_encoder.encode([text], "passage: ")[0]  # type: ignore[attr-defined]
        assert float(alone @ together[row]) >= 0.99999


def test_the_embedder_runs_the_compact_rebuild_through_numpy(embedder: object) -> None:
    assert embedder.backend == "numpy"  # type: ignore[attr-defined]
    assert embedder.count_tokens("语聊房 echo") > 0  # type: ignore[attr-defined]
    assert embedder.embed_passages([]).shape == (0, 384)  # type: ignore[attr-defined]


_ANSWER_AND_LIST_MODULES = """
import json, sys
from pathlib import Path
from config.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.factory import open_assistant
from store.embedding import get_embedder

base = Path(sys.argv[1])
settings = Settings(data_dir=base / "data", chroma_path=base / "chroma")
embedder = get_embedder(settings.embedding_model_path)
report = Ingestor(settings, embedder).sync([base / "docs"])
answer = open_assistant(settings).ask("语聊房怎么做回声消除？")
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy})
print(json.dumps({{"chunks": report.chunks, "answer": answer.to_json(), "heavy": heavy}}))
"""


def test_ingest_and_answer_import_no_torch(tmp_path: Path) -> None:
    _model_folder()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "voice-rooms.md").write_text(
        "# 语聊房\n\n语聊房必须做好回声消除（AEC），否则麦上的人会听到自己的声音。\n\n"
        "# Voice rooms\n\nEcho cancellation matters for voice rooms with many speakers.\n",
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LLM_PROVIDER": "none"}
    result = subprocess.run(
        [sys.executable, "-c", _ANSWER_AND_LIST_MODULES.format(heavy=set(HEAVY)), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["chunks"] >= 1
    assert figures["answer"]
    assert figures["heavy"] == []
