"""Where a named thing lives: names in a question, the folders its documents gather in, and the
retrieval of a product's documents for a question in the other language."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from knowledge.retrieval.retriever import HybridRetriever
from knowledge.retrieval.scope import NameScopes, gathered, named_forms
from tests.knowledge.support import retriever_over


def _live(*sources: str) -> dict[str, str]:
    return {source: "v1" for source in sources}


def test_names_are_words_shaped_like_names_not_ordinary_words() -> None:
    assert named_forms("Which single Foo setting is behind a third of WebRTC problems?") == [
        "Foo",
        "WebRTC",
    ]
    assert named_forms("How much RAM does a self-hosted Quux server need?") == ["RAM", "Quux"]
    assert named_forms("Is H.265 supported? Quux says so.") == ["H.265"]
    assert named_forms("What is the jitter_buffer default?") == ["jitter_buffer"]


def test_every_latin_word_of_a_chinese_question_is_a_name() -> None:
    assert named_forms("用streambox录制直播时崩溃会丢多少？") == ["streambox"]
    found = named_forms("Foo 的源站(Origin)和边缘(Edge)之间用什么协议？")
    assert found == ["Foo", "Origin", "Edge"]


def test_a_product_documentation_set_is_gathered_with_the_pages_that_never_name_it() -> None:
    product = [f"docs/foo/page-{n}.md" for n in range(6)]
    other = [f"docs/bar/page-{n}.md" for n in range(6)]
    live = _live(*product, *other)
    # Four of the six pages name it; two (a troubleshooting page, a reference) do not.
    assert gathered(set(product[:4]), live) == frozenset(product)


def test_a_name_spread_over_every_folder_gathers_nowhere() -> None:
    live = _live(*(f"docs/{folder}/p{n}.md" for folder in ("a", "b", "c") for n in range(4)))
    naming = {f"docs/{folder}/p0.md" for folder in ("a", "b", "c")}
    assert gathered(naming, live) == frozenset()


def test_a_folder_that_only_mentions_the_name_is_not_its_documentation() -> None:
    profiles = [f"vendors/v{n}.md" for n in range(10)]
    live = _live(*profiles, "guides/intro.md")
    # One profile of ten compares itself with the rival: a mention, not the rival's set.
    assert gathered({profiles[0]}, live) == frozenset()


def test_the_whole_store_is_never_a_scope() -> None:
    live = _live(*(f"docs/p{n}.md" for n in range(5)))
    assert gathered(set(live), live) == frozenset()


def test_scopes_are_remembered_until_the_store_changes() -> None:
    calls: list[str] = []
    product = {f"foo/p{n}.md": "v1" for n in range(4)}
    live = {**product, **{f"bar/p{n}.md": "v1" for n in range(4)}}

    def versions_using(term: str, limit: int) -> set[tuple[str, str]] | None:
        calls.append(term)
        return {(source, "v1") for source in product} if term == "foo" else None

    scopes = NameScopes(versions_using)
    assert scopes.scope(["foo"], live) == frozenset(product)
    assert scopes.scope(["foo", "common"], live) == frozenset(product)
    assert calls == ["foo", "common"]
    assert scopes.scope(["foo"], dict(live)) == frozenset(product)  # re-read, the same
    assert calls == ["foo", "common"]
    changed = {**live, "bar/new.md": "v1"}
    assert scopes.scope(["foo"], changed) == frozenset(product)
    assert calls == ["foo", "common", "foo"]


def test_an_old_version_of_a_document_names_nothing() -> None:
    live = {**_live(*(f"foo/p{n}.md" for n in range(4))), **_live("bar/a.md", "bar/b.md")}

    def versions_using(term: str, limit: int) -> set[tuple[str, str]] | None:
        return {(f"foo/p{n}.md", "old") for n in range(4)}

    assert NameScopes(versions_using).scope(["foo"], live) == frozenset()


def _write_two_products(folder: Path) -> None:
    quux, zeta = folder / "quux", folder / "zeta"
    quux.mkdir(parents=True)
    zeta.mkdir(parents=True)
    topics = ("install", "configure", "record", "scale")
    for topic in topics:
        (quux / f"{topic}.md").write_text(
            f"# {topic.title()}\n\nQuux can {topic} streams. Quux documents how to {topic} here.\n"
        )
    # The page that answers never names its product, as a product's own pages often do not.
    (quux / "troubleshooting.md").write_text(
        "# Troubleshooting\n\nNo audio when browsers play a stream: the publisher must send "
        "Opus, the only audio codec browsers decode.\n"
    )
    for n in range(6):
        (zeta / f"audio{n}.md").write_text(
            f"# Audio {n}\n\nWhy is there no audio when browsers play a stream from Zeta, "
            f"case {n}: Zeta checks why there is no audio when browsers play stream {n}.\n"
        )


@pytest.fixture
def two_products(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> HybridRetriever:
    docs = tmp_path / "docs"
    _write_two_products(docs)
    return retriever_over(docs, store_settings, fake_embedder)


QUESTION = "Why is there no audio when browsers play a stream from Quux?"


def test_a_named_product_pages_are_looked_at_first(two_products: HybridRetriever) -> None:
    sources = [Path(hit.chunk.source).name for hit in two_products.retrieve(QUESTION).hits]
    assert "troubleshooting.md" in sources[:2]


def test_without_the_scope_other_products_pages_crowd_it_out(
    two_products: HybridRetriever,
) -> None:
    two_products.scopes = NameScopes(lambda term, limit: None)
    sources = [Path(hit.chunk.source).name for hit in two_products.retrieve(QUESTION).hits]
    assert "troubleshooting.md" not in sources[:2]


def _write_english_pages(folder: Path) -> None:
    folder.mkdir(parents=True)
    # The page that answers, in the words of a Chinese question's gloss: 补帧 is no dictionary
    # word (so it has no translation for BM25), its characters are "repair" and "frame".
    (folder / "frames.md").write_text("# Frames\n\nThe player can repair a missing frame.\n")
    # Pages the question's own vector is nearer to: they quote its stopword 怎么, which the fake
    # model counts (character by character) and BM25 does not.
    # Each in words of its own: near-identical pages make a poor HNSW graph in a tiny store.
    for n in range(12):
        words = " ".join(f"term{n}x{i}" for i in range(4))
        (folder / f"page{n}.md").write_text(f"# Page {n}\n\nBilling {words} (怎么).\n")
    (folder / "说明.md").write_text("# 说明\n\n这一页讲安装服务器。\n")


def test_a_question_reaches_the_other_languages_page_through_its_gloss(
    tmp_path: Path,
    store_settings: Settings,
    fake_embedder: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from knowledge.retrieval.translations import Translations

    docs = tmp_path / "docs"
    _write_english_pages(docs)
    retriever = retriever_over(docs, store_settings, fake_embedder)
    question = "怎么补帧"

    def sources() -> list[str]:
        return [Path(hit.chunk.source).name for hit in retriever.retrieve(question, k=5).hits]

    assert "frames.md" in sources()
    # Without the rendering, no ranking holds the page: the question's vector is nearer to
    # every other page, and no word of the question is in it.
    monkeypatch.setattr(Translations, "gloss", lambda self, text, into: "")
    assert "frames.md" not in sources()


def test_no_gloss_is_embedded_for_a_language_the_store_lacks(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "frames.md").write_text("# Frames\n\nThe player can repair a missing frame.\n")
    retriever = retriever_over(docs, store_settings, fake_embedder)
    asked: list[str] = []

    class Recording:
        def embed_query(self, text: str) -> object:
            asked.append(text)
            return fake_embedder.embed_query(text)  # type: ignore[attr-defined]

    retriever.embedder = Recording()
    assert retriever.index.snapshot().lexical.holds_language("en")
    assert not retriever.index.snapshot().lexical.holds_language("zh")
    retriever.retrieve("Can the player repair a frame?")
    assert asked == ["Can the player repair a frame?"]  # an English store: no Chinese rendering
    retriever.retrieve("播放器能补帧吗？")
    assert len(asked) == 3 and "repair" in asked[-1]  # the question, then its English gloss
