"""A progress bar on stderr (files, chunks, rate, ETA) that stays quiet off a terminal."""

from __future__ import annotations

import sys
from typing import TextIO


class TerminalProgress:
    """tqdm over files, with the chunk count in its postfix; silent when stderr is not a TTY."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._bar = None
        self._chunks = 0

    def files(self, total: int) -> None:
        """Start the bar for `total` files."""
        if not self.enabled or total == 0:
            return
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="file", file=self.stream, dynamic_ncols=True)

    def advance(self, files: int = 0, chunks: int = 0) -> None:
        """Count files done and chunks written."""
        self._chunks += chunks
        if self._bar is not None:
            self._bar.set_postfix(chunks=self._chunks, refresh=False)
            self._bar.update(files)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
