"""Query parameters that several routes share, declared once: a search (the page, the JSON API and
the Atom feed take the same ones) and a period of the daily feed. Values a reader can get wrong
come in as text and are read here, so every mistake is a 400 with a message in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import BeforeValidator

from papertide.dates import DateError, parse_day
from papertide.feeds import listings
from papertide.numbers import MAX_ROW_ID, NumberError, parse_whole
from papertide.query import SORTS, Filters, QueryError
from papertide.search.retrieval import MODES
from papertide.web.views import MAX_PAGE

Text = Annotated[str | None, Query(max_length=10_000)]
Short = Annotated[str | None, Query(max_length=40)]


def ascii_whole(value: object) -> object:
    """Before pydantic reads an int: text must be a canonical whole number (`numbers.parse_whole`),
    so `²`, `١٢`, `１２`, ` 12`, `+12`, `1_2` and `12.0` are 400s, not 12s or 500s. None passes (optional)."""
    if value is None:
        return None
    return parse_whole(value, "the value")


Whole = BeforeValidator(ascii_whole)
# Row ids wherever one comes from outside: path, form field, query string or JSON body.
RowId = Annotated[int, Whole, Path(ge=1, le=MAX_ROW_ID)]
FormRowId = Annotated[int | None, Whole, Form(ge=1, le=MAX_ROW_ID)]
QueryRowId = Annotated[int, Whole, Query(ge=1, le=MAX_ROW_ID)]
BodyRowId = Annotated[int, Whole]
WholeInt = Annotated[int, Whole]  # any other whole number from outside (a JSON field, a query's limit)


@dataclass(frozen=True)
class Search:
    q: str
    mode: str | None
    sort: str | None
    filters: Filters
    page: int

    def sorted_by(self, default: str) -> str:
        return self.sort or default


def _int(value: str | None, name: str, low: int, high: int, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return parse_whole(value, name, low, high)
    except NumberError as exc:
        raise QueryError(str(exc)) from None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "on", "yes")


def search_params(
    q: Text = "",
    mode: Short = None,
    sort: Short = None,
    since: Short = None,
    until: Short = None,
    has_code: Short = None,
    min_upvotes: Short = None,
    p: Short = None,
) -> Search:
    """The search contract: words, mode (hybrid, keyword, semantic), sort (relevance, newest,
    upvotes), first published since/until (YYYY-MM-DD), has_code, min_upvotes, page p (from 1).
    Raises QueryError (answered 400) for a value that cannot be used."""
    if mode and mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}")
    if sort and sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}")
    try:
        first = parse_day(since, "since") if since else None
        last = parse_day(until, "until") if until else None
    except DateError as exc:
        raise QueryError(str(exc)) from None
    filters = Filters(first, last, _flag(has_code), _int(min_upvotes, "min_upvotes", 0, 1_000_000, None))
    page = _int(p, "the page", 1, MAX_PAGE, 1)
    assert page is not None
    return Search((q or "").strip(), mode or None, sort or None, filters, page)


def period_params(date: Short = None, week: Short = None, month: Short = None) -> listings.Period | None:
    """A day (date=2025-10-29), ISO week (week=2025-W44) or month (month=2025-10); raises
    listings.PeriodError (a 400) for anything else."""
    return listings.parse_period(date, week, month)


__all__ = [
    "BodyRowId",
    "FormRowId",
    "QueryRowId",
    "RowId",
    "Search",
    "Whole",
    "WholeInt",
    "ascii_whole",
    "period_params",
    "search_params",
]
