"""Word translations from the dictionary: what is kept of a gloss, lookups both ways, and how
they let a question's words be found in a sentence of the other language."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from knowledge.retrieval import translations as module
from knowledge.retrieval.english_forms import base_form
from knowledge.retrieval.retriever import TRANSLATION_WEIGHT, translated_terms
from knowledge.retrieval.text import tokenize
from knowledge.retrieval.translations import Translations, default_translations, dictionary_pairs

LINES = [
    "# CC-CEDICT comment line",
    "團隊 团队 [tuan2 dui4] /team/",
    "延遲 延迟 [yan2 chi2] /to delay/to postpone/to keep putting sth off/(computing) to lag/",
    "房間 房间 [fang2 jian1] /room/CL:間|间[jian1],個|个[ge4]/",
    "如果 如果 [ru2 guo3] /if/in case/in the event that/",
    "北京 北京 [Bei3 jing1] /Beijing/",
    "隊 队 [dui4] /squadron/team/",
    "角色 角色 [jue2 se4] /role/character in a novel/persona/also pr. [jiao3 se4]/",
]


def test_only_one_word_glosses_of_words_are_kept() -> None:
    pairs = set(dictionary_pairs(LINES))
    assert ("team", "团队") in pairs
    assert {("delay", "延迟"), ("postpon", "延迟"), ("lag", "延迟")} <= pairs
    assert ("room", "房间") in pairs
    assert ("role", "角色") in pairs and ("persona", "角色") in pairs
    # A phrase explains rather than translates; a name is not a word; one character means
    # too many things.
    assert not any(zh == "如果" for _, zh in pairs)
    assert not any(zh == "北京" for _, zh in pairs)
    assert not any(zh == "队" for _, zh in pairs)
    assert not any(en.startswith("charact") for en, _ in pairs)


@pytest.fixture
def small_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Translations:
    return _built(LINES, {}, tmp_path, monkeypatch)


def _built(
    lines: list[str],
    frequencies: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Translations:
    """The cache file built from `lines` (with these word frequencies) in a temporary folder."""
    source = tmp_path / "cedict.txt.gz"
    with gzip.open(source, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    monkeypatch.setattr(module, "DICTIONARY", source)
    monkeypatch.setattr(module.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(module, "word_frequencies", lambda: frequencies)
    target = module._cache_file()
    module._build(target)
    assert target.is_file() and not list(tmp_path.glob("*.tmp"))
    return Translations(target)


def test_the_cached_file_is_looked_up_both_ways(small_dictionary: Translations) -> None:
    assert small_dictionary.of("team") == frozenset({"团队"})
    assert small_dictionary.of("团队") == frozenset({"team"})
    assert small_dictionary.of("nonexistentword") == frozenset()
    found = small_dictionary.of_all(tokenize("What roles does the team need?"))
    assert found == (("role", frozenset({"角色"})), ("team", frozenset({"团队"})))


def test_a_word_with_too_many_translations_has_none(
    small_dictionary: Translations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "MAX_TRANSLATIONS", 2)
    assert small_dictionary.of("延迟") == frozenset()  # delay, postpone, lag: too general
    assert small_dictionary.of("团队") == frozenset({"team"})


def test_the_real_dictionary_translates_the_domains_everyday_words() -> None:
    found = default_translations()
    assert "团队" in found.of("team") and "视频" in found.of("video")
    assert "echo" in found.of("回声")


def test_an_irregular_verb_form_has_its_base_forms_translations() -> None:
    found = default_translations()
    # CC-CEDICT lists 付费 under "to pay"; a question says "paid support".
    assert "付费" in found.of("pay") and "付费" in found.of(tokenize("paid")[0])
    assert found.of(tokenize("paid")[0]) >= found.of("pay")
    assert base_form(tokenize("written")[0]) == tokenize("write")[0]
    assert base_form("pay") is None and base_form(tokenize("licensed")[0]) is None


def test_translations_join_the_bm25_query_only_where_the_store_uses_them() -> None:
    known = {"团队": 2.0, "团体": 3.0}
    translations = (("team", frozenset({"团队", "团体", "集体"})),)
    terms, weights = translated_terms(translations, ["team"], lambda t: known.get(t, 0.0))
    assert terms == ["团体", "团队"]
    # The word's translations share its weight.
    assert weights[0] == weights[1] and sum(weights) < 2 * TRANSLATION_WEIGHT


GLOSS_LINES = [
    "聲音 声音 [sheng1 yin1] /voice/sound/CL:個|个[ge4]/",
    "音頻 音频 [yin1 pin2] /audio/audio frequency/",
    "沒有 没有 [mei2 you3] /haven't/hasn't/doesn't exist/to not have/",
    "播放 播放 [bo1 fang4] /to broadcast/to transmit/",
    "推 推 [tui1] /to push/to cut/",
    "流 流 [liu2] /to flow/to spread/stream/",
    "房間 房间 [fang2 jian1] /room/CL:間|间[jian1],個|个[ge4]/",
    "空間 空间 [kong1 jian1] /space/room/",
    "聲 声 [sheng1] /sound/voice/",
]


@pytest.fixture
def gloss_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Translations:
    return _built(GLOSS_LINES, {"空间": 900, "房间": 300}, tmp_path, monkeypatch)


def test_glosses_keep_the_dictionarys_order_of_senses_and_drop_notes() -> None:
    found = list(module.dictionary_glosses(GLOSS_LINES))
    assert [gloss for zh, gloss, _ in found if zh == "声音"] == ["voice", "sound"]
    # "audio frequency" renders a word (two words at most); it is no single term to look up.
    assert ("音频", "audio frequency", "") in found
    assert ("没有", "not have", "") in found  # "to" dropped
    assert not any(gloss.startswith("CL") or "exist" in gloss for _, gloss, _ in found)


def test_a_chinese_question_is_rendered_in_english_word_by_word(
    gloss_dictionary: Translations,
) -> None:
    gloss = gloss_dictionary.gloss("用WebRTC播放的声音", "en")
    # Names as typed; each word by its first two senses; a stopword (的) left out; a word the
    # dictionary knows nothing of (用, here) as typed.
    assert gloss == "用 WebRTC broadcast transmit voice sound"
    # A word the dictionary lacks is rendered by its characters' first senses.
    assert gloss_dictionary.gloss("推流", "en") == "push flow"


def test_an_english_question_is_rendered_in_chinese_by_the_commonest_words(
    gloss_dictionary: Translations,
) -> None:
    # "room" is a sense of both; the commoner word comes first.
    assert gloss_dictionary.gloss("What matters for a voice room?", "zh") == (
        "matters 声音空间房间"
    )
    # A name is never translated, and a text with nothing to render has no gloss.
    assert gloss_dictionary.gloss("Does Quux support WHIP?", "zh") == ""


def test_the_real_dictionary_renders_a_question_in_either_language() -> None:
    found = default_translations()
    assert "audio" in found.gloss("为什么没有音频？", "en")
    assert "带宽" in found.gloss("How much bandwidth does a voice room use?", "zh")
