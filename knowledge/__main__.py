"""`python -m knowledge ask|brief|compare|eval`: answers from the store on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The command line of DESIGN.md."""
    parser = argparse.ArgumentParser(
        prog="python -m knowledge",
        description="Cited, retrieval-grounded answers on choosing an RTC or streaming vendor.",
    )
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help="embedded store directory (default: CHROMA_PATH; the server when CHROMA_HOST is set)",
    )
    store.add_argument("--json", action="store_true", help="print JSON (the DESIGN.md shape)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser(
        "ask",
        parents=[store],
        help="answer a question with numbered citations",
        description="Answer a question from the store. With '-' as QUESTION, read one question "
        "a line from standard input and print one answer (one JSON object with --json) each.",
    )
    ask.add_argument("question", metavar="QUESTION", help="the question, or - for standard input")

    brief = commands.add_parser(
        "brief", parents=[store], help="a pre-meeting briefing on a scenario and/or vendor"
    )
    brief.add_argument("topic", nargs="+", metavar="TOPIC", help='e.g. "ZEGOCLOUD voice room"')

    compare = commands.add_parser(
        "compare", parents=[store], help="compare what vendors' own documents state"
    )
    compare.add_argument("vendors", nargs="+", metavar="VENDOR", help="two or more vendors")

    evaluate = commands.add_parser(
        "eval",
        parents=[store],
        help="run the evaluation corpora and print their metrics",
        description="Evaluate the assistant beside a naive langchain + Chroma top-k baseline on "
        "one or more corpora of the registry (each ingested once into a cached store under "
        "DATA_DIR/eval/NAME), or, with --store and --questions, on a store you built.",
    )
    from knowledge.evaluation.options import add_arguments

    add_arguments(evaluate)
    return parser


def _print_answer(answer: object, as_json: bool) -> None:
    from knowledge.answer import Answer

    assert isinstance(answer, Answer)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        return
    print(answer.text)
    if answer.citations:
        print()
        for citation in answer.citations:
            where = f" — {citation.section}" if citation.section else ""
            print(f"[{citation.n}] {citation.title}{where} ({citation.source})")
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run one knowledge command; returns the exit status."""
    args = build_parser().parse_args(argv)

    from config import ConfigError, load_settings
    from knowledge.errors import KnowledgeError
    from store.embedding import EmbeddingModelError

    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE

    from config.logging import setup_command_logging

    setup_command_logging(settings)

    try:
        if args.command == "eval":
            from knowledge.evaluation.cli import run_eval

            return run_eval(settings, args)
        from knowledge.factory import open_assistant

        assistant = open_assistant(settings, args.store)
        if args.command == "ask":
            if args.question == "-":
                return _each_line(lambda line: assistant.ask(line), args.json)
            _print_answer(assistant.ask(args.question), args.json)
        elif args.command == "brief":
            _print_answer(assistant.brief(" ".join(args.topic)), args.json)
        elif args.command == "compare":
            _print_answer(assistant.compare(args.vendors), args.json)
    except (KnowledgeError, EmbeddingModelError) as error:
        print(error, file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _each_line(answer: Callable[[str], object], as_json: bool) -> int:
    from knowledge.errors import InvalidQuestion

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _print_answer(answer(line.strip()), as_json)
        except InvalidQuestion as error:
            if as_json:
                print(json.dumps({"error": str(error)}, ensure_ascii=False), flush=True)
            else:
                print(error, flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
