"""Briefings that set a vendor's claims beside the guidance's targets: figures by kind, the
shortfall verdict, the claims chosen by the reader over the vendor's own chunks (either language),
the gaps to raise, and questions and PoC tests written for the scenario.

The store holds documents written here: a voice-room guide with targets, SlowVoice (English, front
matter) whose join time and room size fall short of them, and 青岚云 (Chinese, no front matter,
named only in Chinese).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.settings import Settings
from knowledge.answering.targets import (
    COUNT,
    PERCENT,
    TIME,
    Figure,
    aspect,
    compared,
    falls_short,
    figures,
)
from knowledge.api import Answer
from knowledge.assistant import KnowledgeAssistant
from knowledge.domain.criteria import default_criteria
from knowledge.domain.topics import load_scenario_book

GUIDE = """---
title: "Voice rooms: targets"
doc_type: guide
lang: en
---

# Voice rooms

## Targets

- For a voice chat room, keep mouth-to-ear latency under 400 ms so that turn-taking feels natural.
- For a voice chat room, speech should stay intelligible at 30 percent random packet loss.
- For a voice chat room, plan for 8 speakers on mic seats and up to 10,000 listeners in one room.
- For a voice chat room, compare the price per 1,000 audio minutes of every vendor.
"""

SLOW = """---
title: "SlowVoice: product sheet"
doc_type: vendor
vendor: SlowVoice
lang: en
---

# SlowVoice

## Performance

- SlowVoice states a mouth-to-ear latency of 900 ms for voice rooms.
- SlowVoice keeps speech intelligible at 50 percent packet loss.
- SlowVoice supports up to 2,000 listeners in one room.
"""

QINGLAN = """# 青岚云实时音视频产品说明

青岚云是本测试虚构的厂商。
青岚云承诺端到端延迟低于 300 毫秒。
青岚云提供抗丢包能力，在 40% 丢包下语音仍可懂。
青岚云提供单房间 2 万名听众同时在线。
青岚云按每千分钟 5 元收费。
"""


# --- figures and verdicts (no store) ----------------------------------------------------------


def test_figures_are_read_by_kind_in_a_common_unit() -> None:
    assert figures("median join time is 320 ms on 4G") == [Figure(TIME, 320.0)]
    assert figures("首帧 1.5 秒以内") == [Figure(TIME, 1500.0)]
    assert figures("between 150 and 400 ms") == [Figure(TIME, 150.0), Figure(TIME, 400.0)]
    assert figures("a written 15-minute response") == [Figure(TIME, 900_000.0)]
    assert figures("at 45 percent packet loss, 99.9% uptime") == [
        Figure(PERCENT, 45.0),
        Figure(PERCENT, 99.9),
    ]
    assert figures("单房间 10 万人同时在线，50 个麦位") == [
        Figure(COUNT, 100_000.0),
        Figure(COUNT, 50.0),
    ]
    assert figures("1v1 calls on 4G with H5 players") == []


def test_a_shortfall_needs_a_figure_of_the_same_kind_on_both_sides() -> None:
    target = "keep mouth-to-ear latency under 400 ms"
    assert falls_short("latency of 900 ms", target, TIME, "lower") is True
    assert falls_short("latency of 280 ms", target, TIME, "lower") is False
    assert falls_short("sub-second latency", target, TIME, "lower") is None
    assert falls_short("2,000 listeners", "up to 10,000 listeners", COUNT, "higher") is True
    assert falls_short("99.95% uptime", "99.9% uptime", PERCENT, "higher") is False
    assert falls_short("900 ms", target, TIME, "sideways") is None


def test_only_figures_on_the_same_aspect_are_compared() -> None:
    latency = dict(default_criteria().get("latency").aspects)
    scale = dict(default_criteria().get("scale").aspects)
    claim = "承诺全球平均进房耗时 350 毫秒，首帧 600 毫秒以内。"
    assert [aspect(claim, figure, latency) for figure in figures(claim)] == ["setup", "setup"]
    # A join time and a first frame are no end-to-end latency: no verdict, rather than a gap.
    end_to_end = "aim for end-to-end latency under 400 ms between the two users"
    assert falls_short(claim, end_to_end, TIME, "lower", latency) is None
    assert falls_short(claim, "the first frame within about 1 s", TIME, "lower", latency) is False
    both = "a median connect time of 280 ms and 150 ms mouth-to-ear latency"
    assert [aspect(both, f, latency) for f in figures(both)] == ["setup", "latency"]
    assert falls_short(both, end_to_end, TIME, "lower", latency) is False
    room = "supports up to 50 speakers and 2,000 listeners per room"
    target = "plan for 8 speakers on mic seats and up to 10,000 listeners in one room"
    assert compared(room, target, COUNT, "higher", scale) == [(50.0, 8.0), (2000.0, 10000.0)]
    assert falls_short(room, target, COUNT, "higher", scale) is True


def test_every_bundled_scenario_has_its_own_questions_and_poc_tests_in_both_languages() -> None:
    scenarios = load_scenario_book().scenarios
    assert scenarios
    seen: set[str] = set()
    for scenario in scenarios:
        for lang in ("en", "zh"):
            items = (*scenario.questions(lang), *scenario.poc_tests(lang))
            assert scenario.questions(lang) and scenario.poc_tests(lang), (scenario.id, lang)
            assert not seen & set(items), scenario.id  # written for it, not shared
            seen.update(items)
    zh = next(s for s in scenarios if s.id == "voice_room").questions("zh")
    assert all(any("\u4e00" <= char <= "\u9fff" for char in item) for item in zh)


# --- over a store of documents written here ---------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Iterator[object]:
    from ingest.pipeline import Ingestor
    from knowledge.factory import open_assistant

    base = tmp_path_factory.mktemp("claims")
    docs = base / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(GUIDE, "utf-8")
    (docs / "slowvoice.md").write_text(SLOW, "utf-8")
    (docs / "qinglan.md").write_text(QINGLAN, "utf-8")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=base / "data",
        chroma_path=base / "chroma",
        chroma_collection="claims",
    )
    report = Ingestor(settings, embedder).sync([docs])  # type: ignore[arg-type]
    assert report.ok, report.failed
    opened = open_assistant(settings)
    assert isinstance(opened, KnowledgeAssistant)
    yield opened


def _section(answer: Answer, title: str) -> str:
    """One section of the full briefing (the Markdown attachment), as text."""
    body = answer.attachments[0].content
    return body.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def slow_brief(assistant: KnowledgeAssistant) -> Answer:
    return assistant.brief("SlowVoice voice room")


def test_claims_come_from_the_vendors_own_chunks(slow_brief: Answer) -> None:
    claims = _section(slow_brief, "What SlowVoice's documents claim")
    assert "Latency and connect time: SlowVoice states a mouth-to-ear latency of 900 ms" in claims
    assert "Scale per room: SlowVoice states: “SlowVoice supports up to 2,000 listeners" in claims
    vendor_cites = [c for c in slow_brief.citations if c.vendor]
    assert vendor_cites and all(c.vendor == "SlowVoice" for c in vendor_cites)


def test_figures_short_of_the_target_are_gaps_to_raise_with_both_cited(slow_brief: Answer) -> None:
    gaps = _section(slow_brief, "Gaps")
    latency = next(line for line in gaps.splitlines() if line.startswith("- Latency"))
    assert "SlowVoice states “SlowVoice states a mouth-to-ear latency of 900 ms" in latency
    assert "short of the guidance for Voice chat rooms and game voice" in latency
    assert "under 400 ms" in latency and latency.count("[") == 2
    scale = next(line for line in gaps.splitlines() if line.startswith("- Scale per room"))
    assert "2,000" in scale and "10,000" in scale
    # Stated and meeting the target: no gap.
    assert "Quality under weak networks" not in gaps
    assert "Pricing model: not addressed in SlowVoice's documents" in gaps


def test_questions_and_poc_tests_are_the_scenarios_and_the_gaps(slow_brief: Answer) -> None:
    voice = next(s for s in load_scenario_book().scenarios if s.id == "voice_room")
    questions = _section(slow_brief, "Questions to ask")
    assert voice.questions("en")[0] in questions
    assert "Pricing model: SlowVoice's documents state nothing on this" in questions
    assert "Latency and connect time: your documents state less than the guidance" in questions
    tests = _section(slow_brief, "PoC tests")
    assert voice.poc_tests("en")[0] in tests
    phone = slow_brief.text.split("PoC tests", 1)[1]
    assert voice.poc_tests("en")[0] in phone  # the phone version leads with them too


def test_another_scenario_gets_its_own_questions_and_tests(assistant: KnowledgeAssistant) -> None:
    video = next(s for s in load_scenario_book().scenarios if s.id == "one_on_one_video")
    answer = assistant.brief("SlowVoice 1v1 video")
    tests = _section(answer, "PoC tests")
    assert video.poc_tests("en")[0] in tests and "Mic-on latency" not in tests


def test_a_vendor_named_only_in_chinese_is_briefed_from_its_figures(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.brief("青岚云 语聊房")
    assert answer.lang == "zh" and answer.title.startswith("会前简报：青岚云")
    claims = _section(answer, "青岚云 文档中的说法")
    assert "300 毫秒" in claims and "2 万" in claims
    beside = _section(answer, "青岚云 的数字与指南目标对照")
    assert "300 毫秒" in beside and "400 ms" in beside
    voice = next(s for s in load_scenario_book().scenarios if s.id == "voice_room")
    assert voice.questions("zh")[0] in _section(answer, "建议提问")
    english = assistant.brief("青岚云 voice room", "en")  # English request, Chinese documents
    assert "300 毫秒" in _section(english, "青岚云's figures beside the guidance")
