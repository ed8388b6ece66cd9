"""Rendering: hostile text escaped everywhere, sources listed, long answers split safely."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.render import TELEGRAM_LIMIT, answer_html, quotes_html, split_html
from knowledge.api import Answer, Point, Section
from knowledge.rendering import plain_reply
from tests.bot.fakes import HOSTILE_QUOTE, hostile_citations

ALLOWED_TAGS = {"b", "i", "a", "blockquote"}


class _TagChecker(HTMLParser):
    """Collects tags and fails on unbalanced ones: what Telegram's HTML parser would reject."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()


def check_html(html: str) -> list[str]:
    """Assert the HTML is balanced and uses only tags we emit; returns the tags."""
    checker = _TagChecker()
    checker.feed(html)
    checker.close()
    assert not checker.stack, f"unclosed tags {checker.stack}"
    assert set(checker.tags) <= ALLOWED_TAGS, checker.tags
    # Every & starts an entity.
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x27|#\d+);)", html), html
    return checker.tags


def test_hostile_answer_text_titles_sections_and_urls_are_escaped() -> None:
    answer = Answer(
        title="Title <t> &",
        sections=(
            Section("", (Point("Use <b>less & less</b> <i>unbalanced", cites=(1,)),)),
            Section("Heading <x>", (Point("bullet & <y>", cites=(2,), claim_of="Nimbus <RTC>"),)),
        ),
        citations=hostile_citations(),
        notes=("note <u>",),
    )
    html = answer_html(answer, "en")
    check_html(html)
    assert "<b>Title &lt;t&gt; &amp;</b>" in html
    assert "• Use &lt;b&gt;less &amp; less&lt;/b&gt; &lt;i&gt;unbalanced [1]" in html
    assert "<b>Heading &lt;x&gt;</b>" in html
    assert "• Nimbus &lt;RTC&gt; states: “bullet &amp; &lt;y&gt;” [2]" in html
    assert "Latency &amp; &lt;b&gt;jitter&lt;/b&gt; &lt;/i&gt;" in html
    assert '<a href="https://example.com/a?x=1&amp;y=&lt;2&gt;">' in html
    assert "[2] Nimbus &lt;RTC&gt;" in html  # no URL: no link
    assert "<i>note &lt;u&gt;</i>" in html


def test_non_http_source_urls_are_not_linked() -> None:
    citation = hostile_citations()[0]
    answer = Answer(
        sections=(Section("", (Point("x", cites=(1,)),)),),
        citations=(type(citation)(**{**_asdict(citation), "source_url": "javascript:alert(1)"}),),
    )
    html = answer_html(answer, "en")
    assert "<a " not in html
    check_html(html)


def _asdict(citation: object) -> dict[str, object]:
    return {name: getattr(citation, name) for name in citation.__slots__}  # type: ignore[attr-defined]


def test_quotes_are_escaped_inside_blockquotes() -> None:
    html = quotes_html(Answer("x", hostile_citations()), "zh")
    check_html(html)
    assert "<blockquote>Keep it &lt; 200 ms &amp; never &lt;script&gt;" in html
    assert html.startswith("<b>原文引用</b>")


def test_short_messages_are_not_split() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_long_answers_split_at_section_boundaries_under_the_limit() -> None:
    sections = tuple(
        Section(f"Section {i}", (Point("word & <x> " * 30, cites=(1,)), Point("more " * 20)))
        for i in range(40)
    )
    answer = Answer(title="Long", sections=sections, citations=hostile_citations())
    parts = split_html(answer_html(answer, "en"))
    assert len(parts) > 1
    for part in parts:
        assert len(part.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT
        check_html(part)
        assert part.startswith("<b>")  # each part opens with a title: no section is cut
    joined = "\n\n".join(parts)
    assert joined.count("Section") == 40
    assert "[1] <a href=" in parts[-1]


def test_a_huge_quote_is_split_inside_its_tag_and_the_tag_reopened() -> None:
    quote = " ".join(["&lt;tag&gt; & 延迟"] * 3000)
    citation = hostile_citations()[0]
    answer = Answer("x", (type(citation)(**{**_asdict(citation), "quote": quote}),))
    parts = split_html(quotes_html(answer, "en"))
    assert len(parts) >= 3
    for part in parts:
        assert len(part.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT
        check_html(part)
    assert all("blockquote" in part for part in parts[1:])


def test_a_line_without_spaces_is_cut_between_entities() -> None:
    html = "&amp;" * 5000
    parts = split_html(html, limit=1000)
    assert "".join(parts) == html
    for part in parts:
        check_html(part)
        assert len(part) <= 1000


def test_plain_text_for_the_console_lists_sources_and_quotes() -> None:
    answer = Answer(
        sections=(Section("", (Point("Use <b>", cites=(1,)),)),), citations=hostile_citations()
    )
    text = plain_reply(answer, with_quotes=True)
    assert "• Use <b> [1]" in text  # no escaping in a terminal
    assert f"[1] {hostile_citations()[0].title} — Targets > <i>voice <https://" in text
    assert HOSTILE_QUOTE in text


def test_the_source_list_shows_the_cited_sources_and_quotes_show_all() -> None:
    answer = Answer(
        sections=(Section("", (Point("Only the first is cited.", cites=(1,)),)),),
        citations=hostile_citations(),
    )
    html = answer_html(answer, "en")
    assert "[1] <a href=" in html and "[2] Nimbus" not in html
    assert "[2] Nimbus &lt;RTC&gt;" in quotes_html(answer, "en")


def test_a_lone_title_such_as_an_abstention_is_not_bold() -> None:
    html = answer_html(Answer(title="Not covered <here>.", abstained=True), "en")
    assert html == "Not covered &lt;here&gt;."
