"""What a sentence is, from its shape and position alone: a figure, a lead-in, or filler that
never answers a question (a heading, a code line, a link list, a pointer elsewhere, a document
introducing itself). Decided from the text, never from a list of one corpus's headings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from store.language import HAN, has_han
from store.sentences import innermost_heading
from store.table_rows import paired_cells

# A figure with a unit: what an amount question wants ("400 ms", "30%", "6Mbps", "120秒").
_FIGURE_UNIT = re.compile(
    r"\d(?:[\d,.]*\d)?\s*(?:%|‰|ms|milliseconds?|s\b|secs?|seconds?|minutes?|mins?|hours?|h\b|"
    r"days?|weeks?|months?|years?|[kKmMgG]?bps|[kKmMgG]?bits?/s|[kKmMgG]?b/s|"
    r"[kKmMgGtT]i?B\b|[kKmMgG]b\b|fps|Hz|kHz|px|p\b|"
    r"[kK]\b|x\b|×|times|users?|viewers?|people|participants|streams?|channels?|rooms?|"
    r"connections?|cores?|threads?|ports?|USD|\$|元|美元|毫秒|秒|分钟|小时|天|周|个月|年|帧|"
    r"路|人|个|倍|万|千|兆|核|线程|端口|条|次|台)"
    r"|[$¥€£]\s?\d",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\([^)\s]*\)")
_QUESTION_END = re.compile(r"[?？][\s\"'”」』)）*]*$")
_URL = re.compile(r"https?://\S+|www\.\S+")
_CODE_LINE = re.compile(
    r"^\s*(?:\$\s|#\s*\w+\s*=|//|/\*|\w[\w.\-]*\s*[=:]\s*[\w\"'./\-]+;?\s*$|"
    r"[\w.\-]+\s+[\w.\-/:]+;\s*$|[{}\[\]<>]|(?:sudo|docker|ffmpeg|ffplay|curl|wget|npm|pip|git|"
    r"make|cd|\./)\s)",
)
_SYMBOLS = re.compile(r"[{}\[\]();=<>/\\_`|#$@*]")
_POINTER = re.compile(
    r"\b(?:see|refer to|check|read|described|shown|listed|explained) (?:the )?(?:below|above|"
    r"following|next|section|page|table|figure|docs?|documentation|link|chapter)\b"
    r"|\b(?:as follows|the following|below)\s*[:.]?\s*$"
    r"|(?:如下|以下|下面|下文|下表|下图|参考|详见|请看|请参考|见下|见上)[：:，,。]?\s*$",
    re.IGNORECASE,
)
# A sentence that opens by pointing at what follows ("下面按主题分组，…", "Below, the
# settings by protocol."): about the page, not its subject.
_POINTS_AHEAD = re.compile(
    r"^\s*(?:下面|下文|below\b|the following (?:sections?|pages?|chapters?)\b)", re.IGNORECASE
)
# Thanks and welcomes: courtesy, never an answer.
_COURTESY = re.compile(r"^\s*(?:thank you|thanks\b|welcome to\b|感谢|谢谢|欢迎)", re.IGNORECASE)
_LEAD_IN_END = re.compile(r"[:：]\s*$")
_SELF_INTRO = re.compile(
    r"^\s*(?:this|the|our|these) (?:document|doc|page|guide|article|knowledge base|section|"
    r"chapter|tutorial|handbook|manual|site|wiki)s? (?:is|are|describes?|explains?|covers?|"
    r"helps?|shows?|introduces?|provides?|will|contains?|lists?)\b"
    r"|^\s*(?:本|这篇|该|此)(?:文|文档|文章|知识库|指南|页面|章节|手册|教程)",
    re.IGNORECASE,
)
# A section that introduces a product by its name ("What is AcmeRTC?", "什么是 AcmeKit",
# "AcmeKit 简介"): a brand's shape, a capital inside a word. "What is bypass streaming?", "What Is
# Load" or "什么是延时" introduce a concept, which is an answer.
_BRAND = r"(?=[\w.\-]*[a-z])[A-Za-z][\w.\-]*?[A-Z][\w.\-]*"
_INTRODUCES_A_PRODUCT = re.compile(
    rf"^\s*(?i:what\s+is|what's|about|introducing)\s+{_BRAND}\s*\??\s*$"
    rf"|^\s*(?:什么是|关于)\s*{_BRAND}\s*[？?]?\s*$"
    rf"|^\s*{_BRAND}\s*(?:是什么|简介|介绍)\s*[？?]?\s*$"
)
_ABOUT_THE_KNOWLEDGE_BASE = re.compile(r"knowledge base|知识库", re.IGNORECASE)
_NAME_IS_A = re.compile(
    r"^\s*[\w .\-()（）]{2,60}?\s(?:is|are) (?:a|an|the)\b"
    rf"|^\s*[\w .\-()（）{HAN}]{{1,30}}?(?:是一个|是一款|是一家|是一种|是一套|致力于|专注于)",
    re.IGNORECASE,
)
_ENDS_SENTENCE = re.compile(r"[.!?。！？；;…)）\]」』\"”']\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,2}[.)、]\s*|[（(]?\d{1,2}[)）]\s*)")
_MARKUP = re.compile(r"\*\*|__|`")


# An amount stated in words, as documents do when the figure varies ("几秒延迟", "a few
# seconds", "数百毫秒"): an answer to "roughly how long?" as much as "3 seconds" is.
_TIME_UNIT_WORDS = r"(?:毫秒|秒|分钟|小时|天)"
_VAGUE_TIME = re.compile(
    rf"(?:几|数|十几|几十|数十|几百|数百|上百){_TIME_UNIT_WORDS}"
    r"|\b(?:a few|several|a couple of|tens of|hundreds of|a fraction of a|sub-)\s?"
    r"(?:milliseconds?|ms|seconds?|minutes?|hours?|days?)\b",
    re.IGNORECASE,
)


def states_vague_amount(text: str) -> bool:
    """True when the text states an amount of time in words ("几秒", "a few seconds")."""
    return bool(_VAGUE_TIME.search(text))


def without_vague_amounts(sentence: str) -> str:
    """The sentence with its amounts in words blanked (a question asking "几秒延迟?" is not
    answered by a sentence saying "几十秒")."""
    return _VAGUE_TIME.sub(" ", sentence)


def has_figure(sentence: str) -> bool:
    """True when the sentence states a figure with its unit ("400 ms", "30%", "120秒"), or
    an amount of time in words ("几秒", "a few seconds")."""
    return bool(_FIGURE_UNIT.search(sentence) or _VAGUE_TIME.search(sentence))


_UNITS = {
    "time": re.compile(
        r"\d\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?|mins?|hours?|h|days?|weeks?|"
        r"months?|years?|毫秒|秒|分钟|小时|天|周|个月|年)(?![A-Za-z])",
        re.IGNORECASE,
    ),
    "rate": re.compile(r"\d\s*[kKmMgG]?(?:bps|b/s|bits?/s)|\d\s*[kKmMgG]b\b|\d\s*兆"),
    "size": re.compile(r"\d\s*[kKmMgGtT]i?B\b|\d\s*bytes?\b|\d\s*字节"),
    "money": re.compile(r"[$¥€£]\s?\d|\d\s*(?:USD|CNY|EUR|dollars?|cents?|元|美元|分钱)"),
    "percent": re.compile(r"\d\s*[%‰]|百分之"),
}


def figure_quantities(sentence: str) -> frozenset[str]:
    """The quantities the sentence's figures are in, by their units ("5Mbps" → rate)."""
    found = frozenset(name for name, unit in _UNITS.items() if unit.search(sentence))
    return found | {"time"} if _VAGUE_TIME.search(sentence) else found


# What bounds a figure: the default, an upper or a lower limit. A question asking for one
# ("默认要隔多久", "up to how many sessions") is answered by the figure stated with the same
# bound ("默认是120秒", "fewer than 100 sessions"), not by another figure on the same topic. One
# vocabulary for questions and sentences, in both languages, since an answer may be in either.
_QUALIFIERS = {
    "default": re.compile(r"\bdefaults?\b|\bout of the box\b|默认|缺省", re.IGNORECASE),
    "most": re.compile(
        r"\b(?:max(?:imum|imal)?|at most|up to|upper (?:limit|bound)|no more than|"
        r"(?:fewer|less|lower) than|limit(?:s|ed)?|caps?|capped)\b"
        r"|最多|最大|上限|最高|至多|不超过|以内|封顶|限制(?:为|在|到)",
        re.IGNORECASE,
    ),
    "least": re.compile(
        r"\b(?:min(?:imum|imal)?|at least|lower (?:limit|bound)|no (?:less|fewer) than)\b"
        r"|最少|最小|下限|最低|至少|不低于|不少于",
        re.IGNORECASE,
    ),
}


def qualifiers(text: str) -> frozenset[str]:
    """The bounds the text puts on a figure: "default", "most" (an upper limit), "least"."""
    return frozenset(name for name, words in _QUALIFIERS.items() if words.search(text))


def has_digit(sentence: str) -> bool:
    """True when the sentence holds any digit."""
    return bool(_DIGIT.search(sentence))


# A number as written in either language ("2,500", "0.5", "100ms" → 100); a digit run is read
# whole, so 100 is not found in 1000.
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:,\d{3})*(?:\.\d+)?(?![\d])")


def numbers_in(text: str) -> frozenset[str]:
    """The numbers the text states, without their thousands separators."""
    return frozenset(number.replace(",", "") for number in _NUMBER.findall(text))


def without_numbers(sentence: str, numbers: frozenset[str]) -> str:
    """The sentence with those numbers blanked (a question's own figures are no answer to it)."""
    if not numbers:
        return sentence
    return _NUMBER.sub(
        lambda found: " " if found.group().replace(",", "") in numbers else found.group(),
        sentence,
    )


_INTRODUCES = re.compile(
    r"\b(?:the following|as follows|these (?:steps|options|settings|ports|roles))\b|如下|以下|下列",
    re.IGNORECASE,
)


def is_lead_in(sentence: str) -> bool:
    """True for a sentence that introduces what follows ("You need three roles:", "The
    following ports need to be open: …")."""
    return any(pattern.search(sentence) for pattern in (_LEAD_IN_END, _POINTER, _INTRODUCES))


def ends_in_colon(sentence: str) -> bool:
    """True for a sentence that hands over to what follows it ("Removes the conference:")."""
    return bool(_LEAD_IN_END.search(sentence))


def is_list_item(line: str) -> bool:
    """True for a bulleted or numbered line."""
    return bool(_LIST_ITEM.match(line))


def _words(sentence: str) -> int:
    return len(re.findall(r"[A-Za-z0-9]+", sentence)) + len(re.findall(f"[{HAN}]", sentence)) // 2


# A word of four letters or more, for telling a title's capitals from a sentence's.
_LONG_WORD = re.compile(r"\b[A-Za-z][\w'-]{3,}")
TITLE_WORDS = 12


# Negations and restrictions make a statement of the shortest fragment: a topic never says
# what is not, or only, so.
_LIMITS = re.compile(
    r"\b(?:not|no|only|never|cannot)\b|n't\b|没有|没|不|未|只|仅|无法", re.IGNORECASE
)


def is_heading_like(sentence: str) -> bool:
    """A fragment that names a topic and states nothing: short, no verb-bearing punctuation, no
    figure ("Audio quality", "推流配置"), or an English title in title case ("Installing the
    Server on Your Own Machine", a link's text left of a list of links)."""
    text = _MARKUP.sub("", _LIST_ITEM.sub("", sentence, count=1)).strip()
    if _ENDS_SENTENCE.search(text) or has_digit(text) or ":" in text or "：" in text:
        return False
    if _LIMITS.search(text):
        return False  # a short statement of what is not or only so ("fec 与加密没有实现")
    if _words(text) <= (6 if has_han(text) else 5):
        return True
    long_words = _LONG_WORD.findall(text)
    return (
        not has_han(text)
        and len(long_words) >= 3
        and _words(text) <= TITLE_WORDS
        and sum(word[0].isupper() for word in long_words) >= 0.75 * len(long_words)
    )


def is_question(sentence: str) -> bool:
    """A sentence that asks (a rhetorical question, an FAQ's question): it states nothing, and
    the sentence after it answers."""
    return bool(_QUESTION_END.search(_MARKUP.sub("", sentence).strip()))


# A diagram drawn in text: arrows, box corners, box drawing and block characters (tables and
# banners as art), in a line or in a table's cells.
_DIAGRAM = re.compile(r"-->|->>|<--|==>|\+[-=]{2,}|[-=]{2,}\+|[\u2500-\u259f]")
_NOT_PROSE = re.compile(
    r"^\s*#"  # a comment: headings never stay in a chunk's text, so a "#" line is code
    r"|^\s*\.\w+\("  # a chained method call
    r"|^\s*--?[A-Za-z][\w-]*(?:[\s=]|$)"  # a command-line flag
    rf"|{_DIAGRAM.pattern}"
)


def is_diagram(line: str) -> bool:
    """A line of a diagram drawn in text ("+ encoder +--RTMP-->--+ server +"), or a table row
    of one."""
    return bool(_DIAGRAM.search(line))


_PATH_OR_FLAG = re.compile(r"\s--?[A-Za-z]|(?:^|\s)\.{0,2}/\w|\w/[\w.-]+/")
# A program: a lowercase name, or any path to one ("Acme-master/misc/setup.sh").
_PROGRAM = re.compile(r"(?:[a-z][\w.-]*|[\w.-]*/[\w./-]+)\s")
# How a line of code or configuration ends and prose never does: an opened block, a line
# continued, a list of quoted strings ('ENTRYPOINT [ "/acme" ]').
_CODE_END = re.compile(r'(?:[{\[\\]|\[\s*"[^"]*"(?:\s*,\s*"[^"]*")*\s*\])\s*$')
# A key with a quoted value, as configuration and object literals write it ("muc: 'x',").
_KEY_VALUE = re.compile(r"""^\s*[\w.-]+\s*[:=]\s*(?:'[^']*'|"[^"]*"),?\s*$""")
# A configuration key with an address or a path for its value, as YAML writes it ("url:
# turn:host:3478?transport=tcp", "- path: /etc/x"): a lower-case identifier, then one token
# holding a colon or a slash. A label is written as a word ("RTMP: rtmp://host/live" answers),
# and a figure is no address ("latency: 300ms").
_CONFIG_ADDRESS = re.compile(r"^\s*(?:[-*]\s+)?[a-z_][\w.\-]*:\s+(?=\S*[:/])\S+\s*$")


# An instruction line of a Dockerfile or a similar file: an upper-case keyword, then an
# argument with a path, a tag or an assignment ("FROM acme/server:1 AS server", "ENV A=b").
_INSTRUCTION = re.compile(r"^[A-Z]{2,}\s+\S*[/:=]\S*")


def _is_command(text: str) -> bool:
    """A shell command line: a lowercase program name first, a flag or a path in it, and no
    sentence's end ("openssl genrsa -out /etc/x.key", "chmod g+r /etc/x")."""
    return (
        bool(_PROGRAM.match(text))
        and bool(_PATH_OR_FLAG.search(text))
        and not _ENDS_SENTENCE.search(text)
    )


def _is_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.match(text)) and not _ENDS_SENTENCE.search(text)


def _is_data_dump(text: str) -> bool:
    """A line of figures without words or a table's pipes (profiler output, a log line)."""
    tokens = text.split()
    if len(tokens) < 4 or "|" in text:
        return False
    return sum(1 for token in tokens if _DIGIT.search(token)) >= 0.5 * len(tokens)


def is_table_row(line: str) -> bool:
    """A row of a table as Markdown writes it ("Chrome | ✅ | 115+"), a separator row aside."""
    text = line.strip()
    return text.count("|") >= 2 and bool(re.search(r"[^\s|:\-]", text))


def table_header(lines: Sequence[str], index: int) -> int | None:
    """The position of the header row of the table `lines[index]` belongs to (the first row of
    its run of rows), or None when it is no table row."""
    if not is_table_row(lines[index]):
        return None
    first = index
    while first > 0 and is_table_row(lines[first - 1]):
        first -= 1
    return first


def table_cells(header: str, row: str) -> str:
    """A row read with its header, cell by cell ("Browser: Firefox · Versions: 115+"): on a
    phone a bare row of pipes says nothing."""
    names = [cell.strip() for cell in header.strip().strip("|").split("|")]
    values = [cell.strip() for cell in row.strip().strip("|").split("|")]
    return paired_cells(names, values, ": ", " · ")


def is_code(sentence: str) -> bool:
    """A command, a configuration line or a code fragment, not prose."""
    text = sentence.strip()
    if _CODE_LINE.match(text) or _NOT_PROSE.search(text) or _CODE_END.search(text):
        return True
    if _KEY_VALUE.match(text) or _CONFIG_ADDRESS.match(text):
        return True
    if not has_han(text) and (
        not re.search(r"\s", text)
        or _is_command(text)
        or _is_data_dump(text)
        or _is_instruction(text)
    ):
        return True  # an identifier, a path or an image name, a command, figures without words
    if text.count("`") >= 2 and len(_MARKUP.sub("", text)) < 60:
        return True
    letters = len(re.findall(rf"[A-Za-z{HAN}]", text))
    return len(_SYMBOLS.findall(text)) > max(4, 0.15 * max(letters, 1))


# A comment line of a configuration or code block, and the text it says ("# the UDP port all
# clients send media to", "// 播放最多等待时间").
_COMMENT = re.compile(r"^\s*(?:#+|//+|;+|--)\s*(?P<text>.*)$")
# A setting: a key and a one-token value ("port=8000", "externIP=", "maxStreamWaitMS: 15000",
# "enabled: true", "muc: 'conference.x'"). With a colon only for a value that is a number, a
# boolean or a quoted string: "Note: it works" is prose.
_SETTING = re.compile(
    r"""^\s*[A-Za-z_][\w.\-]*\s*(?:=\s*[^\s=]*|:\s*(?:-?\d[\w.]*|true|false|yes|no|on|off|"""
    r"""'[^']*'|"[^"]*"))[,;]?\s*$""",
    re.IGNORECASE,
)


def comment_text(line: str) -> str | None:
    """What a comment line says, when it says something in words (a description of the setting
    below it), else None (a commented-out setting, a separator, a bare marker)."""
    found = _COMMENT.match(line)
    if not found:
        return None
    text = found.group("text").strip()
    if not text or is_setting(text) or is_code(text):
        return None
    return text if has_han(text) or _words(text) >= 3 else None


def is_comment(line: str) -> bool:
    """A comment line of a configuration or code block, whatever it says."""
    return bool(_COMMENT.match(line))


def is_setting(line: str) -> bool:
    """A configuration line setting one key to one value."""
    return bool(_SETTING.match(line))


# A reference entry's label line: one to four short "label: value" pairs ("Type: int Default:
# 5000", "类型: int 默认值: 5000", "Default value: 10 s"), as a configuration or API reference
# writes each field's attributes beside the sentence that describes it. A value is a token, not
# a clause: "注意：端到端延迟约为300ms，足够低了！" is a sentence with a label.
_LABEL_PAIR = (
    r"[^\s:：]{1,16}(?:\s[^\s:：]{1,16})?\s*[:：]\s*"
    r"[^\s:：，。！？；,;!?]{1,16}(?:\s[^\W\d]{1,8}(?=\s|$))?"
)
_VALUE_LABELS = re.compile(rf"^\s*{_LABEL_PAIR}(?:\s+{_LABEL_PAIR}){{0,3}}\s*$")
MAX_LABEL_LINE_CHARS = 80


def is_value_label(line: str) -> bool:
    """A label line stating a value with a figure: "Default: 120", "默认值: 5000"."""
    text = line.strip()
    return (
        len(text) <= MAX_LABEL_LINE_CHARS
        and has_digit(text)
        and "://" not in text
        and bool(_VALUE_LABELS.match(text))
    )


def is_link_list(sentence: str) -> bool:
    """Mostly URLs, or links with hardly a word beside them (an item of a list of sources)."""
    unlinked = _MARKDOWN_LINK.sub("", sentence)
    if unlinked != sentence and _words(unlinked) <= 2:
        return True
    # Beside Markdown links (whose addresses are not read), bare URLs.
    linked = sum(len(url) for url in _URL.findall(unlinked))
    return linked > 0.4 * max(len(unlinked), 1)


def is_pointer(sentence: str) -> bool:
    """A sentence that points elsewhere ("See the table below.") and says nothing itself."""
    points = _POINTER.search(sentence) or _POINTS_AHEAD.search(sentence)
    return bool(points) and not has_figure(sentence)


def is_self_introduction(
    sentence: str, position: int, chunk_index: int, title: str = "", section: str = ""
) -> bool:
    """A document (or the knowledge base) introducing itself, or a product's opening
    "X is a platform for …" line, or any line of a section introducing a product ("What is
    X?"): filler in any answer that does not ask what X is. Every line of a document about the
    knowledge base itself is about documents, not the subject."""
    if _SELF_INTRO.search(sentence) or _ABOUT_THE_KNOWLEDGE_BASE.search(title):
        return True
    if _INTRODUCES_A_PRODUCT.search(innermost_heading(section)):
        return True
    return chunk_index == 0 and position <= 1 and bool(_NAME_IS_A.search(sentence))


def is_courtesy(sentence: str) -> bool:
    """A thank-you or a welcome ("Thank you for being so interested in X.", "欢迎加入社区。")."""
    return bool(_COURTESY.search(_LIST_ITEM.sub("", sentence, count=1)))


def is_filler(sentence: str) -> bool:
    """A sentence that is never an answer by its shape (position aside)."""
    return (
        is_heading_like(sentence)
        or is_courtesy(sentence)
        or is_code(sentence)
        or is_link_list(sentence)
        or is_question(sentence)
        or (is_pointer(sentence) and not is_lead_in(sentence))
    )
