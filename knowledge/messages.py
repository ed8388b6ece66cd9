"""The message catalog: every sentence knowledge (and the bot) writes itself, in zh and en.

The texts are data (`messages.yaml` beside this module); code names them by key, so a reply's
frame, its labels and its errors are all chosen by one function in the request's language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("messages.yaml")
FALLBACK_LANG = "en"


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """The catalog, read once: key → language → template."""
    data = yaml.safe_load(CATALOG_PATH.read_text("utf-8")) or {}
    return {str(key): {str(k): str(v) for k, v in value.items()} for key, value in data.items()}


def message(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (English when that language lacks it), `params` filled in."""
    variants = catalog()[key]
    template = variants.get(lang)
    if template is None:
        template = variants[FALLBACK_LANG]
    return template.format(**params) if params else template
