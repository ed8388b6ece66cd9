"""The `eval` command's options: kept apart so building the command line imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge.evaluation.corpora import DEFAULT_REGISTRY

ALL = "all"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `eval` command's own options (beside --store and --json)."""
    parser.add_argument(
        "--corpus",
        action="append",
        default=None,
        metavar="NAME",
        help="a corpus of the registry (repeatable; 'all': every corpus whose documents are "
        "present, except held-out ones; default: bundled). Each is ingested once into "
        "DATA_DIR/eval/NAME/chroma",
    )
    parser.add_argument(
        "--corpus-dir",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="where a corpus's documents are (overrides the registry's root)",
    )
    parser.add_argument(
        "--registry",
        type=Path,
        default=DEFAULT_REGISTRY,
        metavar="FILE",
        help="the corpus registry (JSON; default: bench/evalsets/corpora.json)",
    )
    parser.add_argument(
        "--questions",
        type=Path,
        default=None,
        metavar="FILE",
        help="an evaluation set (either format) instead of the corpus's own questions; with "
        "--store, run against that store",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline run")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="print every question the assistant got wrong: question, expected, answer, sources",
    )
