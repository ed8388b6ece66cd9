"""Vendors learned from the store: a vendor known only by its documents (an HTML page, a Chinese
PDF, neither with front matter) is listed, briefed and compared; unknown names get a short line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from knowledge.api import UnknownVendor
from knowledge.assistant import KnowledgeAssistant
from knowledge.domain.topics import Vendor, VendorBook, merge_vendors
from knowledge.evaluation.vendor_docs import materialise

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "briefing" / "corpus"


def test_a_documents_vendor_named_by_a_seed_alias_joins_that_vendor() -> None:
    seed = VendorBook([Vendor("Agora", ("声网", "agora.io"))])
    book = merge_vendors(seed, [Vendor("声网", ("Shengwang",)), Vendor("Skylark Cloud")])
    assert book.names() == ["Agora", "Skylark Cloud"]
    agora = book.resolve("shengwang")
    assert agora.name == "Agora" and agora.store_names == ("声网",)
    assert book.resolve("skylark").store_names == ("Skylark Cloud",)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> tuple[Settings, Path]:
    from ingest.pipeline import Ingestor

    base = tmp_path_factory.mktemp("vendors")
    docs = materialise(base / "docs")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=base / "data",
        chroma_path=base / "chroma",
        chroma_collection="vendors",
    )
    report = Ingestor(settings, embedder).sync([FIXTURES, *docs])  # type: ignore[arg-type]
    assert report.ok, report.failed
    return settings, base / "chroma"


@pytest.fixture(scope="module")
def assistant(built: tuple[Settings, Path]) -> Iterator[KnowledgeAssistant]:
    from knowledge.factory import open_assistant

    settings, store_dir = built
    opened = open_assistant(settings, store_dir)
    assert isinstance(opened, KnowledgeAssistant)
    yield opened


def test_vendors_lists_every_vendor_of_the_store(assistant: KnowledgeAssistant) -> None:
    found = {vendor.name: vendor for vendor in assistant.vendors()}
    assert set(found) == {"GalaxyRTC", "NimbusRTC", "QueqiaoRTC", "Skylark Cloud"}
    queqiao = found["QueqiaoRTC"]
    assert queqiao.documents == 1 and queqiao.chunks >= 1 and queqiao.langs == ("zh",)
    assert "鹊桥音视频" in queqiao.aliases
    assert found["NimbusRTC"].langs == ("en",)


def test_a_vendor_only_the_store_knows_is_briefed_from_its_own_figures(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.brief("Skylark Cloud voice room")
    assert not any("no documents" in note for note in answer.notes), answer.notes
    claims = next(s for s in answer.sections if "Skylark Cloud" in s.title)
    cited = [answer.citations[n - 1] for point in claims.points for n in point.cites]
    assert cited and all("skylark" in c.source for c in cited)
    assert any(figure in answer.text for figure in ("280 ms", "40%", "80,000"))


def test_a_vendor_is_compared_with_one_in_the_other_language(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.compare(["Skylark Cloud", "鹊桥音视频"], "en")
    sources = {citation.source for citation in answer.citations}
    assert any("skylark" in s for s in sources) and any("queqiao" in s for s in sources)
    assert "280 ms" in answer.text and "350 毫秒" in answer.text
    for section in answer.sections:  # one block per criterion, one line per vendor
        assert len(section.points) == 2
        for point in section.points:
            assert point.cites or point.text.startswith("not stated in ")


def test_an_unknown_name_gets_one_short_line_with_the_closest(
    assistant: KnowledgeAssistant,
) -> None:
    with pytest.raises(UnknownVendor) as raised:
        assistant.compare(["Skylork Claud", "NimbusRTC"], "en")
    shown = raised.value.message("en")
    assert len(shown) < 300 and "Skylark Cloud" in shown
    assert len(raised.value.message("zh")) < 300


def test_cli_lists_the_vendors_as_json(built: tuple[Settings, Path]) -> None:
    settings, store_dir = built
    env = os.environ | {"DATA_DIR": str(settings.data_dir), "CHROMA_COLLECTION": "vendors"}
    result = subprocess.run(
        [sys.executable, "-m", "knowledge", "vendors", "--store", str(store_dir), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {entry["name"] for entry in payload} >= {"Skylark Cloud", "QueqiaoRTC"}
    for entry in payload:
        assert set(entry) == {"name", "aliases", "documents", "chunks", "langs", "as_of"}


def test_cli_lists_the_vendors_in_the_locales_language(built: tuple[Settings, Path]) -> None:
    settings, store_dir = built
    env = os.environ | {
        "DATA_DIR": str(settings.data_dir),
        "CHROMA_COLLECTION": "vendors",
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "LANG": "zh_CN.UTF-8",
    }
    command = [sys.executable, "-m", "knowledge", "vendors", "--store", str(store_dir)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("知识库里的厂商") and "篇文档" in result.stdout
    assert "QueqiaoRTC：" in result.stdout


def test_the_listings_language_is_the_option_else_the_locales(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from knowledge.__main__ import build_parser, locale_lang

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert locale_lang() == "en"
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert locale_lang() == "zh"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL overrides LANG
    assert locale_lang() == "en"
    assert build_parser().parse_args(["vendors", "--lang", "zh"]).lang == "zh"
    assert build_parser().parse_args(["vendors"]).lang is None


def test_a_vendor_with_many_chunks_is_read_through_retrieval(
    assistant: KnowledgeAssistant,
) -> None:
    from dataclasses import replace

    from knowledge.answering.cells import read_cells

    criteria = assistant.domain.criteria
    vendor = assistant.store_vendors.book().resolve("Skylark Cloud")
    whole = read_cells(assistant.tools, vendor, criteria, criteria.comparison)
    many = replace(assistant.tools, vendor_chunks=lambda labels, limit: None)
    retrieved = read_cells(many, vendor, criteria, criteria.comparison)
    shown = [cell.display if cell else None for cell in whole]
    assert [cell.display if cell else None for cell in retrieved] == shown
    assert sum(cell is not None for cell in whole) == 7  # compliance: not stated


def test_a_scenario_named_by_a_paraphrase_is_briefed(assistant: KnowledgeAssistant) -> None:
    answer = assistant.brief("Skylark Cloud social audio apps")
    assert answer.title == "Briefing: Skylark Cloud · Voice chat rooms and game voice"
    assert not any("no documents" in note for note in answer.notes)
    slang = assistant.brief("陪玩")
    assert slang.lang == "zh" and "语聊房与游戏语音" in slang.title
    assert any(note.startswith("我把“陪玩”理解为") for note in slang.notes)


def test_an_unknown_name_alone_is_still_no_topic(assistant: KnowledgeAssistant) -> None:
    from knowledge.api import InvalidQuestion

    with pytest.raises(InvalidQuestion):
        assistant.brief("Twilio")


def test_a_briefing_sets_the_vendors_figure_beside_the_guidance_target(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.brief("Skylark Cloud voice room")
    beside = next(
        s for s in answer.sections if s.title == "Skylark Cloud's figures beside the guidance"
    )
    assert beside.points
    for point in beside.points:
        claim, target = (answer.citations[n - 1] for n in point.cites)
        assert "skylark" in claim.source and "guide" in target.source
        assert point.text.startswith("Skylark Cloud states “")
        assert "; guidance for Voice chat rooms and game voice: “" in point.text
    assert any("40%" in point.text for point in beside.points)


def test_a_question_naming_a_vendor_by_its_own_alias_reads_its_documents(
    assistant: KnowledgeAssistant,
) -> None:
    retrieval = assistant.retrieve("鹊桥音视频的进房耗时是多少？")
    assert retrieval.hits[0].chunk.vendor == "QueqiaoRTC"
    answer = assistant.ask("鹊桥音视频的进房耗时是多少？")
    assert not answer.abstained and "350 毫秒" in answer.text
