"""`python -m knowledge gaps|stats [--json]`: the usage log under DATA_DIR, as the bot's
/gaps and /stats show it."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from config import Settings
from knowledge.gaps import DEFAULT_DAYS, group_gaps, model_embed
from knowledge.usage import UsageLog


def add_commands(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: argparse.ArgumentParser,
) -> None:
    """The `gaps` and `stats` sub-commands (`common`: --store and --json, as every command has;
    the usage log itself is under DATA_DIR, whatever the store)."""
    gaps = commands.add_parser(
        "gaps",
        parents=[common],
        help="questions the bot could not answer or that were voted down, grouped by meaning",
        description="Recent questions that were abstained on or voted 👎, similar ones grouped "
        "by meaning (the embedding model), newest first: the documents to add next.",
    )
    gaps.add_argument("--days", type=int, default=DEFAULT_DAYS, help="look back this many days")
    gaps.add_argument(
        "--no-model",
        action="store_true",
        help="group identical wordings only (no embedding model is loaded)",
    )
    stats = commands.add_parser(
        "stats",
        parents=[common],
        help="questions per day, abstention rate, votes and answer times",
        description="Usage over the last days: questions per day, abstention rate, 👍/👎, "
        "median and p95 answer time.",
    )
    stats.add_argument("--days", type=int, default=7, help="look back this many days")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Print the gaps or the stats; returns the exit status."""
    usage = UsageLog.in_data_dir(settings.data_dir)
    try:
        if args.command == "stats":
            stats = usage.stats(args.days)
            if args.json:
                print(json.dumps(stats.as_dict(), ensure_ascii=False))
                return 0
            print(
                f"last {stats.days} days: {stats.questions} questions, {stats.abstained} "
                f"abstained ({stats.abstention_rate:.0%}), 👍 {stats.up} / 👎 {stats.down}, "
                f"answer time p50 {stats.p50_ms:.0f} ms, p95 {stats.p95_ms:.0f} ms"
            )
            for day, count in stats.per_day:
                print(f"  {day}  {count}")
            return 0
        embed = None if args.no_model else model_embed(settings.embedding_model_path)
        gaps = group_gaps(usage.questions(args.days), embed)
    finally:
        usage.close()
    if args.json:
        print(json.dumps([gap.as_dict() for gap in gaps], ensure_ascii=False))
        return 0
    if not gaps:
        print(f"no abstained or 👎 questions in the last {args.days} days")
    for gap in gaps:
        when = datetime.fromtimestamp(gap.last_at, UTC).strftime("%Y-%m-%d %H:%M")
        why = ", ".join(
            part
            for part in (
                "no answer" if gap.abstained else "",
                f"👎 {gap.down}" if gap.down else "",
            )
            if part
        )
        print(f"{gap.count:>3}×  {gap.question}  ({when} UTC, {', '.join(gap.chat_types)}; {why})")
    return 0
