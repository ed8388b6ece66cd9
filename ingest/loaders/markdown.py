"""Markdown → blocks through markdown-it (CommonMark with tables), after the front matter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

from ingest.document import Block, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.common import decoded, finish
from ingest.loaders.front_matter import meta_from_fields, split_front_matter
from ingest.loaders.html import html_blocks
from ingest.loaders.tables import table_block
from ingest.text import clean_code, collapse
from store.language import HAN

# "#标题": Chinese authors often leave out the space CommonMark needs after the hashes.
_HAN_ATX = re.compile(rf"^(#{{1,6}})(?=[{HAN}])(.*?)(?:[ \t]+#+)?[ \t]*$")
# Template tags of static-site generators ({% hint %}, {% endcode %}) are markup, not text.
_TEMPLATE_TAG = re.compile(r"\{%-?\s*[A-Za-z][\w-]*(?:\s[^%]*)?-?%\}")
_BREAK = re.compile(r"<br\s*/?>", re.I)
# CommonMark leaves "**注意：**这里" bold markers in place (no emphasis may close after
# punctuation when a letter follows, a rule made for spaced scripts); drop such leftovers.
_LEFTOVER_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_COMMENT_ONLY = re.compile(r"^\s*(?:<!--.*?-->\s*)+$", re.S)
# Attribute lists of kramdown (`{:target="_blank"}`, `{: #intro }`) and of MkDocs' attr_list or
# Pandoc (`{ .annotate }`, `{#id}`, `{target="_blank"}`): markup that styles the text beside it.
# Only braces holding nothing but attributes: a placeholder such as `{streamName}` is text.
_ATTRIBUTE = r"(?:[#.][A-Za-z][\w-]*|[A-Za-z][\w-]*=(?:\"[^\"]*\"|'[^']*'|[^\s{}]+))"
_ATTRIBUTE_LIST = re.compile(rf"\{{:[^{{}}\n]*\}}|\{{\s*{_ATTRIBUTE}(?:\s+{_ATTRIBUTE})*\s*\}}")


def _han_heading(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A block rule for an ATX heading whose text starts with a Han character right away."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    match = _HAN_ATX.match(line)
    if match is None:
        return False
    if silent:
        return True
    state.line = start + 1
    tag = f"h{len(match.group(1))}"
    opening = state.push("heading_open", tag, 1)
    opening.map = [start, state.line]
    inline = state.push("inline", "", 0)
    inline.content = match.group(2).strip()
    inline.map = [start, state.line]
    inline.children = []
    state.push("heading_close", tag, -1)
    return True


_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_PARSER.block.ruler.before(
    "heading", "han_heading", _han_heading, {"alt": ["paragraph", "reference", "blockquote"]}
)


def _inline_text(tokens: Sequence[Token] | None) -> str:
    """Inline tokens → one line of plain text: link words, image alt text, code, no markup."""
    prose: list[str] = []  # the run of text since the last inline code
    parts: list[str] = []
    for token in tokens or ():
        kind = token.type
        if kind in ("text", "image"):
            prose.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            prose.append("\n")
        elif kind == "html_inline" and _BREAK.match(token.content):
            prose.append(" ")
        elif kind == "code_inline":
            # Code is kept as written: template tags and attribute lists are prose markup.
            parts.extend((_without_markup("".join(prose)), token.content))
            prose = []
    parts.append(_without_markup("".join(prose)))
    text = "".join(parts)
    if "**" in text:
        text = _LEFTOVER_STRONG.sub(r"\1", text)
    return collapse(text)


def _without_markup(text: str) -> str:
    """Prose of an inline run without static-site markup: template tags, attribute lists."""
    if "{%" in text:
        text = _TEMPLATE_TAG.sub("", text)
    if "{" in text:
        text = _ATTRIBUTE_LIST.sub("", text)
    return text


def parse_markdown(text: str) -> list[Block]:
    """Markdown body → blocks: headings, paragraphs, list items, tables, code, embedded HTML."""
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    # One flag per open list item: its first paragraph is the item's text, later ones are not.
    items: list[bool] = []
    rows: list[list[str]] = []
    header_rows = 0
    in_head = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            heading = _inline_text(tokens[i + 1].children)
            if heading:
                blocks.append(Block("heading", heading, int(token.tag[1:])))
            i += 3
            continue
        if kind == "paragraph_open":
            body = _inline_text(tokens[i + 1].children)
            first_of_item = bool(items) and items[-1]
            if items:
                items[-1] = False
            if body:
                blocks.append(Block("list_item" if first_of_item else "paragraph", body))
            i += 3
            continue
        if kind == "list_item_open":
            items.append(True)
        elif kind == "list_item_close":
            items.pop()
        elif kind in ("fence", "code_block"):
            code = clean_code(token.content)
            if code:
                blocks.append(Block("code", code))
        elif kind == "html_block":
            blocks.extend(_html_fragment(token.content))
        elif kind == "table_open":
            rows, header_rows = [], 0
        elif kind in ("thead_open", "thead_close"):
            in_head = kind == "thead_open"
        elif kind == "tr_open":
            rows.append([])
            header_rows += in_head
        elif kind == "inline" and rows:
            rows[-1].append(_inline_text(token.children))
        elif kind == "table_close":
            table = table_block(rows, header_rows)
            if table is not None:
                blocks.append(table)
            rows = []
        i += 1
    return blocks


def _html_fragment(markup: str) -> list[Block]:
    """Raw HTML inside Markdown (a table, a <details> box) read like an HTML page's body."""
    if _COMMENT_ONLY.match(markup) or "<" not in markup:
        return []
    soup = BeautifulSoup(markup, "lxml")
    return html_blocks(soup.find("body") or soup)


def load(path: Path, data: bytes) -> LoadedDocument:
    """Load a Markdown file: front matter as metadata, the body as blocks."""
    fields, body = split_front_matter(decoded(data))
    meta = meta_from_fields(fields)
    blocks = parse_markdown(body)
    if not blocks and not body.strip():
        raise IngestError("empty file (no text after the front matter)")
    return finish(path, blocks, meta)
