"""Where a reader's words are in a paper: the matched words of a title, and the part of the abstract
that holds most of them (a query-biased snippet). Pure functions over text.

Words are matched the way the keyword index matches them: runs of letters and digits, accents
folded, lower-cased, reduced to their English stem (Snowball, as tantivy's "english" stemmer), so
"models" marks "model" and "Modeling". Results are character ranges, never markup: each renderer
(HTML templates, the JSON API) escapes the text and marks the ranges itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from papertide.text import english_stem

_WORD = re.compile(r"\w+")
# Work per document is bounded whatever its length (a stored abstract may predate the ingest limits
# of records.FIELD_LIMITS): only the first MAX_SCAN characters are searched for matches and at most
# MAX_MARKS matches are kept. The probe's multi-megabyte abstract spent 106 of 120 s in a window scan
# that was quadratic in the matches; the scan below is one pass.
MAX_SCAN = 20_000
MAX_MARKS = 1_000
Span = tuple[int, int]


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """`word` as the index holds it: accents folded, lower-cased, stemmed."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode() or word
    return english_stem(folded.lower())


def stems(words: Iterable[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words if w)


def marks(text: str, wanted: frozenset[str]) -> list[Span]:
    """The character ranges of the words of `text` whose stems are `wanted` (within its first
    MAX_SCAN characters, at most MAX_MARKS of them)."""
    if not wanted:
        return []
    found: list[Span] = []
    for m in _WORD.finditer(text, 0, MAX_SCAN):
        if stem(m.group(0)) in wanted:
            found.append((m.start(), m.end()))
            if len(found) == MAX_MARKS:
                break
    return found


@dataclass(frozen=True)
class Snippet:
    text: str
    marks: list[Span]
    clipped_start: bool  # text was cut before (an ellipsis belongs in front)
    clipped_end: bool


def snippet(text: str, wanted: frozenset[str], width: int = 240) -> Snippet:
    """The `width` characters of `text` holding the most distinct wanted words (then the most
    matches, then the earliest), cut at word boundaries, with the matches' ranges in it."""
    found = marks(text, wanted)
    if len(text) <= width:
        return Snippet(text, found, False, False)
    if not found:
        end = _cut_before(text, width)
        return Snippet(text[:end], [], False, True)
    # One pass: a window opening at each match, its far end moving forward only, the stems inside
    # counted as they enter and leave (linear in the matches, each stemmed once).
    keys = [stem(text[a:b]) for a, b in found]
    inside: dict[str, int] = {}
    best: tuple[int, int, int] | None = None  # (-distinct, -count, start)
    last = 0  # one past the window's last match
    for first, (start, _) in enumerate(found):
        last = max(last, first)
        while last < len(found) and found[last][1] <= start + width:
            inside[keys[last]] = inside.get(keys[last], 0) + 1
            last += 1
        score = (-len(inside), -(last - first), start)
        if best is None or score < best:
            best = score
        if first < last:  # (a word longer than the window never entered it)
            inside[keys[first]] -= 1
            if not inside[keys[first]]:
                del inside[keys[first]]
    assert best is not None
    # Open a little before the first match, so the snippet starts with some context.
    start = max(0, best[2] - width // 6)
    start = _cut_after(text, start) if start else 0
    end = min(len(text), start + width)
    end = _cut_before(text, end) if end < len(text) else end
    window = [(a - start, b - start) for a, b in found if a >= start and b <= end]
    return Snippet(text[start:end], window, start > 0, end < len(text))


def _cut_before(text: str, index: int) -> int:
    """An index at or before `index` that does not split a word."""
    space = text.rfind(" ", 0, index)
    return space if space > 0 else index


def _cut_after(text: str, index: int) -> int:
    """An index at or after `index` that does not split a word."""
    space = text.find(" ", index)
    return space + 1 if 0 <= space < index + 40 else index


def segments(text: str, spans: list[Span]) -> list[tuple[str, bool]]:
    """`text` as (piece, is_match) runs, for a renderer that escapes each piece."""
    out: list[tuple[str, bool]] = []
    at = 0
    for a, b in spans:
        if a > at:
            out.append((text[at:a], False))
        out.append((text[a:b], True))
        at = b
    if at < len(text):
        out.append((text[at:], False))
    return out
