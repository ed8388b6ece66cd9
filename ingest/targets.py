"""What an ingest run reads: the files PATH arguments name, and the folders it keeps in sync."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Target:
    """One file to ingest, and the directory whose sync it belongs to (if any)."""

    path: Path
    source: str


def _is_hidden(path: Path) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.parts)


def collect_targets(paths: Sequence[Path]) -> tuple[list[Target], list[str], list[dict[str, str]]]:
    """Expand PATH arguments into files, the directory prefixes being synced, and missing paths."""
    targets: list[Target] = []
    synced_dirs: list[str] = []
    failed: list[dict[str, str]] = []
    seen: set[str] = set()
    for given in paths:
        if given.is_dir():
            prefix = given.as_posix().rstrip("/")
            synced_dirs.append(prefix)
            for root, dirs, files in os.walk(given, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    path = Path(root) / name
                    source = path.as_posix()
                    if source not in seen:
                        seen.add(source)
                        targets.append(Target(path, source))
        elif given.exists() or given.is_symlink():
            source = given.as_posix()
            if source not in seen and not _is_hidden(Path(given.name)):
                seen.add(source)
                targets.append(Target(given, source))
        else:
            failed.append({"path": given.as_posix(), "error": "no such file or directory"})
    return targets, synced_dirs, failed
