"""Re-extract a fetched documentation corpus from local git mirrors, at the named commits.

`python -m bench.evalsets.extract SOURCES.json --mirrors DIR --out DIR`: for each source, the files
under its `include` folders ending in one of its `suffixes`, byte for byte, into OUT/<into>/ with
their repository paths kept; the repository's LICENSE into OUT/licenses/. Never into the project."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Source:
    """One repository's part of the corpus."""

    repo: str
    commit: str
    include: tuple[str, ...]
    suffixes: tuple[str, ...]
    into: str


def read_sources(path: Path) -> list[Source]:
    """The sources file (see open-rtc-docs.sources.json)."""
    raw = json.loads(path.read_text("utf-8"))
    return [
        Source(
            repo=str(item["repo"]),
            commit=str(item["commit"]),
            include=tuple(item["include"]),
            suffixes=tuple(item["suffixes"]),
            into=str(item["into"]),
        )
        for item in raw["sources"]
    ]


def mirror_dir(mirrors: Path, repo: str) -> Path:
    """Where the fetch tool keeps a repository's bare mirror: owner+name/repo."""
    return mirrors / repo.replace("/", "+") / "repo"


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True
    ).stdout


def selected(git_dir: Path, source: Source) -> list[str]:
    """The paths of the commit that the source takes."""
    names = _git(git_dir, "ls-tree", "-r", "--name-only", source.commit).decode().splitlines()
    return sorted(
        name for name in names if name.startswith(source.include) and name.endswith(source.suffixes)
    )


def extract(source: Source, mirrors: Path, out: Path) -> int:
    """Write the source's files under out/docs/<into>/ and its licence under out/licenses/;
    returns how many files."""
    git_dir = mirror_dir(mirrors, source.repo)
    target = out / "docs" / source.into
    paths = selected(git_dir, source)
    for name in paths:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(_git(git_dir, "show", f"{source.commit}:{name}"))
    licence = out / "licenses" / f"{source.into}-LICENSE"
    licence.parent.mkdir(parents=True, exist_ok=True)
    licence.write_bytes(_git(git_dir, "show", f"{source.commit}:LICENSE"))
    return len(paths)


def main(argv: list[str] | None = None) -> int:
    """Extract every source of the file; prints one line per source."""
    parser = argparse.ArgumentParser(prog="python -m bench.evalsets.extract")
    parser.add_argument("sources", type=Path, help="the corpus's sources JSON")
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of git mirrors")
    parser.add_argument("--out", type=Path, required=True, help="corpus root (outside the repo)")
    args = parser.parse_args(argv)
    for source in read_sources(args.sources):
        try:
            count = extract(source, args.mirrors, args.out)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"{source.repo}: {error}", file=sys.stderr)
            return 1
        print(
            f"{source.repo}@{source.commit[:12]}: {count} files → {args.out / 'docs' / source.into}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
