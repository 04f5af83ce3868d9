"""The one reading of a whole number that came from outside: a route, a form field, a cookie, a
cursor, a signed link, a header or a source file.

Python's `int()` and `str.isdigit()` both take more than a person means by a number: `"²".isdigit()`
is True and then `int("²")` raises (six routes answered 500 that way), `int("١٢")` and `int("１２")`
are 12, and pydantic's lax mode also reads `" 12 "`, `"+12"`, `"1_2"` and `"12.0"` as 12. A number
here is ASCII digits only (a minus sign at most), in its one canonical spelling (no plus, spaces, separators or leading
zeros — so what a signed link verifies is what acts), and inside the bounds its reader gives; the
error says so in plain words (the web answers it with a 400).
"""

from __future__ import annotations

import re

from papertide.errors import Invalid

# Ids of rows that come from outside are kept below PostgreSQL's INTEGER range (SQLite's is 2**63):
# one bound on both backends, so an id past it is a 400 everywhere, never an OverflowError.
MAX_ROW_ID = 2**31 - 1
# At most 19 digits: every accepted spelling fits a signed 64-bit integer before bounds are checked.
_WHOLE = re.compile(r"0|-?[1-9][0-9]{0,18}", re.ASCII)
_MAX_INT64 = 2**63 - 1


class NumberError(Invalid):
    """Text that is not a whole number in the accepted range; the message says which."""


def is_whole(text: str) -> bool:
    """True when `text` is a canonical whole number (ASCII digits, no leading zero, ≤ 19 digits)."""
    return isinstance(text, str) and _WHOLE.fullmatch(text) is not None


def parse_whole(text: object, name: str = "the number", low: int = 0, high: int = _MAX_INT64) -> int:
    """`text` as an int in [low, high]; NumberError otherwise. An int (from JSON) is taken as it is,
    then bounded; a bool or float never is a whole number here."""
    if isinstance(text, str) and is_whole(text):
        value: int | None = int(text)
    elif isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        value = None
    if value is None:
        said = f" between {low} and {high}" if high != _MAX_INT64 else " (digits 0-9)"
        raise NumberError(f"{name} must be a whole number{said}")
    if not low <= value <= high:
        raise NumberError(f"{name} must be between {low} and {high}")
    return value


def parse_row_id(text: object, name: str = "the id") -> int:
    """A row id from outside: 1 … MAX_ROW_ID."""
    return parse_whole(text, name, 1, MAX_ROW_ID)


def whole_or_none(text: object, low: int = 0, high: int = _MAX_INT64) -> int | None:
    """`parse_whole`, or None where it would raise: for values a reader tolerates being absent (a
    header's Retry-After, a source's advisory count)."""
    try:
        return parse_whole(text, "", low, high)
    except NumberError:
        return None


__all__ = ["MAX_ROW_ID", "NumberError", "is_whole", "parse_row_id", "parse_whole", "whole_or_none"]
