"""The lexical tokenizer shared by ingest (which writes the lexical index) and knowledge (which
queries it): jieba words (search mode) for Chinese, stemmed words for English.

Both sides must cut text into the same terms, so the tokenizer lives with the store. jieba also
learns the Chinese forms of the domain glossary, read from its data file (knowledge/domain/data),
so a compound such as 语聊房 stays one term in documents and questions alike.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import jieba
import snowballstemmer
import yaml

from store.language import HAN, is_han

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

# Bump when `tokenize` changes its output: lexical indexes written by another version are rebuilt.
# 4: "HTTP/2" also as "http2"; 5: "2,500" as "2500", "v5" also as "5"
TOKENIZER_VERSION = 5
# jieba's dictionary holds 349k words, about 60 MB in every process; the 149k seen at least this
# often hold 26 MB. A rarer compound then splits into common words, which search-mode cutting
# emits anyway, and the domain's own terms are added from the glossary.
MIN_WORD_FREQUENCY = 4
# The domain glossary (knowledge/domain/glossary.py reads the same file for query expansion).
GLOSSARY_FILE = (
    Path(__file__).resolve().parent.parent / "knowledge" / "domain" / "data" / "glossary.yaml"
)

_WORD = re.compile(rf"[a-z0-9]+(?:[.\-+][a-z0-9]+)*%?|[{HAN}]+")
# A name with a one-digit version after a slash ("HTTP/2"), which documents also write joined
# ("HTTP2-FLV"): both spellings give the joined term.
_SLASHED_VERSION = re.compile(r"(?<![a-z])([a-z]{2,})/(\d)(?!\d|\.\d)")
# A figure with thousands separators ("2,500 players") is the number documents also write
# without them ("2500个连接"): one term, the digits.
_GROUPED_DIGITS = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")
# A version written with its "v" ("Acme v5+", "v4.0") is the one a question names bare ("Acme 5").
_V_VERSION = re.compile(r"v(\d+(?:\.\d+)*)")
_READING_WORD = re.compile(rf"[A-Za-z0-9]+(?:[.\-+/,][A-Za-z0-9]+)*%?|[{HAN}]+")
_EN_STOP = frozenset(
    "a an the and or of to in on for with is are was were be been it its this that these those "
    "what which who whom how why when where do does did can could should would will shall may "
    "might must i we you they he she my our your their me us them about as at by from into than "
    "then so if not no yes vs there here any some all more most very also just like get".split()
)
_ZH_STOP = frozenset(
    (
        "的 了 是 在 和 与 及 或 吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 哪些 哪个 为什么 "
        "我们 你们 他们 我 你 他 她 它 这 那 这个 那个 一个 有 没有 要 会 能 可以 应该 "
        "需要 看 多少 哪 请问 一下 一些 时候"
    ).split()
)
_stemmer = snowballstemmer.stemmer("english")


def glossary_words(path: Path = GLOSSARY_FILE) -> list[str]:
    """The glossary's Chinese forms made only of Han characters (jieba's extra words)."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    words: list[str] = []
    for entry in data.get("terms") or ():
        for form in entry.get("zh") or ():
            text = str(form)
            if text and all(is_han(char) for char in text):
                words.append(text)
    return words


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """jieba over its common words plus the glossary's Chinese terms, built on first use."""
    try:
        segmenter = jieba.Tokenizer(dictionary=str(_common_words_dictionary()))
    except OSError as error:
        # No writable temporary folder: the full dictionary works too, it only costs more memory.
        log.warning(
            "jieba's common-words dictionary cannot be written (%s); using the full one", error
        )
        segmenter = jieba.Tokenizer()
    for word in glossary_words():
        segmenter.add_word(word)
    return segmenter


def _common_words_dictionary() -> Path:
    """jieba's dictionary without its rare words, written once beside jieba's own cache."""
    target = Path(tempfile.gettempdir()) / (
        f"rtc-assistant-jieba-{jieba.__version__}-min{MIN_WORD_FREQUENCY}.txt"
    )
    if target.is_file():
        return target
    kept = [
        f"{word} {frequency}{tag}\n"
        for word, frequency, tag in _dictionary_entries()
        if frequency >= MIN_WORD_FREQUENCY
    ]
    # Written aside and renamed: processes starting together never read half a file.
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.writelines(kept)
    os.replace(staging, target)
    return target


def _dictionary_entries() -> Iterator[tuple[str, int, str]]:
    """jieba's dictionary: each word, how often jieba's corpus uses it, and the rest of its line
    (its part-of-speech tag, with the space before it)."""
    source = Path(jieba.__file__).parent / "dict.txt"
    for line in source.read_text("utf-8").splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            yield parts[0], int(parts[1]), f" {parts[2]}" if len(parts) > 2 else ""


def word_frequencies() -> dict[str, int]:
    """How common each Chinese word of jieba's dictionary is (its count in jieba's corpus)."""
    return {word: frequency for word, frequency, _ in _dictionary_entries()}


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """BM25 terms: jieba words (search mode) for Chinese, stemmed words for English."""
    terms: list[str] = []
    text = _GROUPED_DIGITS.sub(lambda grouped: grouped.group(0).replace(",", ""), text)
    for match in _WORD.finditer(text.lower()):
        token = match.group(0)
        if is_han(token[0]):
            for word in _segmenter().cut_for_search(token):
                word = word.strip()
                if word and (keep_stopwords or word not in _ZH_STOP):
                    terms.append(word)
        elif keep_stopwords or token not in _EN_STOP:
            terms.append(_stem(token) if token.isalpha() else token)
            if version := _V_VERSION.fullmatch(token):
                terms.append(version.group(1))
            if "-" in token:
                terms.extend(_stem(part) for part in token.split("-") if part not in _EN_STOP)
    terms.extend(f"{name}{version}" for name, version in _SLASHED_VERSION.findall(text.lower()))
    return terms


def reading_words(text: str) -> list[str]:
    """The words of `text` in reading order, as written, stopwords left out: Chinese cut into
    whole words (not search mode's overlapping parts), Latin words and figures as typed
    ("WebRTC", "24/7"), for rendering a question word by word in the other language."""
    words: list[str] = []
    for match in _READING_WORD.finditer(text):
        token = match.group(0)
        if is_han(token[0]):
            words.extend(word for word in _segmenter().cut(token) if word not in _ZH_STOP)
        elif token.lower() not in _EN_STOP:
            words.append(token)
    return words


def prepare() -> None:
    """Load jieba's dictionary now (half a second), e.g. on a start-up thread, rather than in
    the first question."""
    _segmenter()
