"""A table row read with its column headers, "Browser: Firefox; Versions: 115+": the one way
ingest writes a row into a chunk and the reader shows a bare pipe row it finds in one (a
plain-text file's table), so both read alike."""

from __future__ import annotations

from collections.abc import Sequence


def paired_cells(names: Sequence[str], values: Sequence[str], key_sep: str, cell_sep: str) -> str:
    """Each value after its column's name; empty cells are left out, a cell without a name or
    that repeats it is kept bare."""
    pairs = []
    for position, value in enumerate(values):
        if not value:
            continue
        name = names[position] if position < len(names) else ""
        pairs.append(f"{name}{key_sep}{value}" if name and name != value else value)
    return cell_sep.join(pairs)
