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


def test_answering_processes_get_numpy_and_ingest_gets_torch() -> None:
    from store.embedding import get_embedder

    answering = get_embedder(str(_model_folder()))
    assert answering.backend == "numpy"
    assert answering.count_tokens("语聊房 echo") > 0
    assert answering.embed_passages([]).shape == (0, 384)
    assert get_embedder(str(_model_folder()), for_batches=True).backend == "sentence-transformers"


def test_knowledge_ask_imports_no_torch(tmp_path: Path, embedder: object) -> None:
    """`python -X importtime -m knowledge ask` on a store ingested here: the modules it
    imported, as Python itself lists them, include none of the heavy ones."""
    from config.settings import Settings
    from ingest.pipeline import Ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "voice-rooms.md").write_text(
        "# 语聊房\n\n语聊房必须做好回声消除（AEC），否则麦上的人会听到自己的声音。\n\n"
        "# Voice rooms\n\nEcho cancellation matters for voice rooms with many speakers.\n",
        "utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    assert Ingestor(settings, embedder).sync([docs]).chunks >= 1  # type: ignore[arg-type]
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(tmp_path / "data"),
        "CHROMA_PATH": str(tmp_path / "chroma"),
        "LLM_PROVIDER": "none",
    }
    env.pop("CHROMA_HOST", None)
    command = [sys.executable, "-X", "importtime", "-m", "knowledge", "ask", "--json"]
    result = subprocess.run(
        [*command, "语聊房怎么做回声消除？"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["citations"]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "numpy" in imported and "chromadb" in imported  # the listing is complete
    assert imported.isdisjoint(HEAVY)
