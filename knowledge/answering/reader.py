"""The reader: in the retrieved chunks, find the passage that answers the question.

Every sentence of the top hits is a candidate, scored by meaning (the cosine of its stored
embedding with the question's, which works across languages and paraphrases) and by terms (the
idf-weighted share of the question's own words it holds, with its heading). The question's kind
adds what its answer looks like: a figure with a unit for an amount, the list a lead-in
introduces for a list or a how-to. Filler is never a candidate (shapes.py).

The best candidate becomes a passage, a contiguous span of its chunk: a lead-in with the items it
introduces, a list item with its list, so the quote holds the answer and not only its topic.
Supporting passages follow only when they are nearly as good and say something else: each
close enough to answer on its own, or, once the lead has settled that the store answers, one
that holds more of the question's words than the lead and is as close in meaning as the weak
bar, in the lead's section or scored above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.answering.questions import QuestionKind, question_kind
from knowledge.answering.shapes import (
    comment_text,
    ends_in_colon,
    figure_quantities,
    has_digit,
    has_figure,
    is_code,
    is_comment,
    is_diagram,
    is_filler,
    is_heading_like,
    is_lead_in,
    is_link_list,
    is_list_item,
    is_self_introduction,
    is_setting,
    is_table_row,
    is_value_label,
    qualifiers,
    table_cells,
    table_header,
    without_numbers,
    without_vague_amounts,
)
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import sentence_terms, tokenize
from store.language import detect_lang, has_han
from store.sentences import split_sentences

# chunk id → its sentences, in order, each with its stored vector
SentenceVectors = Mapping[str, Sequence[tuple[str, np.ndarray]]]

MAX_POINTS = 3
# A sentence shorter than this says too little to answer: fewer characters in Chinese, where
# one character can be a word. A sentence with any Chinese is measured as Chinese: "Acme v5+授权是
# MIT。" is an English sentence by its letters, and a whole answer.
MIN_CHARS = {"zh": 8, "en": 20}
# e5 cosines live in a narrow band: unrelated text ≈ 0.75, a paraphrase ≈ 0.9. Meaning scores
# are read relative to that band.
SEM_FLOOR = 0.75
SEM_SPAN = 0.15
W_SEM = 1.0
W_LEX = 0.8
FIGURE_BONUS = 0.45
OTHER_QUANTITY_SHARE = 0.4  # of the bonus, for a figure in another quantity than the one asked
BOUND_BONUS = 0.15  # a figure stated with the bound asked for (the default, a maximum)
LIST_BONUS = 0.3
SELF_INTRO_PENALTY = 0.6
RANK_PRIOR = 0.15
SUPPORT_MARGIN = 0.4  # a supporting passage scores within this of the lead
# A short answering sentence is read with the sentence after it in its paragraph: a topic
# sentence is often followed by the one that holds the figure or the how.
WINDOW_CHARS = 160
# A short sentence takes the next one with it when that one is nearly as close to the question
# in meaning: "there is the voice-room scenario." + "it needs no noise, no echo, no dropouts."
RELATED_MARGIN = 0.02
DUPLICATE_COSINE = 0.93
MAX_SPAN_UNITS = 7
MAX_SPAN_CHARS = 600
MAX_COMMENT_LINES = 4  # between a setting's description and the setting
# A reference entry (a configuration field, an API parameter) is a short section: its
# description and its label lines ("类型: int 默认值: 5000"), one or two lines apart.
MAX_ENTRY_SENTENCES = 6
MAX_LABEL_DISTANCE = 2


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the best evidence is too weak to answer from: calibrated for multilingual-e5-small
    on several corpora (docs/evaluation.md); another EMBEDDING_MODEL needs recalibrating."""

    # A sentence in the question's language this close in meaning answers on its own.
    strong_cosine: float = 0.90
    # A weaker match needs the question's own words too.
    weak_cosine: float = 0.82
    min_term_share: float = 0.5
    # A sentence in another language shares few words with the question, and cosines across
    # languages run lower than within one: this close, meaning alone decides ...
    cross_cosine: float = 0.85
    # ... or a weaker match that holds half the question's words, through their translations,
    # the glossary's forms ("voice room" → "语聊房") or names written alike.
    cross_weak_cosine: float = 0.80
    # A question in the domain's own vocabulary (glossary terms: "SLA", "语聊房") is about the
    # domain however it is framed ("we meet X in 15 minutes"): a closer-than-weak match will do,
    # if it holds some of the question's words: a question about a product no document covers
    # ("<another vendor>'s free minutes, and billing") uses the domain's words too, and its
    # sentences then share only those (0.13 on a third-party corpus; every share from 0.17 to
    # 0.30 gave the same answers on the three corpora, docs/evaluation.md).
    domain_cosine: float = 0.85
    domain_min_share: float = 0.25
    # A question whose every word the store uses is about what its documents discuss (one about
    # a vendor, a product or a feature none of them mentions holds a word the store never uses):
    # a match this close in meaning answers it, however it is phrased.
    known_words_cosine: float = 0.87
    known_words_cross_cosine: float = 0.83


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of a hit, scored."""

    same_language: bool  # as the question's
    hit_rank: int
    hit: Hit
    index: int  # of the sentence in its chunk
    sentence: str
    cosine: float  # with the question (0 when the sentence has no stored vector)
    term_share: float
    score: float
    vector: np.ndarray | None = None
    # A comment describing a configuration setting: the index of the setting it describes
    # ("# the UDP port all clients send media to" above "port=8000"), else -1.
    setting: int = -1
    # A reference entry's description: the index of its label line stating the value
    # ("空闲连接被关闭前等待的时间，单位毫秒。" beside "类型: int 默认值: 5000"), else -1.
    value: int = -1


@dataclass(frozen=True, slots=True)
class Passage:
    """A contiguous span of one chunk that answers (part of) the question."""

    hit: Hit
    quote: str  # verbatim text of the chunk
    lines: tuple[str, ...]  # the span's sentences, as they read
    candidate: Candidate


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader found: passages best first (empty when it abstains), and why."""

    passages: tuple[Passage, ...]
    best_cosine: float
    best_term_share: float
    abstained: bool


def _offsets(text: str, sentences: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in sentences:
        start = text.find(sentence, cursor)
        if start < 0:
            start = text.find(sentence)
        end = start + len(sentence)
        spans.append((start, end))
        cursor = max(cursor, end)
    return spans


def own_words(retrieval: Retrieval, idf: Callable[[str], float]) -> list[str]:
    """The question's own terms (not the glossary's or the dictionary's additions). A compound
    the store never writes as one ("peer-to-peer", "dedicated-thread-per-socket") is left to its
    parts, which the tokenizer lists beside it: the store not using the compound says nothing
    about whether it covers the subject."""
    pairs = zip(retrieval.terms, retrieval.term_weights, strict=False)
    own = [term for term, weight in pairs if weight >= 1.0]
    listed = set(own)

    def left_to_parts(term: str) -> bool:
        if "-" not in term or idf(term):
            return False
        parts = tokenize(term.replace("-", " "))
        return len(parts) > 1 and set(parts) <= listed

    return [term for term in own if not left_to_parts(term)]


def uses_every_word(words: Iterable[str], idf: Callable[[str], float]) -> bool:
    """True when the store uses every one of the question's own words (and it has some)."""
    found = [idf(term) > 0 for term in words]
    return bool(found) and all(found)


class _TermScorer:
    """The idf-weighted share of the question's own words a sentence holds (with its heading),
    a word held by its translation too, and a glossary term's words by any of its forms. A word
    the store never uses weighs most: a question about something no document mentions is not
    answered by sentences that share its other words."""

    def __init__(self, retrieval: Retrieval, idf: Callable[[str], float]) -> None:
        own: dict[str, float] = {}
        known = [idf(term) for term in retrieval.terms]
        unseen = max(known, default=0.0) or 1.0
        seen = sorted(value for value in known if value > 0)
        typical = seen[len(seen) // 2] if seen else 1.0
        for term in own_words(retrieval, idf):
            # A bare number frames a question ("in 15 minutes") more often than it names its
            # subject: it weighs like a typical word of the question, however rare.
            value = typical if term.isdigit() else (idf(term) or unseen)
            own[term] = max(own.get(term, 0.0), value)
        self.weights = own
        self.total = sum(own.values())
        self.concepts = retrieval.concepts
        self.translations = retrieval.translations

    def share(self, sentence: str, heading: str) -> float:
        if not self.total:
            return 0.0
        # Stopwords kept: the question's words are none, but a translation can be one in the
        # other language ("need" is a word, 需要 a Chinese stopword).
        present = set(sentence_terms(sentence, keep_stopwords=True)) | sentence_terms(heading)
        for concept in self.concepts:
            if concept.found_in(sentence) or concept.found_in(heading):
                present |= concept.words
        present |= {term for term, others in self.translations if others & present}
        return sum(w for term, w in self.weights.items() if term in present) / self.total


def _semantic(cosine: float) -> float:
    return min(max((cosine - SEM_FLOOR) / SEM_SPAN, 0.0), 1.5)


def _figure_bonus(sentence: str, kind: QuestionKind) -> float:
    """What a figure adds for an amount question: all when its unit is of the quantity asked
    for (or none is named), less when it measures something else ("24 hours" for a bitrate),
    more when it is stated with the bound asked for (a default, a maximum). The question's own
    figures count for nothing."""
    sentence = without_numbers(sentence, kind.given)
    if kind.given_vaguely:
        sentence = without_vague_amounts(sentence)
    bonus = FIGURE_BONUS / 3 if has_digit(sentence) else 0.0
    if not has_figure(sentence):
        return bonus
    if kind.bounds & qualifiers(sentence):
        bonus += BOUND_BONUS
    if kind.quantities and not (kind.quantities & figure_quantities(sentence)):
        return bonus + FIGURE_BONUS * OTHER_QUANTITY_SHARE
    return bonus + FIGURE_BONUS


def _unquotable(line: str) -> bool:
    """A line a passage never quotes: code, a link list, a heading (a short list item is an
    item, and a table's rows are read with their header)."""
    if is_table_row(line):
        return False
    return is_code(line) or is_link_list(line) or (is_heading_like(line) and not is_list_item(line))


def _too_short(sentence: str) -> bool:
    return len(sentence.strip()) < MIN_CHARS["zh" if has_han(sentence) else "en"]


def _introduces(sentences: Sequence[str], index: int) -> bool:
    """A lead-in followed by something to quote: one that introduces code (a configuration
    block, a command) introduces nothing an answer can show, nor one whose first item is a
    lead-in itself ("- Filter the relay's events:") to what the text does not hold (a
    video, a screenshot)."""
    if not is_lead_in(sentences[index]) or index + 1 >= len(sentences):
        return False
    following = sentences[index + 1]
    if _unquotable(following):
        return False
    return not (
        is_list_item(following)
        and ends_in_colon(following)
        and not _introduces(sentences, index + 1)
    )


def _described_setting(sentences: Sequence[str], lines: _Lines, index: int) -> int:
    """The setting a comment line describes in words: the first line after its run of
    comments, when that is a setting (-1 when the sentence is no such comment)."""
    if comment_text(sentences[lines.start(index)]) is None:
        return -1
    following = lines.end(index) + 1
    for _ in range(MAX_COMMENT_LINES):
        if following >= len(sentences) or not is_comment(sentences[following]):
            break
        following = lines.end(following) + 1
    if following < len(sentences) and is_setting(sentences[following]):
        return following
    return -1


def _entry_value(sentences: Sequence[str], index: int) -> int:
    """For a sentence without figures in a reference entry (a short section), the nearest
    label line stating a value, before or after it (-1 when there is none)."""
    if len(sentences) > MAX_ENTRY_SENTENCES or has_digit(sentences[index]):
        return -1
    for distance in range(1, MAX_LABEL_DISTANCE + 1):
        for near in (index - distance, index + distance):
            if 0 <= near < len(sentences) and is_value_label(sentences[near]):
                return near
    return -1


def candidates(
    retrieval: Retrieval,
    kind: QuestionKind,
    idf: Callable[[str], float],
    vectors: SentenceVectors,
    quotable: Callable[[Hit], bool] = lambda hit: True,
) -> list[Candidate]:
    """Every quotable sentence of the hits, scored (best first)."""
    query = retrieval.vector
    terms = _TermScorer(retrieval, idf)
    question_lang = detect_lang(retrieval.query)
    found: list[Candidate] = []
    for rank, hit in enumerate(retrieval.hits):
        if not quotable(hit):
            continue
        chunk = hit.chunk
        heading = f"{chunk.title} {chunk.section}"
        stored = {sentence: vector for sentence, vector in vectors.get(chunk.id, ())}
        sentences = split_sentences(chunk.text)
        lines = _Lines(chunk.text, _offsets(chunk.text, sentences))
        for index, sentence in enumerate(sentences):
            lang = detect_lang(sentence)
            header = table_header(sentences, index)
            # A configuration block's comments are its prose: one that describes a setting
            # answers with the setting ("which port?" → "port=8000").
            setting = _described_setting(sentences, lines, index)
            if setting >= 0:
                said = comment_text(sentence) or sentence
                if _too_short(said):
                    continue
            elif header is not None:
                if header == index or is_diagram(sentence):
                    continue  # a header row names the columns and answers nothing
            elif _too_short(sentence) or is_filler(sentence):
                continue
            elif ends_in_colon(sentence) and not _introduces(sentences, index):
                continue  # it hands over to code, or to nothing: alone it says nothing
            vector = stored.get(sentence)
            known = vector is not None and query is not None
            cosine = float(np.dot(vector, query)) if known else 0.0
            # A row holds the question's words in its header too ("Versions" of "Firefox").
            context = heading if header is None else f"{heading} {sentences[header]}"
            share = terms.share(sentence, context)
            score = W_SEM * _semantic(cosine or hit.dense) + W_LEX * share
            score += RANK_PRIOR / (rank + 1)
            value = -1
            if kind.amount:
                # An amount is read with the value its setting or its entry's label states.
                if setting < 0 and header is None:
                    value = _entry_value(sentences, index)
                stating = setting if setting >= 0 else value
                stated = f"{sentence} {sentences[stating]}" if stating >= 0 else sentence
                score += _figure_bonus(stated, kind)
            if (kind.listing or kind.how) and _introduces(sentences, index):
                score += LIST_BONUS
            if not kind.definition and is_self_introduction(
                sentence, index, chunk.chunk_index, chunk.title, chunk.section
            ):
                score -= SELF_INTRO_PENALTY
            same = lang == question_lang
            found.append(
                Candidate(
                    same, rank, hit, index, sentence, cosine, share, score, vector, setting, value
                )
            )
    return sorted(found, key=lambda candidate: -candidate.score)


def passage(
    candidate: Candidate,
    kind: QuestionKind,
    related: Callable[[Candidate, str], bool] = lambda candidate, following: True,
) -> Passage:
    """The span of the candidate's chunk that answers: the sentence, plus what it introduces
    (a lead-in's items), or the list it belongs to (for a list or how-to question)."""
    text = candidate.hit.chunk.text
    sentences = split_sentences(text)
    header = table_header(sentences, candidate.index)
    if header is not None:
        # The row is quoted (verbatim) and read with its header.
        lines = (sentences[header], candidate.sentence)
        return Passage(candidate.hit, candidate.sentence, lines, candidate)
    spans = _offsets(text, sentences)
    lines = _Lines(text, spans)
    if candidate.setting >= 0:
        return _setting_passage(candidate, sentences, lines)
    if candidate.value >= 0:
        # The entry's description with its label line, in the order they are written.
        first, last = sorted((candidate.index, candidate.value))
        quote = text[spans[first][0] : spans[last][1]]
        return Passage(candidate.hit, quote, tuple(sentences[first : last + 1]), candidate)
    first = last = candidate.index
    listed = False
    if is_lead_in(candidate.sentence):
        # The lead-in, then its items: each item a line, with the rest of its line ("`443 TCP`
        # => For the web. **Required**").
        items = 0
        while last + 1 < len(sentences) and items < MAX_SPAN_UNITS - 1:
            following = sentences[last + 1]
            if _unquotable(following) or (not is_list_item(following) and last > first):
                break
            end = lines.end(last + 1)
            if spans[end][1] - spans[first][0] > MAX_SPAN_CHARS:
                break
            items, last, listed = items + 1, end, True
    elif _answers_as_a_list(kind, sentences, lines, candidate.index):
        # The whole list the item belongs to (line by line), with the lead-in before it.
        last = lines.end(last)
        first = _list_start(sentences, lines, first)
        if first > 0 and is_lead_in(sentences[first - 1]):
            first -= 1
        while (
            last + 1 < len(sentences)
            and is_list_item(sentences[last + 1])
            and lines.count(first, last) < MAX_SPAN_UNITS
            and spans[lines.end(last + 1)][1] - spans[first][0] <= MAX_SPAN_CHARS
        ):
            last = lines.end(last + 1)
        listed = True
    elif first == last and last + 1 < len(sentences) and len(candidate.sentence) < WINDOW_CHARS:
        following = sentences[last + 1]
        between = text[spans[last][1] : spans[last + 1][0]]
        if (
            "\n" not in between
            and not is_filler(following)
            and not is_list_item(following)
            and (related(candidate, following) or has_figure(following))
        ):
            last += 1
    quote = text[spans[first][0] : spans[last][1]]
    shown = lines.between(first, last) if listed else tuple(sentences[first : last + 1])
    return Passage(candidate.hit, quote, shown, candidate)


def _setting_passage(candidate: Candidate, sentences: Sequence[str], lines: _Lines) -> Passage:
    """A setting with the comments that describe it, quoted verbatim from the first of them
    to the setting, and shown as the description's words and the setting."""
    spans, last = lines.spans, candidate.setting
    first = lines.start(candidate.index)
    while first > 0 and is_comment(sentences[lines.start(first - 1)]):
        earlier = lines.start(first - 1)
        if spans[last][1] - spans[earlier][0] > MAX_SPAN_CHARS:
            break
        first = earlier
    said = [comment_text(line) for line in lines.between(first, last - 1)]
    shown = (*(text for text in said if text), sentences[last])
    quote = lines.text[spans[first][0] : spans[last][1]]
    return Passage(candidate.hit, quote, shown, candidate)


def _answers_as_a_list(
    kind: QuestionKind, sentences: Sequence[str], lines: _Lines, index: int
) -> bool:
    """An item whose whole list answers: any list for a list question ("which
    architectures?"); for a how-to, the items a lead-in introduces (the steps), since bulleted
    statements without one are points of their own."""
    if not (kind.listing or kind.how) or not is_list_item(sentences[index]):
        return False
    if kind.listing:
        return True
    first = _list_start(sentences, lines, index)
    return first > 0 and is_lead_in(sentences[first - 1])


def _list_start(sentences: Sequence[str], lines: _Lines, index: int) -> int:
    """The first sentence of the list the item at `index` belongs to."""
    while index > 0 and is_list_item(sentences[lines.start(index - 1)]):
        index = lines.start(index - 1)
    return index


class _Lines:
    """Which of a chunk's sentences share a line: a list item is a line, however many
    sentences it holds."""

    def __init__(self, text: str, spans: Sequence[tuple[int, int]]) -> None:
        self.text = text
        self.spans = spans
        self.line = [text.count("\n", 0, max(start, 0)) for start, _ in spans]

    def start(self, index: int) -> int:
        while index > 0 and self.line[index - 1] == self.line[index]:
            index -= 1
        return index

    def end(self, index: int) -> int:
        while index + 1 < len(self.line) and self.line[index + 1] == self.line[index]:
            index += 1
        return index

    def count(self, first: int, last: int) -> int:
        return len(set(self.line[first : last + 1]))

    def between(self, first: int, last: int) -> tuple[str, ...]:
        """The lines from sentence `first` to `last`, verbatim."""
        shown: list[str] = []
        index = first
        while index <= last:
            end = min(self.end(index), last)
            shown.append(self.text[self.spans[index][0] : self.spans[end][1]])
            index = end + 1
        return tuple(shown)


def _duplicate(candidate: Candidate, chosen: Sequence[Passage]) -> bool:
    for other in chosen:
        if candidate.sentence in other.quote or candidate.sentence in other.lines:
            return True
        a, b = candidate.vector, other.candidate.vector
        if a is not None and b is not None and float(np.dot(a, b)) >= DUPLICATE_COSINE:
            return True
        words, others = sentence_terms(candidate.sentence), sentence_terms(other.quote)
        if words and len(words & others) / len(words) >= 0.8:
            return True
    return False


def evidence_suffices(
    candidate: Candidate,
    thresholds: Thresholds,
    in_domain: bool = False,
    words_known: bool = False,
) -> bool:
    """True when a candidate is close enough to the question, in meaning or in words, to
    answer it. `words_known`: the store uses every word of the question."""
    cosine = candidate.cosine or candidate.hit.dense
    if not candidate.same_language:
        if words_known and cosine >= thresholds.known_words_cross_cosine:
            return True
        return cosine >= thresholds.cross_cosine or (
            cosine >= thresholds.cross_weak_cosine
            and candidate.term_share >= thresholds.min_term_share
        )
    if cosine >= thresholds.strong_cosine:
        return True
    if (
        in_domain
        and cosine >= thresholds.domain_cosine
        and candidate.term_share >= thresholds.domain_min_share
    ):
        return True
    if words_known and cosine >= thresholds.known_words_cosine:
        return True
    return cosine >= thresholds.weak_cosine and candidate.term_share >= thresholds.min_term_share


def read(
    question: str,
    retrieval: Retrieval,
    idf: Callable[[str], float],
    vectors: SentenceVectors,
    thresholds: Thresholds,
    quotable: Callable[[Hit], bool] = lambda hit: True,
) -> Reading:
    """The passages that answer `question`, best first, or an abstention."""
    kind = question_kind(question)
    scored = candidates(retrieval, kind, idf, vectors, quotable)
    if not scored:
        return Reading((), 0.0, 0.0, True)
    best = scored[0]
    best_cosine = max((c.cosine or c.hit.dense) for c in scored)
    best_share = max(c.term_share for c in scored)
    in_domain = bool(retrieval.concepts)
    words = set(own_words(retrieval, idf))
    words_known = uses_every_word(words, idf)

    def suffices(candidate: Candidate) -> bool:
        return evidence_suffices(candidate, thresholds, in_domain, words_known)

    if not any(suffices(c) for c in scored[:5]):
        return Reading((), best_cosine, best_share, True)
    # The best sentence that suffices settles that the store answers, and leads. A sentence
    # holding more of the question's words than it, in its section or scored above it, then
    # needs only the weak bar's closeness: across languages such a sentence (the port "for
    # fallback over TCP when UDP is blocked", below a TURN/UDP sentence that passed; the key a
    # section names after its "the stream id decides" sentence) sits just under the bars that
    # must also keep a question no document answers from being answered.
    settling = next(c for c in scored if suffices(c))
    answering = (settling.hit.chunk.source, settling.hit.chunk.section)

    def admitted(candidate: Candidate) -> bool:
        if suffices(candidate):
            return True
        cosine = candidate.cosine or candidate.hit.dense
        floor = thresholds.weak_cosine if candidate.same_language else thresholds.cross_weak_cosine
        where = (candidate.hit.chunk.source, candidate.hit.chunk.section)
        return (
            cosine >= floor
            and (where == answering or candidate.score > settling.score)
            and candidate.term_share > settling.term_share
        )

    cosines = {(c.hit.chunk.id, c.sentence): c.cosine for c in scored}

    def related(candidate: Candidate, following: str) -> bool:
        """The next sentence shares the question's words, or is as close to it in meaning as
        the candidate (across languages, words are not shared)."""
        if words & sentence_terms(following):
            return True
        cosine = cosines.get((candidate.hit.chunk.id, following), 0.0)
        return bool(candidate.cosine and cosine >= candidate.cosine - RELATED_MARGIN)

    chosen = [passage(settling, kind, related)]
    for candidate in scored:
        if len(chosen) >= MAX_POINTS:
            break
        if candidate is settling or candidate.score < best.score - SUPPORT_MARGIN:
            continue
        if not admitted(candidate) or _duplicate(candidate, chosen):
            continue
        chosen.append(passage(candidate, kind, related))
    return Reading(tuple(chosen), best_cosine, best_share, False)


def display_lines(lines: Sequence[str], clean: Callable[[str], str]) -> str:
    """A passage as it reads in an answer: its sentences cleaned of markup, one line each when
    it is a list, else as one paragraph."""
    if len(lines) == 2 and all(is_table_row(line) for line in lines):
        return table_cells(clean(lines[0]), clean(lines[1]))
    if len(lines) > 1 and is_setting(lines[-1]) and not is_setting(lines[0]):
        # A setting after its description: "the UDP port all clients use: port=8000".
        # Comment lines are fragments: each ends where its line does.
        parts = [clean(line).rstrip("，,;；。. ") for line in lines[:-1]]
        said = (
            "".join(f"{part}{'；' if has_han(part[-1:]) else '; '}" for part in parts[:-1] if part)
            + parts[-1]
        )
        return f"{said}{'：' if has_han(said[-1:]) else ': '}{lines[-1].strip()}"
    cleaned = [clean(line) for line in lines if clean(line)]
    if len(cleaned) > 1 and any(is_list_item(line) for line in lines[1:]):
        return "\n".join(cleaned[:1] + [f"– {line}" for line in cleaned[1:]])
    joined = ""
    for line in cleaned:
        if joined and not (has_han(joined[-1]) or re.search(r"[。！？；：]$", joined)):
            joined += " "
        joined += line
    return joined


__all__ = [
    "Candidate",
    "Passage",
    "Reading",
    "SentenceVectors",
    "Thresholds",
    "candidates",
    "display_lines",
    "evidence_suffices",
    "own_words",
    "passage",
    "read",
    "uses_every_word",
]
