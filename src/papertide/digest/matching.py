"""Which saved searches a set of new papers matches (immediate alerts and the digest's section).

A paper matches a saved search when every word and phrase of its query occurs in it (read as the
keyword index reads words: stemmed, accents folded), its author:/cat:/-word parts hold, its filters
pass, and it is newer than the saved search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from papertide.index.keywords import Matcher
from papertide.model import SavedSearch
from papertide.query import Filters, Query, QueryError, parse_query


@dataclass(frozen=True)
class Compiled:
    """A saved search made ready to run: its parsed query and filters."""

    search: SavedSearch
    query: Query
    filters: Filters


def compile_search(search: SavedSearch) -> Compiled | None:
    """None for a query that no longer parses (it was checked when saved; kept safe anyway)."""
    try:
        query = parse_query(search.query)
    except QueryError:
        return None
    return None if query.is_empty else Compiled(search, query, Filters.from_dict(search.filters))


def match_searches(
    matcher: Matcher,
    searches: list[Compiled],
    per_search: int | None = None,
    on_error: Callable[[Compiled, Exception], None] | None = None,
) -> dict[int, dict[int, list[int]]]:
    """{member id: {paper pk: [ids of their saved searches it matches]}}, papers in match order
    (each saved search's best `per_search` matches: a mail lists a bounded number anyway). A search
    that raises is handed to `on_error` and skipped (re-raised without one): one member's search
    never stops everyone's alerts."""
    out: dict[int, dict[int, list[int]]] = {}
    for c in searches:
        try:
            found = matcher.matches(c.query, c.filters, per_search)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(c, exc)
            continue
        for pk in found:
            if pk > c.search.since_pk:
                out.setdefault(c.search.member_id, {}).setdefault(pk, []).append(c.search.id)
    return out
