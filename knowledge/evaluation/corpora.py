"""The evaluation corpora: a registry (data, not code) of names → documents, questions and
annotations. Which corpora exist is decided by the registry file, never here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from knowledge.evaluation.questions import (
    DEFAULT_SETS,
    EVAL_DIR,
    EvalQuestion,
    EvalSetError,
    annotate,
    load_any,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_REGISTRY = REPO / "bench" / "evalsets" / "corpora.json"
ROOT_MARK = "{root}/"


@dataclass(frozen=True, slots=True)
class Corpus:
    """One evaluation corpus: folders to ingest, question files, optional annotations."""

    name: str
    root: Path
    docs: tuple[Path, ...]
    questions: tuple[Path, ...]
    annotations: tuple[Path, ...] = ()
    note: str = ""
    held_out: bool = False  # run only when named: never part of `--corpus all`
    store: str = ""  # the cached store to share (another corpus's name); default: its own
    comparisons: tuple[Path, ...] = ()  # comparison sets (knowledge/evaluation/comparisons.py)
    briefings: tuple[Path, ...] = ()  # briefing sets (knowledge/evaluation/briefings.py)
    # Vendor documents drawn for the run (knowledge/evaluation/vendor_docs.py): HTML and PDFs
    # without front matter, as users bring them.
    vendor_docs: tuple[Path, ...] = ()

    def missing(self) -> list[Path]:
        """The document folders and question files that are not there."""
        paths = (
            *self.docs,
            *self.questions,
            *self.comparisons,
            *self.briefings,
            *self.vendor_docs,
        )
        return [p for p in paths if not p.exists()]

    def load_questions(self) -> list[EvalQuestion]:
        """Every question of the corpus, annotations applied."""
        questions: list[EvalQuestion] = []
        for path in self.questions:
            questions.extend(load_any(path))
        for path in self.annotations:
            questions = annotate(questions, path)
        if not questions:
            raise EvalSetError(f"corpus {self.name} has no questions")
        return questions

    def source_name(self, source: str) -> str:
        """A stored source as the question set names it: its path below a document folder."""
        path = Path(source)
        for folder in self.docs:
            try:
                return path.resolve().relative_to(folder).as_posix()
            except ValueError:
                continue
        return source


def bundled() -> Corpus:
    """The bundled corpus with the project's evaluation set, as shipped with the package."""
    return Corpus(
        name="bundled",
        root=REPO,
        docs=(EVAL_DIR.parent / "corpus", EVAL_DIR / "docs"),
        questions=tuple(EVAL_DIR / name for name in DEFAULT_SETS),
        annotations=(EVAL_DIR / "abstain_kinds.json",),
        note="the bundled corpus and the project's evaluation documents",
    )


def _path(value: object, root: Path, base: Path, field: str, name: str) -> Path:
    if not isinstance(value, str) or not value:
        raise EvalSetError(f"corpus {name}: {field} must hold non-empty paths")
    if value.startswith(ROOT_MARK):
        return (root / value[len(ROOT_MARK) :]).resolve()
    return (base / value).resolve()


def load_registry(
    path: Path = DEFAULT_REGISTRY, roots: dict[str, Path] | None = None
) -> dict[str, Corpus]:
    """Read the registry; `roots` overrides a corpus's root folder (where its documents are).

    Paths are relative to the registry's `_base`; a path starting with `{root}/` is relative to the
    corpus root, and `docs` always are."""
    if path == DEFAULT_REGISTRY and not path.is_file() and not roots:
        return {"bundled": bundled()}  # an install without bench/ (the image): its own set only
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise EvalSetError(f"cannot read the corpus registry {path}: {error}") from None
    if not isinstance(raw, dict):
        raise EvalSetError(f"{path} must hold a JSON object of corpora")
    # `_base`: the folder the registry's paths are relative to, itself relative to the file.
    base = (path.resolve().parent / str(raw.get("_base", "."))).resolve()
    overrides = roots or {}
    unknown = sorted(set(overrides) - set(raw))
    if unknown:
        raise EvalSetError(f"unknown corpus {', '.join(unknown)}; known: {', '.join(sorted(raw))}")
    corpora = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        if not isinstance(entry, dict):
            raise EvalSetError(f"corpus {name} must be a JSON object")
        root = overrides.get(name) or Path(str(entry.get("root", ".")))
        root = (root if root.is_absolute() else base / root).resolve()
        docs = tuple(
            _path(ROOT_MARK + str(d), root, base, "docs", name) for d in entry.get("docs") or ()
        )
        if not docs:
            raise EvalSetError(f"corpus {name} names no document folder")
        corpora[name] = Corpus(
            name=name,
            root=root,
            docs=docs,
            questions=tuple(
                _path(q, root, base, "questions", name) for q in entry.get("questions") or ()
            ),
            annotations=tuple(
                _path(a, root, base, "annotations", name) for a in entry.get("annotations") or ()
            ),
            note=str(entry.get("note", "")),
            held_out=bool(entry.get("held_out", False)),
            store=str(entry.get("store", "")),
            comparisons=tuple(
                _path(c, root, base, "comparisons", name) for c in entry.get("comparisons") or ()
            ),
            briefings=tuple(
                _path(b, root, base, "briefings", name) for b in entry.get("briefings") or ()
            ),
            vendor_docs=tuple(
                _path(v, root, base, "vendor_docs", name) for v in entry.get("vendor_docs") or ()
            ),
        )
    return corpora
