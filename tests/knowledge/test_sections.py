"""Each hit is read with the rest of its section: the other chunks of that section follow the
retrieved ones (nearest first), those of other sections and other documents do not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from config.settings import Settings
from knowledge.retrieval import sections as module
from knowledge.retrieval.retriever import Hit, HybridRetriever, Retrieval
from knowledge.retrieval.sections import with_sections
from store.schema import Chunk
from tests.knowledge.support import retriever_over, stored_chunks

STEP = "Then add the setting room_size_limit to the room's configuration and restart the server."


def _write_docs(folder: Path) -> None:
    folder.mkdir()
    # One section long enough to be cut into several chunks, the answer in its last one.
    steps = " ".join(
        f"Step {n}: open the admin console, look at the plugins and check the log output."
        for n in range(30)
    )
    (folder / "faq.md").write_text(
        "# FAQ\n\n## How do I cap a room's size?\n\n"
        f"{steps}\n\n{STEP}\n\n## How to change the logo?\n\nReplace the image file.\n",
        "utf-8",
    )
    (folder / "other.md").write_text(
        "# Other\n\n## How do I cap a room's size?\n\nAsk the admin.\n", "utf-8"
    )


@pytest.fixture
def hybrid(tmp_path: Path, store_settings: Settings, fake_embedder: object) -> HybridRetriever:
    docs = tmp_path / "docs"
    _write_docs(docs)
    return retriever_over(docs, store_settings, fake_embedder)


def _capping_section(hybrid: HybridRetriever) -> list[Chunk]:
    """The chunks of the long FAQ section, in order."""
    return sorted(
        (c for c in stored_chunks(hybrid) if c.source.endswith("faq.md") and "cap" in c.section),
        key=lambda c: c.chunk_index,
    )


def _retrieval(*chunks: Chunk) -> Retrieval:
    return Retrieval(query="q", hits=tuple(Hit(chunk, 1.0, 0.9, 1.0) for chunk in chunks))


def test_a_hit_brings_the_other_chunks_of_its_section_and_no_others(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "CHUNKS_PER_SECTION", 50)
    faq = _capping_section(hybrid)
    assert len(faq) >= 3, "the section must be cut into several chunks for this test"
    first = faq[0]
    read = with_sections(hybrid.index, _retrieval(first))
    assert read.hits[0].chunk.id == first.id  # the retrieved hits stay first, as they were
    added = [hit.chunk for hit in read.hits[1:]]
    assert {c.id for c in added} == {c.id for c in faq[1:]}
    assert any(STEP in c.text for c in added)
    # Nearest first; no other section of the page, no other document's same heading.
    assert [c.chunk_index for c in added] == sorted(c.chunk_index for c in added)
    assert all(c.source == first.source and c.section == first.section for c in added)


def test_a_hit_without_a_section_or_alone_in_it_brings_nothing(hybrid: HybridRetriever) -> None:
    chunks = stored_chunks(hybrid)
    logo = next(c for c in chunks if "logo" in c.section)
    assert with_sections(hybrid.index, _retrieval(logo)).hits == _retrieval(logo).hits
    untitled = replace(logo, section="")
    assert with_sections(hybrid.index, _retrieval(untitled)).hits == _retrieval(untitled).hits


def test_a_section_reads_at_most_its_nearest_chunks(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "CHUNKS_PER_SECTION", 1)
    faq = _capping_section(hybrid)
    read = with_sections(hybrid.index, _retrieval(faq[0]))
    assert [hit.chunk.id for hit in read.hits[1:]] == [faq[1].id]


def test_an_old_version_of_a_document_brings_nothing(hybrid: HybridRetriever) -> None:
    first = _capping_section(hybrid)[0]
    stale = replace(first, content_hash="0" * 64)
    assert with_sections(hybrid.index, _retrieval(stale)).hits == _retrieval(stale).hits


def test_only_the_chosen_neighbours_are_read_whole(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The metadata of the section's chunks chooses; their text and vectors are read for the
    # chosen ones only (a long section has many more).
    monkeypatch.setattr(module, "CHUNKS_PER_SECTION", 1)
    faq = _capping_section(hybrid)
    asked: list[list[str]] = []
    real = module.read_chunks

    def spy(collection: object, chunk_ids: list[str], vector: object) -> object:
        asked.append(list(chunk_ids))
        return real(collection, chunk_ids, vector)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "read_chunks", spy)
    with_sections(hybrid.index, _retrieval(faq[0]))
    assert asked == [[faq[1].id]]
