"""What kind of answer a question asks for, decided once from its wording (both languages).

The kinds steer the reader, never the retrieval: an amount question prefers a sentence whose
figure and unit fit, a list question the list a lead-in introduces, a how-to question the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.answering.shapes import numbers_in, qualifiers, states_vague_amount

_AMOUNT = re.compile(
    r"\bhow (?:much|many|long|fast|big|large|high|low|far|often|soon|quickly)\b"
    r"|\bwhat(?:'s| is| are)? (?:the )?(?:max(?:imum)?|min(?:imum)?|default|typical|"
    r"expected|average|limit|latency|delay|bitrate|port|size|version|price|cost|number)\b"
    r"|\b(?:which|what) (?:port|version|bitrate|resolution|frame ?rate)s?\b"
    r"|多少|几秒|几个|几路|几种|多久|多长|多大|多高|多快|多远|上限|下限|最大|最小|最多|最少|默认|"
    r"延迟|时延|端口|版本|码率|带宽|价格|费用|收费|报价",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"\b(?:which|what) (?:\w+ ){0,2}(?:options|roles|features|parameters|settings|protocols|"
    r"codecs|ways|steps|platforms|architectures|formats|kinds|types|methods|tools|metrics)\b"
    r"|\blist\b|\bwhat are\b"
    r"|哪些|有哪几|哪几种|几种|什么样的|列出",
    re.IGNORECASE,
)
_HOW = re.compile(
    r"\bhow (?:do|does|to|can|should|would|could)\b|\bsteps?\b|\bset ?up\b|\bconfigure\b"
    r"|怎么|如何|怎样|步骤|搭建",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\s*(?:can|could|does|do|is|are|will|would|should|may|has|have)\b"
    r"|吗\s*[？?]?\s*$|能不能|能否|是否|可不可以|会不会|有没有|支不支持",
    re.IGNORECASE,
)
_WHAT_IS = re.compile(r"^\s*what(?:'s| is| are)\s+\w+\s*\??\s*$|是什么\s*[？?]?\s*$", re.I)


# The quantity an amount question asks for, by its words: the answer's figure has that unit
# (shapes.figure_quantities reads the units), so "what bitrate cap" prefers "5Mbps" to "24 hours".
_QUANTITIES = {
    "time": re.compile(
        r"\b(?:latency|delay|lag|how (?:long|fast|soon|quickly)|duration|timeout|wait|"
        r"seconds?|minutes?|response time|first frame|join time)\b"
        r"|延迟|时延|多久|多长时间|几秒|几分钟|耗时|超时|首帧|时长",
        re.IGNORECASE,
    ),
    "rate": re.compile(r"\b(?:bit ?rate|bandwidth|throughput|kbps|mbps)\b|码率|比特率|带宽", re.I),
    "size": re.compile(
        r"\b(?:memory|ram|disk|storage|file size|how (?:big|large))\b|内存|磁盘|存储|多大", re.I
    ),
    "money": re.compile(
        r"\b(?:price|cost|charge|pay|fee|bill)s?\b|\bhow much (?:is|does|do|will)\b"
        r"|价格|费用|收费|多少钱|计费|报价",
        re.IGNORECASE,
    ),
    "percent": re.compile(r"\b(?:percent(?:age)?|share|uptime|cpu)\b|百分比|占比|可用性", re.I),
}


@dataclass(frozen=True, slots=True)
class QuestionKind:
    """The answer shapes a question asks for (several may hold: "how many ports, and which?")."""

    amount: bool = False
    listing: bool = False
    how: bool = False
    yes_no: bool = False
    definition: bool = False  # "what is X?": the sentence that introduces X is the answer
    # For an amount: the quantities asked for ("time", "rate", "size", "money", "percent");
    # empty when the wording names none (a count, a version, a port).
    quantities: frozenset[str] = frozenset()
    # The numbers the question states itself ("over a link with a 100 ms round trip, what
    # latency?"): a sentence repeating them has not answered it with a figure.
    given: frozenset[str] = frozenset()
    # ... and an amount it states in words ("观众端一般会有几秒延迟？"): the answer is a figure.
    given_vaguely: bool = False
    # For an amount: the bound asked for ("default", "most", "least"; shapes.qualifiers).
    bounds: frozenset[str] = frozenset()


def question_kind(question: str) -> QuestionKind:
    """The kinds of answer `question` asks for."""
    return QuestionKind(
        amount=bool(_AMOUNT.search(question)),
        listing=bool(_LIST.search(question)),
        how=bool(_HOW.search(question)),
        yes_no=bool(_YES_NO.search(question)),
        definition=bool(_WHAT_IS.search(question)),
        quantities=frozenset(name for name, words in _QUANTITIES.items() if words.search(question)),
        given=numbers_in(question),
        given_vaguely=states_vague_amount(question),
        bounds=qualifiers(question),
    )
