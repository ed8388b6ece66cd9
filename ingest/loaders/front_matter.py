"""YAML front matter of a Markdown file: split from the body and validated into metadata."""

from __future__ import annotations

import datetime as dt
import re

import yaml

from ingest.document import DocumentMeta
from ingest.errors import IngestError
from ingest.text import collapse, normalize
from store.schema import DOC_TYPES

_META_KEYS = frozenset(
    {"title", "doc_type", "vendor", "aliases", "lang", "source_url", "as_of", "scenario"}
)
_LANG_ALIASES = {
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "en": "en",
    "english": "en",
    "英文": "en",
}


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split YAML front matter between leading `---` lines from the body; IngestError if bad."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or lines[start].rstrip() != "---":
        return {}, text
    for end in range(start + 1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return {}, text  # an opening rule with no closing one is a Markdown rule, not YAML
    raw = "\n".join(lines[start + 1 : end])
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + start + 2})" if mark is not None else ""
        raise IngestError(f"invalid front matter: {problem}{where}") from None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, dict):
        raise IngestError("invalid front matter: expected `key: value` lines")
    return {str(key).strip().lower(): value for key, value in parsed.items()}, "\n".join(
        lines[end + 1 :]
    )


def meta_from_fields(fields: dict[str, object]) -> DocumentMeta:
    """Validated metadata from front-matter fields; unknown keys are ignored."""
    values = {key: _field_text(key, value) for key, value in fields.items() if key in _META_KEYS}
    doc_type = values.get("doc_type", "").lower() or "other"
    if doc_type not in DOC_TYPES:
        raise IngestError(f"invalid doc_type {doc_type!r}: expected guide, vendor or other")
    return DocumentMeta(
        title=values.get("title", ""),
        doc_type=doc_type,
        vendor=values.get("vendor", ""),
        aliases=values.get("aliases", ""),
        lang=_lang(values.get("lang", "")),
        source_url=values.get("source_url", ""),
        as_of=values.get("as_of", ""),
        scenario=values.get("scenario", ""),
    )


def _field_text(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(collapse(normalize(str(v))) for v in value if v is not None)
    if isinstance(value, dict | list):
        raise IngestError(f"invalid front matter: {key} must be text")
    if isinstance(value, bool):
        return "true" if value else "false"
    return collapse(normalize(str(value)))


def _lang(value: str) -> str:
    if not value:
        return ""
    lowered = value.lower()
    lang = _LANG_ALIASES.get(lowered) or _LANG_ALIASES.get(re.split(r"[-_]", lowered)[0])
    if lang is None:
        raise IngestError(f"invalid lang {value!r}: expected zh or en")
    return lang
