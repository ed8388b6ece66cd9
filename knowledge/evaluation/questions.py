"""Reading evaluation sets (the DESIGN.md format)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
DEFAULT_SETS = ("corpus_questions.json", "questions.json")
EVAL_DOCS = EVAL_DIR / "docs"


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


def load_questions(path: Path) -> list[EvalQuestion]:
    """Parse one evaluation file; EvalSetError says what is wrong."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise EvalSetError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise EvalSetError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(raw, list):
        raise EvalSetError(f"{path} must hold a JSON list")
    questions = []
    for position, item in enumerate(raw):
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
