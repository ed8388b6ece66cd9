"""`python -m ingest [--store DIR] [--json] [--vendor NAME] PATH...`: sync files into the
knowledge store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The command line of DESIGN.md."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description=(
            "Ingest Markdown, text, HTML, PDF and DOCX files (Chinese and English) into the "
            "knowledge store. A directory is synced: files deleted from it are removed from the "
            "store. Unchanged files are skipped. Progress goes to stderr."
        ),
        epilog="Exit status: 0 all ingested or unchanged; 1 some files rejected; 2 usage error.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help="embedded store directory (default: CHROMA_PATH; the server when CHROMA_HOST is set)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument(
        "--vendor",
        default="",
        metavar="NAME",
        help="mark the documents as NAME's (otherwise front matter `vendor:`, or the name "
        "their title gives and their text keeps naming)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run an ingest; returns the exit status."""
    args = build_parser().parse_args(argv)

    from config.startup import start_command

    settings = start_command()
    if settings is None:
        return EXIT_USAGE

    from ingest.errors import IngestError
    from ingest.pipeline import Ingestor
    from ingest.progress import TerminalProgress
    from store.client import StoreConnectionError, is_connection_error, locate_store
    from store.embedding import EmbeddingModelError, LazyEmbedder

    where = locate_store(settings, args.store).description
    try:
        embedder = LazyEmbedder(settings.embedding_model_path, for_batches=True)
        ingestor = Ingestor(
            settings,
            embedder,
            store_dir=args.store,
            progress=TerminalProgress(),
            on_lock_wait=lambda: print(
                "another ingest is running on this store; waiting for it to finish…",
                file=sys.stderr,
            ),
            vendor=args.vendor,
        )
        report = ingestor.sync(args.paths)
    except (EmbeddingModelError, IngestError) as error:
        print(f"ingest failed: {error}", file=sys.stderr)
        return EXIT_REJECTED
    except StoreConnectionError as error:
        print(f"ingest failed: {error}; nothing was changed", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as error:  # a store that dies mid-run raises whatever its client raises
        if is_connection_error(error):
            print(
                f"ingest failed: lost the connection to {where}; documents not yet written "
                "will be ingested by the next run",
                file=sys.stderr,
            )
            return EXIT_REJECTED
        raise

    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        summary = report.to_json()
        print(
            "added {added}, updated {updated}, unchanged {unchanged}, removed {removed}, "
            "{chunks} chunks written".format(**summary),
            file=sys.stderr,
        )
    for failure in report.failed:
        print(f"rejected {failure['path']}: {failure['error']}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_REJECTED


if __name__ == "__main__":
    sys.exit(main())
