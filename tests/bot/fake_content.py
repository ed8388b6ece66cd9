"""Pieces of the fake Bot API: a held request, and the content of media messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hold:
    """A call kept waiting: `arrived` is set when it comes, `release()` lets it finish."""

    method: str
    match: Callable[[dict[str, Any]], bool] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    used: bool = False

    def release(self) -> None:
        """Let the held call answer."""
        self.released.set()


def media_content(kind: str, n: int) -> dict[str, Any]:
    """The content of a photo, voice, sticker or audio message (no caption)."""
    file = {"file_id": f"{kind}-{n}", "file_unique_id": f"{kind}-u{n}"}
    if kind == "photo":
        return {"photo": [{**file, "width": 90, "height": 90}]}
    if kind == "voice":
        return {"voice": {**file, "duration": 3}}
    if kind == "sticker":
        return {
            "sticker": {
                **file,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }
    return {"audio": {**file, "duration": 3}}
