"""LoadedDocument → DraftChunks: split at headings, then pack paragraphs, then sentences.

A chunk never spans two sections and never ends inside a sentence unless one sentence alone
is over the budget (then it is cut at commas, and only as a last resort at the budget).
Tokens are counted once per sentence and summed, and each finished chunk is counted once
more to check the sum, so the work stays linear in the size of the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ingest.document import Block, DraftChunk, LoadedDocument
from store.language import HAN, detect_lang, is_cjk
from store.schema import SECTION_SEPARATOR

TokenCounter = Callable[[str], int]

# What the text of a document's chunks looks like, from the loaders through the chunker: bump
# it when either changes what chunks hold (table rows with their headers, headings detected in
# PDFs, Markdown attribute lists dropped, ...), so the next ingest reads stored documents again
# instead of keeping their old cut.
TEXT_FORMAT = 4
_CLOSERS = "”’\"'」』）)》〉】\\]"
_TERMINATOR = re.compile(rf"(?:[。！？]+|…+|\.\.\.|[!?]+|[;；.])[{_CLOSERS}]*")
_ABBREVIATIONS = frozenset(
    "e.g i.e eg ie vs etc cf al approx appx mr mrs ms dr prof inc ltd co corp no nos fig figs "
    "st jr sr dept est min max avg incl ca vol pp p ed eds op resp".split()
)
_DOTTED = re.compile(r"^(?:[a-z]\.)+[a-z]$", re.I)  # u.s, a.m, e.g
_OPENERS = "\"'“‘(（[「『《"
# Where an over-long sentence may be cut: after Chinese commas and enumeration marks
# anywhere, after ASCII ones when a space or a CJK character follows (so 1,000 stays whole),
# and between table cells.
_CLAUSE_END = re.compile(rf"[，、：]|[,;:](?=\s|[{HAN}])|\s\|(?=\s)")
_OVERLAP_SLACK = 1.5


def _abbreviation_before(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot].lstrip(_OPENERS).lower()
    if not word:
        return False
    return (
        word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(_DOTTED.match(word))
    )


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    end = match.end()
    punct = match.group().rstrip(_CLOSERS.replace("\\", ""))
    after = text[end] if end < len(text) else ""
    before = text[match.start() - 1] if match.start() > 0 else ""
    if punct[0] in "。！？…":
        return True
    if not after:
        return punct not in (";",)
    if punct[0] == "；":
        return True
    if punct[0] == ";":
        return is_cjk(before) and is_cjk(after)  # a Chinese sentence typed with ASCII ";"
    if punct[0] in "!?":
        return after.isspace() or is_cjk(after)
    if not after.isspace():
        # "99.95%", "3.5", "v1.2", "example.com": a dot inside a token ends nothing, but a
        # Chinese sentence typed with an ASCII dot does.
        return is_cjk(after) and is_cjk(before)
    rest = text[end:].lstrip()
    following = rest[:1]
    if punct == "...":
        return bool(following) and (following.isupper() or is_cjk(following))
    if _abbreviation_before(text, match.start()):
        return False
    # A lower-case word after the dot means the dot was not a sentence end ("approx. two").
    return not (following.isalpha() and following.islower())


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Sentences of `text`, each with the separator ("" or " ") that preceded it."""
    out: list[tuple[str, str]] = []
    start = 0
    sep = ""
    for match in _TERMINATOR.finditer(text):
        if not _is_boundary(text, match):
            continue
        sentence = text[start : match.end()].strip()
        if sentence:
            out.append((sentence, sep))
        start = match.end()
        sep = " " if text[start : start + 1].isspace() else ""
    tail = text[start:].strip()
    if tail:
        out.append((tail, sep))
    if out:
        out[0] = (out[0][0], "")
    return out


def _split_clauses(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    start = 0
    sep = ""
    for match in _CLAUSE_END.finditer(text):
        end = match.end()
        piece = text[start:end].strip()
        if piece:
            out.append((piece, sep))
        sep = " " if text[end : end + 1].isspace() else ""
        start = end
    tail = text[start:].strip()
    if tail:
        out.append((tail, sep))
    return out


@dataclass(slots=True)
class _Piece:
    text: str
    cost: int  # tokens, without the counter's fixed per-call overhead
    sep: str  # what joins it to the previous piece of the same block
    prose: bool  # a sentence (or part of one) that may be repeated as overlap


@dataclass(slots=True)
class _Atom:
    """The smallest thing the packer places: a whole block when it fits, else one piece."""

    block: int
    pieces: list[_Piece]
    cost: int
    glue: bool = False  # a lead-in paragraph: keep it with the list that follows


Entry = tuple[int, _Piece]


class _Chunker:
    """Packs one section's blocks into chunk texts under the token budget."""

    def __init__(self, count: TokenCounter, max_tokens: int, overlap_tokens: int) -> None:
        self.count = count
        self.max = max_tokens
        self.overlap = overlap_tokens
        # Counters that add special tokens ([CLS], [SEP]) add them once per call, so pieces
        # are costed without them and the chunk pays them once.
        self.base = count("")
        self.join_cost = {
            "": 0,
            " ": max(0, count(" ") - self.base),
            "\n": max(0, count("\n") - self.base),
            "\n\n": max(0, count("\n\n") - self.base),
        }

    # -- pieces and atoms --------------------------------------------------------------

    def _cost(self, text: str) -> int:
        return max(0, self.count(text) - self.base)

    def _fits(self, cost: int) -> bool:
        return self.base + cost <= self.max

    def _pieces(self, text: str, sep: str, prose: bool) -> list[_Piece]:
        """`text` as one piece, or cut at commas, or as a last resort at the budget."""
        cost = self._cost(text)
        if self._fits(cost):
            return [_Piece(text, cost, sep, prose)]
        pieces: list[_Piece] = []
        clauses = _split_clauses(text)
        if len(clauses) > 1:
            for index, (clause, clause_sep) in enumerate(clauses):
                for piece in self._pieces(clause, clause_sep, prose):
                    pieces.append(piece)
                if index == 0 and pieces:
                    pieces[0].sep = sep
            return pieces
        for index, part in enumerate(self._hard_split(text)):
            joiner = sep if index == 0 else (" " if " " in text else "")
            pieces.append(_Piece(part, self._cost(part), joiner, prose))
        return pieces

    def _hard_split(self, text: str) -> list[str]:
        out: list[str] = []
        rest = text
        window = max(64, self.max * 8)
        while rest:
            high = min(len(rest), window)
            # Grow the window instead of counting the whole remainder each time.
            while self.count(rest[:high]) <= self.max:
                if high == len(rest):
                    out.append(rest)
                    return out
                high = min(len(rest), high * 2)
            low = 0
            while high - low > 1:
                middle = (low + high) // 2
                if self.count(rest[:middle]) <= self.max:
                    low = middle
                else:
                    high = middle
            cut = max(low, 1)
            space = rest.rfind(" ", 0, cut + 1)
            if space > cut // 2:
                cut = space  # do not cut inside a word when a space is close enough
            part, rest = rest[:cut].strip(), rest[cut:].strip()
            if part:
                out.append(part)
        return out

    def _atoms(self, index: int, block: Block, glue: bool) -> list[_Atom]:
        if block.kind == "table":
            # Each row carries its headers (ingest.loaders.tables), so rows split apart freely.
            rows = [row for row in block.text.split("\n") if row.strip()]
            pieces = [p for row in rows for p in self._pieces(row.strip(), "\n", False)]
            return self._group(index, pieces, glue)
        if block.kind == "code":
            parts = [part for part in re.split(r"\n\s*\n", block.text) if part.strip()]
            pieces = []
            for part in parts:
                cost = self._cost(part)
                if self._fits(cost):
                    pieces.append(_Piece(part, cost, "\n\n", False))
                else:
                    lines = [line for line in part.split("\n") if line.strip()]
                    for line_index, line in enumerate(lines):
                        for piece in self._pieces(line, "\n", False):
                            if line_index == 0:
                                piece.sep = "\n\n"
                            pieces.append(piece)
            return self._group(index, pieces, glue)
        pieces = []
        for sentence, sep in split_sentences(_with_marker(block)):
            pieces.extend(self._pieces(sentence, sep, True))
        return self._group(index, pieces, glue)

    def _group(self, index: int, pieces: list[_Piece], glue: bool) -> list[_Atom]:
        if not pieces:
            return []
        pieces[0].sep = ""
        whole = sum(p.cost for p in pieces) + sum(self.join_cost.get(p.sep, 1) for p in pieces[1:])
        if self._fits(whole):
            return [_Atom(index, pieces, whole, glue=glue)]
        return [_Atom(index, [piece], piece.cost) for piece in pieces]

    # -- packing -----------------------------------------------------------------------

    def _join(self, entries: list[Entry], atom: _Atom) -> int:
        if not entries:
            return 0
        if entries[-1][0] == atom.block:
            return self.join_cost.get(atom.pieces[0].sep, 1)
        return self.join_cost["\n"]

    def _estimate(self, entries: list[Entry]) -> int:
        total = self.base
        for position, (block, piece) in enumerate(entries):
            total += piece.cost
            if position:
                same = entries[position - 1][0] == block
                total += self.join_cost.get(piece.sep, 1) if same else self.join_cost["\n"]
        return total

    @staticmethod
    def _render(entries: list[Entry]) -> str:
        parts: list[str] = []
        previous = None
        for block, piece in entries:
            if parts:
                parts.append(piece.sep if block == previous else "\n")
            parts.append(piece.text)
            previous = block
        return "".join(parts).strip()

    def _overlap(self, entries: list[Entry]) -> list[Entry]:
        """Whole trailing sentences of a finished chunk, about `overlap` tokens of them."""
        chosen: list[Entry] = []
        total = 0
        for position in range(len(entries) - 1, 0, -1):  # never the whole chunk
            block, piece = entries[position]
            if not piece.prose:
                break
            cost = piece.cost + self.join_cost["\n"]
            if total + cost > self.overlap:
                if not chosen and cost <= self.overlap * _OVERLAP_SLACK:
                    chosen.append((block, piece))
                break
            chosen.append((block, piece))
            total += cost
        chosen.reverse()
        return chosen

    def pack(self, blocks: list[Block]) -> list[str]:
        """The chunk texts of one section, in order."""
        atoms: list[_Atom] = []
        for index, block in enumerate(blocks):
            glue = (
                block.kind == "paragraph"
                and index + 1 < len(blocks)
                and blocks[index + 1].kind == "list_item"
            )
            atoms.extend(self._atoms(index, block, glue))
        out: list[str] = []
        prefix: list[Entry] = []  # overlap
        members: list[int] = []
        estimate = self.base
        i = 0
        while i < len(atoms):
            atom = atoms[i]
            if not members:
                while prefix and self._estimate([*prefix, *self._entries(atom)]) > self.max:
                    prefix = prefix[1:]
                estimate = self._estimate(prefix)
            last = self._entries(atoms[members[-1]])[-1:] if members else prefix[-1:]
            added = self._join(last, atom) + atom.cost
            if members and (estimate + added > self.max or self._glue_break(atoms, i, estimate)):
                i, prefix = self._emit(atoms, prefix, members, out)
                members = []
                continue
            members.append(i)
            estimate += added
            i += 1
        if members:
            self._emit(atoms, prefix, members, out)
        return out

    @staticmethod
    def _entries(atom: _Atom) -> list[Entry]:
        return [(atom.block, piece) for piece in atom.pieces]

    def _glue_break(self, atoms: list[_Atom], i: int, estimate: int) -> bool:
        """Start a new chunk at a lead-in paragraph if that keeps it with its list."""
        atom = atoms[i]
        if not atom.glue or i + 1 >= len(atoms):
            return False
        following = atoms[i + 1]
        together = atom.cost + self.join_cost["\n"] + following.cost
        return estimate + self.join_cost["\n"] + together > self.max and self._fits(together)

    def _emit(
        self, atoms: list[_Atom], prefix: list[Entry], members: list[int], out: list[str]
    ) -> tuple[int, list[Entry]]:
        """Close the chunk (checking the real count); return where to resume and the overlap."""
        members = list(members)
        while True:
            entries = [*prefix, *(e for m in members for e in self._entries(atoms[m]))]
            text = self._render(entries)
            if self.count(text) <= self.max:
                break
            # The summed estimate was short (joins merged differently): give back the last
            # atom, then the overlap, then break a whole-block atom into its pieces.
            if len(members) > 1:
                members.pop()
            elif prefix:
                prefix = []
            elif len(atoms[members[0]].pieces) > 1:
                atom = atoms[members[0]]
                atoms[members[0] : members[0] + 1] = [
                    _Atom(atom.block, [piece], piece.cost) for piece in atom.pieces
                ]
                return members[0], []
            else:
                break  # one piece already cut at the budget: nothing smaller exists
        if text:
            out.append(text)
        return members[-1] + 1, self._overlap(entries)


def _with_marker(block: Block) -> str:
    """A list item keeps a marker in the chunk's text: without it the items a lead-in
    introduces ("These ports must be open:") read as unrelated lines, and an answer quoting the
    lead-in cannot tell where its list ends."""
    return f"- {block.text}" if block.kind == "list_item" else block.text


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def headings_as_text(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """A document of headings only (a list of linked titles): its leaf headings, those with no
    heading under them, become the list items of their parent's section, so it has text."""
    if any(block.kind != "heading" for block in blocks):
        return blocks
    out: list[Block] = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        leaf = following is None or following.level <= block.level
        out.append(Block("list_item", block.text) if leaf else block)
    return tuple(out)


def sections(doc: LoadedDocument) -> Iterator[tuple[str, list[Block]]]:
    """(heading path, body blocks) per section; the document's title heading is not a step."""
    blocks = headings_as_text(doc.blocks)
    headings = [block for block in blocks if block.kind == "heading"]
    level_one = [block for block in headings if block.level == 1]
    title = _norm(doc.meta.title)
    lone_h1 = headings[0] if headings and len(level_one) == 1 and headings[0].level == 1 else None
    path: list[tuple[int, str]] = []
    body: list[Block] = []
    for block in blocks:
        if block.kind != "heading":
            body.append(block)
            continue
        if body:
            yield SECTION_SEPARATOR.join(text for _, text in path), body
            body = []
        path = [(level, text) for level, text in path if level < block.level]
        if block is not lone_h1 and (not title or _norm(block.text) != title):
            path.append((block.level, block.text))
    if body:
        yield SECTION_SEPARATOR.join(text for _, text in path), body


def chunk_document(
    doc: LoadedDocument,
    count_tokens: Callable[[str], int],
    *,
    max_tokens: int = 200,
    overlap_tokens: int = 30,
) -> list[DraftChunk]:
    """Chunks under `max_tokens` that keep headings, paragraphs and sentences whole."""
    if max_tokens < 1 or overlap_tokens < 0:
        raise ValueError("max_tokens must be positive and overlap_tokens not negative")
    chunker = _Chunker(count_tokens, max_tokens, min(overlap_tokens, max_tokens // 2))
    chunks: list[DraftChunk] = []
    for section, blocks in sections(doc):
        for text in chunker.pack(blocks):
            chunks.append(DraftChunk(text, section, doc.meta.lang or detect_lang(text)))
    return chunks
