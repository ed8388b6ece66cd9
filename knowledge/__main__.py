"""`python -m knowledge ask|brief|compare|vendors|eval|gaps|stats`: answers from the store on the
command line, and what the bot's usage log says."""

from __future__ import annotations

import argparse
import json
import os
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

    vendors = commands.add_parser(
        "vendors",
        parents=[store],
        help="the vendors in the store: name, aliases, documents, chunks, languages, as_of",
    )
    vendors.add_argument(
        "--lang",
        choices=("en", "zh"),
        default=None,
        help="the language of the listing (default: zh when the locale, LC_ALL, LC_MESSAGES "
        "or LANG, is Chinese, else en)",
    )

    evaluate = commands.add_parser(
        "eval",
        parents=[store],
        help="run the evaluation corpora and print their metrics",
        description="Evaluate the assistant beside a naive langchain + Chroma top-k baseline on "
        "one or more corpora of the registry (each ingested once into a cached store under "
        "DATA_DIR/eval/NAME), or, with --store and --questions, on a store you built.",
    )
    from knowledge.evaluation.options import add_arguments
    from knowledge.usage_cli import add_commands

    add_arguments(evaluate)
    add_commands(commands, store)
    return parser


def _print_answer(answer: object, as_json: bool) -> None:
    from knowledge.api import Answer
    from knowledge.rendering import plain_reply

    assert isinstance(answer, Answer)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        return
    print(plain_reply(answer), end="\n\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run one knowledge command; returns the exit status."""
    args = build_parser().parse_args(argv)

    from config.startup import start_command
    from knowledge.api import KnowledgeError
    from store.embedding import EmbeddingModelError

    settings = start_command()
    if settings is None:
        return EXIT_USAGE

    try:
        if args.command in {"gaps", "stats"}:
            from knowledge.usage_cli import run

            return run(settings, args)
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
        elif args.command == "vendors":
            _print_vendors(assistant.vendors(), args.json, args.lang or locale_lang())
    except KnowledgeError as error:
        detail = error.params.get("detail")  # what a person at a terminal can act on
        shown = error.message(_request_lang(args))
        print(f"{shown} ({detail})" if detail else shown, file=sys.stderr)
        return EXIT_ERROR
    except EmbeddingModelError as error:
        print(error, file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # Whoever read our output has gone (`| head`): the rest has nowhere to go, and a
        # traceback would only bury what was shown. Later flushes must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return EXIT_OK


def locale_lang() -> str:
    """The language a request without text is answered in: the user's locale's (zh_CN.UTF-8
    → zh), else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _print_vendors(vendors: list[object], as_json: bool, lang: str) -> None:
    from knowledge.answering.vendor_list import vendors_answer
    from knowledge.api import VendorSummary
    from knowledge.rendering import plain_reply

    summaries = [vendor for vendor in vendors if isinstance(vendor, VendorSummary)]
    if as_json:
        print(json.dumps([v.to_json() for v in summaries], ensure_ascii=False), flush=True)
        return
    answer = vendors_answer(summaries, "zh" if lang == "zh" else "en")
    print(plain_reply(answer), end="\n\n", flush=True)


def _request_text(args: argparse.Namespace) -> str:
    """What the user typed, to answer an error in its language."""
    if args.command == "ask":
        return str(args.question)
    if args.command == "brief":
        return " ".join(args.topic)
    if args.command == "compare":
        return " ".join(args.vendors)
    return ""


def _request_lang(args: argparse.Namespace) -> str:
    """The language to show an error in: the request's text's, or the listing's for `vendors`."""
    from store.language import detect_lang

    if args.command == "vendors":
        return str(args.lang or locale_lang())
    return detect_lang(_request_text(args))


def _each_line(answer: Callable[[str], object], as_json: bool) -> int:
    from knowledge.api import InvalidQuestion
    from store.language import detect_lang

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _print_answer(answer(line.strip()), as_json)
        except InvalidQuestion as error:
            shown = error.message(detect_lang(line))
            if as_json:
                print(json.dumps({"error": shown}, ensure_ascii=False), flush=True)
            else:
                print(shown, flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
