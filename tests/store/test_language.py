"""The one language decision: Han characters weighed against Latin words."""

from __future__ import annotations

import pytest

from store.language import detect_lang, has_han, is_cjk, is_han


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("What latency should a 语聊房 target?", "en"),  # English with one Chinese term
        ("How does Acme Server handle 首帧秒开 for WebRTC players?", "en"),
        ("AcmeMediaServer 的 LL-HLS 延迟多少？", "zh"),  # Chinese with English product names
        ("用OBS推SRT到Quux、再用ffplay拉流播放，延迟多少？", "zh"),
        ("Quux支持WebRTC吗", "zh"),
        ("语聊房", "zh"),
        ("voice room", "en"),
    ],
)
def test_a_mixed_text_is_in_its_main_language(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_no_letters_gives_the_default() -> None:
    assert detect_lang("123 ?!", default="zh") == "zh"
    assert detect_lang("") == "en"


def test_character_classes() -> None:
    assert is_han("语") and not is_han("，") and is_cjk("，") and not is_cjk("a")
    assert has_han("ab语") and not has_han("abc")
