"""Language-aware text helpers: detecting Chinese, tokenising for BM25 (sentences are split by
store.sentences, the one splitter ingest shares)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import jieba
import snowballstemmer

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

# Bump when `tokenize` changes its output: cached term lists of the old version are dropped.
TOKENIZER_VERSION = 2
# jieba's dictionary holds 349k words, about 60 MB in every process; the 149k seen at least this
# often hold 26 MB. A rarer compound then splits into common words, which search-mode cutting
# emits anyway, and the domain's own terms are added from the glossary.
MIN_WORD_FREQUENCY = 4

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+(?:[.\-+][a-z0-9]+)*%?|[\u3400-\u9fff\uf900-\ufaff]+")
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


def cjk_ratio(text: str) -> float:
    """The share of CJK characters among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _CJK.match(c)) / len(chars)


def detect_lang(text: str) -> str:
    """`zh` when Chinese characters make up a meaningful share of the text, else `en`."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """jieba over its common words plus the glossary's Chinese terms, built on first use."""
    from knowledge.domain.glossary import default_glossary

    try:
        segmenter = jieba.Tokenizer(dictionary=str(_common_words_dictionary()))
    except OSError as error:
        # No writable temporary folder: the full dictionary works too, it only costs more memory.
        log.warning(
            "jieba's common-words dictionary cannot be written (%s); using the full one", error
        )
        segmenter = jieba.Tokenizer()
    for term in default_glossary().terms:
        for form in term.zh:
            if form and all(_CJK.match(char) for char in form):
                segmenter.add_word(form)
    return segmenter


def _common_words_dictionary() -> Path:
    """jieba's dictionary without its rare words, written once beside jieba's own cache."""
    target = Path(tempfile.gettempdir()) / (
        f"rtc-assistant-jieba-{jieba.__version__}-min{MIN_WORD_FREQUENCY}.txt"
    )
    if target.is_file():
        return target
    source = Path(jieba.__file__).parent / "dict.txt"
    kept = [
        line
        for line in source.read_text("utf-8").splitlines(keepends=True)
        if len(parts := line.split()) >= 2 and int(parts[1]) >= MIN_WORD_FREQUENCY
    ]
    # Written aside and renamed: processes starting together never read half a file.
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.writelines(kept)
    os.replace(staging, target)
    return target


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """BM25 terms: jieba words (search mode) for Chinese, stemmed words for English."""
    terms: list[str] = []
    for match in _WORD.finditer(text.lower()):
        token = match.group(0)
        if _CJK.match(token):
            for word in _segmenter().cut_for_search(token):
                word = word.strip()
                if word and (keep_stopwords or word not in _ZH_STOP):
                    terms.append(word)
        elif keep_stopwords or token not in _EN_STOP:
            terms.append(_stem(token) if token.isalpha() else token)
            if "-" in token:
                terms.extend(_stem(part) for part in token.split("-") if part not in _EN_STOP)
    return terms
