"""The fetched evaluation sets: well-formed, split without overlap, and, where the extracted
documents are present, every expected string in its source file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.evalsets.extract import Source, extract, read_sources
from knowledge.evaluation.corpora import load_registry
from knowledge.evaluation.metrics import normalise

SETS = Path(__file__).resolve().parents[2] / "bench" / "evalsets"
KINDS = {"fact", "number", "list", "how", "cross-lingual", "abstain"}
# Each fetched corpus: its development part, and its held-out part sharing the same store.
CORPORA = pytest.mark.parametrize(
    ("name", "held_out"),
    [("open-rtc-docs", "open-rtc-docs-heldout"), ("stream-docs", "stream-docs-heldout")],
)


@CORPORA
def test_dev_and_held_out_parts_are_disjoint_and_complete(name: str, held_out: str) -> None:
    corpora = load_registry()
    dev = corpora[name].load_questions()
    held = corpora[held_out].load_questions()
    assert corpora[held_out].held_out and corpora[held_out].store == name
    assert not {q.id for q in dev} & {q.id for q in held}
    assert len(dev) + len(held) >= 40 and len(held) >= (len(dev) + len(held)) // 4
    for q in dev + held:
        assert q.kind in KINDS and q.lang in ("en", "zh"), q.id
        assert q.answerable == bool(q.expect_any) == bool(q.expect_sources), q.id
        assert q.answerable or q.abstain_kind in ("out-of-domain", "near-domain"), q.id
    both = dev + held
    assert sum(q.cross_lingual for q in both) >= 8
    assert {q.abstain_kind for q in both if not q.answerable} == {"out-of-domain", "near-domain"}
    assert all(q.kind != "cross-lingual" or q.cross_lingual for q in both)


@CORPORA
def test_every_expected_string_occurs_in_its_source_file(name: str, held_out: str) -> None:
    corpus = load_registry()[name]
    if corpus.missing():
        pytest.skip(f"{name} not extracted at {corpus.root}")
    held = load_registry()[held_out].load_questions()
    files = {
        path.relative_to(folder).as_posix().lower(): normalise(path.read_text("utf-8"))
        for folder in corpus.docs
        for path in folder.rglob("*.md")
    }
    for q in corpus.load_questions() + held:
        if not q.answerable:
            continue
        texts = [text for path, text in files.items() if q.expect_sources[0] in path]
        assert len(texts) == 1, f"{q.id}: {len(texts)} files match {q.expect_sources[0]}"
        for expected in q.expect_any:
            assert any(normalise(expected) in text for text in texts), (q.id, expected)


def test_extract_writes_the_selected_files_at_the_commit(tmp_path: Path) -> None:
    mirror = tmp_path / "mirrors" / "acme+docs" / "repo"
    work = tmp_path / "work"
    work.mkdir()
    (work / "docs").mkdir()
    (work / "docs" / "a.md").write_text("# A\n", "utf-8")
    (work / "docs" / "b.png").write_bytes(b"\x89PNG")
    (work / "LICENSE").write_text("MIT\n", "utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "."], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "one"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror)], check=True)
    commit = subprocess.run(
        ["git", "-C", str(work), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    source = Source("acme/docs", commit, ("docs/",), (".md",), "acme")
    assert extract(source, tmp_path / "mirrors", tmp_path / "out") == 1
    assert (tmp_path / "out" / "docs" / "acme" / "docs" / "a.md").read_text("utf-8") == "# A\n"
    assert not (tmp_path / "out" / "docs" / "acme" / "docs" / "b.png").exists()
    assert (tmp_path / "out" / "licenses" / "acme-LICENSE").read_text("utf-8") == "MIT\n"


@pytest.mark.parametrize(
    ("name", "repos"),
    [
        ("open-rtc-docs", {"jitsi/handbook", "ZLMediaKit/docs"}),
        ("stream-docs", {"OpenVidu/openvidu.io-docs", "q191201771/lalext", "brpc/media-server"}),
    ],
)
def test_the_sources_file_names_repositories_and_commits(name: str, repos: set[str]) -> None:
    sources = read_sources(SETS / f"{name}.sources.json")
    assert {s.repo for s in sources} == repos
    assert all(len(s.commit) == 40 for s in sources)
    assert len({s.into for s in sources}) == len(sources)
