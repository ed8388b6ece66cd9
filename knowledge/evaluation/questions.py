"""Reading evaluation sets (the DESIGN.md format)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
DEFAULT_SETS = ("corpus_questions.json", "questions.json")
EVAL_DOCS = EVAL_DIR / "docs"
ABSTAIN_KINDS = ("out-of-domain", "near-domain")


class EvalSetError(Exception):
    """An evaluation file that is missing or not in the expected format."""


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One question with what a good answer must retrieve and contain."""

    id: str
    question: str
    answerable: bool
    expect_sources: tuple[str, ...]
    expect_any: tuple[str, ...]
    lang: str = ""  # "en" | "zh" where the set says; otherwise decided from the question
    kind: str = ""  # fact, number, list, how, cross-lingual, abstain, ... where the set says
    cross_lingual: bool = False  # asked in one language, answered by a document in the other
    abstain_kind: str = ""  # "out-of-domain" | "near-domain" for a must-abstain question, if known


def load_questions(path: Path) -> list[EvalQuestion]:
    """Parse one evaluation file; EvalSetError says what is wrong."""
    questions = []
    for position, item in enumerate(_read_list(path)):
        try:
            questions.append(
                EvalQuestion(
                    id=str(item["id"]),
                    question=str(item["question"]),
                    answerable=bool(item["answerable"]),
                    expect_sources=tuple(str(s) for s in item.get("expect_sources") or ()),
                    expect_any=tuple(str(s) for s in item.get("expect_any") or ()),
                )
            )
        except (KeyError, TypeError) as error:
            raise EvalSetError(f"{path}: item {position} lacks {error}") from None
    return questions


def default_questions() -> list[EvalQuestion]:
    """The project's evaluation set: the corpus questions and the test-document questions."""
    questions: list[EvalQuestion] = []
    for name in DEFAULT_SETS:
        path = EVAL_DIR / name
        if path.is_file():
            questions.extend(load_questions(path))
    if not questions:
        raise EvalSetError(f"no evaluation set found in {EVAL_DIR}")
    return questions


def _read_list(path: Path) -> list[Any]:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise EvalSetError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise EvalSetError(f"{path} is not valid JSON: {error}") from None
    if isinstance(raw, dict) and isinstance(raw.get("questions"), list):
        return raw["questions"]  # the same list, under a header (`_comment`) naming its origin
    if not isinstance(raw, list):
        raise EvalSetError(f"{path} must hold a JSON list (or an object with a `questions` list)")
    return raw


def load_short_questions(path: Path) -> list[EvalQuestion]:
    """Parse a set in the short format (`id, q, lang, source, any, kind`; kind `abstain` for the
    questions the documents do not answer, `cross-lingual` for the other language's answers)."""
    questions = []
    for position, item in enumerate(_read_list(path)):
        try:
            kind = str(item["kind"])
            source = str(item.get("source") or "")
            questions.append(
                EvalQuestion(
                    id=str(item["id"]),
                    question=str(item["q"]),
                    answerable=kind != "abstain",
                    expect_sources=(source,) if source else (),
                    expect_any=tuple(str(s) for s in item.get("any") or ()),
                    lang=str(item.get("lang") or ""),
                    kind=kind,
                    cross_lingual=kind == "cross-lingual",
                )
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise EvalSetError(f"{path}: item {position} lacks {error}") from None
    return questions


def load_any(path: Path) -> list[EvalQuestion]:
    """Either format, told apart by the first item's keys (`question` or `q`)."""
    raw = _read_list(path)
    if raw and isinstance(raw[0], dict) and "q" in raw[0]:
        return load_short_questions(path)
    return load_questions(path)


def annotate(questions: list[EvalQuestion], path: Path) -> list[EvalQuestion]:
    """Apply a per-question annotation file: a JSON object from question id to
    `{"abstain": "out-of-domain" | "near-domain"}`. Ids the set lacks are ignored, so one file
    can serve both parts of a split set."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise EvalSetError(f"cannot read the annotations {path}: {error}") from None
    if not isinstance(raw, dict):
        raise EvalSetError(f"{path} must hold a JSON object keyed by question id")
    annotated = []
    for question in questions:
        note = raw.get(question.id) or {}
        kind = str(note.get("abstain", "")) if isinstance(note, dict) else ""
        if kind and kind not in ABSTAIN_KINDS:
            raise EvalSetError(f"{path}: {question.id}: abstain must be one of {ABSTAIN_KINDS}")
        if kind and question.answerable:
            raise EvalSetError(f"{path}: {question.id} is answerable, not an abstain question")
        annotated.append(replace(question, abstain_kind=kind) if kind else question)
    return annotated
