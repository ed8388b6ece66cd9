"""Ingest → ask on a temporary store with the real model: the DESIGN.md JSON, valid citations for
every question of the evaluation set, abstention, follow-ups."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from knowledge.api import Turn
from knowledge.assistant import KnowledgeAssistant
from knowledge.evaluation.questions import EVAL_DOCS, default_questions
from knowledge.factory import open_assistant
from store.client import open_store

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "knowledge" / "corpus"
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> tuple[Settings, Path]:
    from ingest.pipeline import Ingestor

    base = tmp_path_factory.mktemp("e2e")
    settings = Settings(data_dir=base / "data", chroma_path=base / "chroma")
    report = Ingestor(settings, embedder).sync([CORPUS, EVAL_DOCS])  # type: ignore[arg-type]
    assert report.failed == []
    return settings, base / "chroma"


@pytest.fixture(scope="module")
def assistant(built: tuple[Settings, Path]) -> KnowledgeAssistant:
    settings, store_dir = built
    return open_assistant(settings, store_dir)


def _chunk_text(settings: Settings, store_dir: Path, chunk_id: str) -> str:
    records = open_store(settings, store_dir).chunks.get(ids=[chunk_id], include=["documents"])
    return (records["documents"] or [""])[0]


def test_every_eval_answer_cites_real_chunk_text(
    built: tuple[Settings, Path], assistant: KnowledgeAssistant
) -> None:
    settings, store_dir = built
    for question in default_questions():
        answer = assistant.ask(question.question).to_json()
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
        cited = {citation["n"] for citation in answer["citations"]}
        assert numbers == cited, question.id
        for citation in answer["citations"]:
            assert citation["quote"], question.id
            assert citation["quote"] in _chunk_text(settings, store_dir, citation["chunk_id"])
        if answer["abstained"]:
            assert answer["citations"] == []


def test_out_of_domain_questions_abstain(assistant: KnowledgeAssistant) -> None:
    for question in ("What will the weather be in Paris tomorrow?", "红烧肉怎么做?"):
        answer = assistant.ask(question)
        assert answer.abstained and not answer.citations


def test_cross_lingual_question_finds_chinese_sources(assistant: KnowledgeAssistant) -> None:
    retrieval = assistant.retrieve("语聊房的回声消除怎么测试?")
    assert any("voice-room" in hit.chunk.source for hit in retrieval.hits)


def test_follow_up_switches_scenario(assistant: KnowledgeAssistant) -> None:
    history = [Turn(question="What latency matters for a voice chat room?")]
    retrieval = assistant.retrieve("and for 1v1 video?", history)
    assert "1v1" in retrieval.hits[0].chunk.source


def test_cli_prints_the_design_json(built: tuple[Settings, Path]) -> None:
    settings, store_dir = built
    env = os.environ | {"DATA_DIR": str(settings.data_dir)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "knowledge",
            "ask",
            "--store",
            str(store_dir),
            "--json",
            "what matters for a voice room?",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"answer", "citations", "abstained", "sections"}
    assert payload["abstained"] is False
    assert payload["citations"]
    for citation in payload["citations"]:
        assert set(citation) == {"n", "source", "title", "section", "chunk_id", "quote"}
        assert f"[{citation['n']}]" in payload["answer"]
    # The structure the plain `answer` is rendered from: every point's text is in it, cited.
    points = [point for section in payload["sections"] for point in section["points"]]
    assert points and all(set(point) == {"text", "cites", "claim_of"} for point in points)
    numbers = {citation["n"] for citation in payload["citations"]}
    for point in points:
        assert point["text"] in payload["answer"] and set(point["cites"]) <= numbers


@pytest.mark.parametrize(
    ("question", "frame", "other"),
    [
        ("What latency should a 语聊房 target?", "Here is what the knowledge base says", "出处"),
        ("语聊房的 latency 应该做到多少？", "知识库中的相关要点", "Sources"),
    ],
)
def test_cli_answers_a_mixed_question_in_its_main_language(
    built: tuple[Settings, Path], question: str, frame: str, other: str
) -> None:
    settings, store_dir = built
    env = os.environ | {"DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "knowledge", "ask", "--store", str(store_dir), question]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(frame), result.stdout
    assert other not in result.stdout


def test_a_reader_that_goes_away_gets_no_traceback(built: tuple[Settings, Path]) -> None:
    """`knowledge ask … | head`: the pipe closes before the answer is written."""
    settings, store_dir = built
    env = os.environ | {"DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "knowledge", "ask", "--store", str(store_dir), "SLA?"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # long before the model has loaded and the answer is printed
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_a_store_embedded_by_this_model_opens_without_a_warning(
    built: tuple[Settings, Path], caplog: pytest.LogCaptureFixture
) -> None:
    settings, store_dir = built
    with caplog.at_level("WARNING", logger="knowledge.factory"):
        open_assistant(settings, store_dir)
    assert not [r for r in caplog.records if "another model" in r.getMessage()]


def test_documents_from_another_model_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    from knowledge.factory import _warn_about_other_models

    with caplog.at_level("WARNING", logger="knowledge.factory"):
        _warn_about_other_models({"a.md": "e5@rebuild-2-abc", "b.md": ""}, "e5@rebuild-2-abc")
    (record,) = [r for r in caplog.records if "another model" in r.getMessage()]
    assert "1 of 2 documents" in record.getMessage()
    assert "b.md" in record.getMessage()
