"""A table row paired with its headers: the same for ingest's rows and the reader's bare ones."""

from __future__ import annotations

from store.table_rows import paired_cells


def test_cells_follow_their_column_names_and_empty_ones_are_left_out() -> None:
    names = ["Browser", "Support", "Versions", "Notes"]
    assert paired_cells(names, ["Firefox", "✅", "115+", ""], ": ", "; ") == (
        "Browser: Firefox; Support: ✅; Versions: 115+"
    )
    # A cell beyond the header, or one repeating its column's name, stays bare.
    assert (
        paired_cells(["浏览器"], ["浏览器", "Chrome", "稳定"], "：", "，") == "浏览器，Chrome，稳定"
    )
