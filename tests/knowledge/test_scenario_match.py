"""Scenarios by meaning: paraphrases, plurals and Chinese slang find their scenario; a vendor's
name or an unrelated phrase finds none; a close but unsure match is stated as an assumption."""

from __future__ import annotations

import pytest

from knowledge.answering.scenario_match import ScenarioMatcher
from knowledge.domain.topics import load_scenario_book


@pytest.fixture(scope="module")
def matcher(embedder: object) -> ScenarioMatcher:
    return ScenarioMatcher(
        load_scenario_book(),
        embedder.embed_query,  # type: ignore[attr-defined]
        embedder.embed_passages,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize(
    ("text", "scenario"),
    [
        ("online classes", "education"),
        ("online tutoring", "education"),
        ("social audio app", "voice_room"),
        ("语音房", "voice_room"),
        ("陪玩", "voice_room"),
        ("video dating app", "one_on_one_video"),
        ("一对一视频", "one_on_one_video"),
        ("PK battles", "show_streaming"),
        ("selling clothes live", "live_commerce"),
        ("直播卖货", "live_commerce"),
        ("webinars for 5000 people", "large_events"),
        ("网课平台", "education"),
    ],
)
def test_a_paraphrase_finds_its_scenario(
    matcher: ScenarioMatcher, text: str, scenario: str
) -> None:
    found = matcher.match(text)
    assert found is not None and found.scenario.id == scenario, (text, found)


@pytest.mark.parametrize("text", ["Twilio", "NimbusRTC", "banana bread", "kubernetes cluster"])
def test_what_is_no_scenario_finds_none(matcher: ScenarioMatcher, text: str) -> None:
    assert matcher.match(text) is None


def test_clear_matches_are_sure_and_slang_is_assumed(matcher: ScenarioMatcher) -> None:
    sure = matcher.match("online classes")
    assert sure is not None and sure.sure
    assumed = matcher.match("陪玩")
    assert assumed is not None and not assumed.sure
