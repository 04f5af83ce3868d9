"""Reading a reader's query: words, "phrases", -exclusions, author:Name and cat:cs.LG.

Parsing is pure and total: any string gives a `Query` or a `QueryError` with a message fit to show
the reader; the store turns a `Query` into its own index's syntax, so no user text ever reaches an
index's query language unquoted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from papertide.dates import FIRST_YEAR, LAST_YEAR, DateError, parse_day
from papertide.errors import Invalid
from papertide.model import Paper

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64

# Words too common in English and in abstracts to tell papers apart; dropping them keeps an
# OR-query from touching every row of a million-paper index.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very via was we were what when where which while who whom why will with would you
    your yours yourself yourselves we us also using use used based
    """.split()
)

_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_WORD = re.compile(r"\w+")


SORTS = ("relevance", "newest", "upvotes")


@dataclass(frozen=True)
class Filters:
    """Narrowing a search by things a reader picks from the page rather than types."""

    since: date | None = None  # first published on or after
    until: date | None = None  # first published on or before
    has_code: bool = False
    min_upvotes: int | None = None

    def __post_init__(self) -> None:
        # The one date rule (dates.FIRST_YEAR–LAST_YEAR) holds for every Filters, however it was
        # made: a saved search with until=9999-12-31 came in through the JSON API's own date type
        # and then overflowed in every search, alert run and worker round that read it.
        for name in ("since", "until"):
            day = getattr(self, name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise QueryError(f"{name}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
        if self.since and self.until and self.since > self.until:  # the one since/until rule
            raise QueryError("since is after until")

    @property
    def active(self) -> bool:
        return self != Filters()

    def to_dict(self) -> dict[str, object]:
        """The filters that are set, as JSON values (a saved search keeps them so)."""
        out: dict[str, object] = {}
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.has_code:
            out["has_code"] = True
        if self.min_upvotes is not None:
            out["min_upvotes"] = self.min_upvotes
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Filters:
        """Read back `to_dict`'s output; a value that is not what it should be is left out."""

        def day(key: str) -> date | None:
            value = raw.get(key)
            try:
                return parse_day(value, key) if isinstance(value, str) else None
            except DateError:  # stored before the rule, or written by hand: left out
                return None

        votes = raw.get("min_upvotes")
        return cls(
            since=day("since"),
            until=day("until"),
            has_code=raw.get("has_code") is True,
            min_upvotes=votes if isinstance(votes, int) and not isinstance(votes, bool) and votes >= 0 else None,
        )

    def admits(self, paper: Paper) -> bool:
        published = paper.published.date() if paper.published else None
        if self.since and (published is None or published < self.since):
            return False
        if self.until and (published is None or published > self.until):
            return False
        if self.has_code and not paper.code_url:
            return False
        return not (self.min_upvotes and paper.votes < self.min_upvotes)


def sort_papers(papers: list[Paper], sort: str) -> list[Paper]:
    """Re-order relevance-ranked papers (stable: relevance breaks ties)."""
    if sort == "newest":
        return sorted(papers, key=lambda p: p.published or datetime.min, reverse=True)
    if sort == "upvotes":
        return sorted(papers, key=lambda p: p.votes, reverse=True)
    return papers


class QueryError(Invalid):
    """A query that cannot be run; the message says why in words a reader understands."""


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    text: str = field(default="", compare=False)
    # The words and phrases as typed (stop-words kept, operators removed): what semantic search embeds.
    free_text: str = field(default="", compare=False)

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is left to look for (e.g. only stop-words or exclusions)."""
        return not (self.terms or self.phrases or self.authors or self.categories)


def split_words(text: str) -> list[str]:
    """The searchable words of `text`, case-folded, as the query parser sees them."""
    return [w.casefold() for w in _WORD.findall(text)]


def _clean(text: str) -> str:
    # Control and format characters carry no meaning in a search box.
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def parse_query(text: str) -> Query:
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    text = _clean(text).strip()
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    authors: list[str] = []
    categories: list[str] = []
    free: list[str] = []
    for token in _TOKEN.findall(text):
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        lower = body.casefold()
        if lower.startswith("author:") and len(body) > 7:
            authors.extend(split_words(body[7:]))
        elif lower.startswith("cat:") and len(body) > 4:
            categories.append(body[4:].strip('"'))
        elif body.startswith('"'):
            words = tuple(split_words(body))
            if negative:
                excluded.extend(words)
            elif len(words) > 1:
                phrases.append(words)
            else:
                terms.extend(words)
            if not negative:
                free.append(body.strip('"'))
        elif negative:
            excluded.extend(split_words(body))
        else:
            terms.extend(w for w in split_words(body) if w not in STOP_WORDS)
            free.append(body)
    if len(terms) + sum(map(len, phrases)) + len(excluded) + len(authors) > MAX_TERMS:
        raise QueryError(f"query has too many words (at most {MAX_TERMS})")
    return Query(
        terms=tuple(dict.fromkeys(terms)),
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        authors=tuple(authors),
        categories=tuple(categories),
        text=text,
        free_text=" ".join(free),
    )


def matches_filters(query: Query, title: str, abstract: str, author_names: str, categories: tuple[str, ...]) -> bool:
    """Whether a paper found by meaning (not by the keyword index) passes the query's author:,
    cat: and -exclusion parts, read the way the keyword index reads them."""
    words = set(split_words(f"{title} {abstract}"))
    if any(w in words for w in query.excluded):
        return False
    names = set(split_words(author_names))
    if not all(a in names for a in query.authors):
        return False
    return all(
        any(c == cat or ("." not in cat and c.startswith(cat + ".")) for c in categories) for cat in query.categories
    )
