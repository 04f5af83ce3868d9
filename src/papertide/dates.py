"""Reading the dates readers and operators type: a day (2025-10-29), an ISO week (2025-W44), a month
(2025-10). One parser for every date parameter everywhere, within the years a catalogue of papers
can mean (FIRST_YEAR–LAST_YEAR), so that nothing downstream (a day after, the week's Sunday, the
next month) can step out of the calendar; every mistake is a DateError with a plain message."""

from __future__ import annotations

import re
from datetime import date

from papertide.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 2199
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


class DateError(Invalid):
    """A date a reader typed that cannot be used; the message says why and what is expected."""


def _year(year: int, name: str) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateError(f"{name}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def parse_day(text: str, name: str = "date") -> date:
    m = _DAY.match(text.strip())
    if not m:
        raise DateError(f"{name}: {text[:40]!r} is not a date like 2025-10-29")
    year = _year(int(m[1]), name)
    try:
        return date(year, int(m[2]), int(m[3]))
    except ValueError:
        raise DateError(f"{name}: {text[:40]!r} is not a day of the calendar") from None


def parse_week(text: str, name: str = "week") -> date:
    """The Monday of ISO week `text`."""
    m = _WEEK.match(text.strip())
    if not m:
        raise DateError(f"{name}: {text[:40]!r} is not a week like 2025-W44")
    year, week = _year(int(m[1]), name), int(m[2])
    weeks_in_year = date(year, 12, 28).isocalendar()[1]
    if not 1 <= week <= weeks_in_year:
        raise DateError(f"{name}: {year} has weeks 1 to {weeks_in_year}")
    return date.fromisocalendar(year, week, 1)


def parse_month(text: str, name: str = "month") -> date:
    """The first day of month `text`."""
    m = _MONTH.match(text.strip())
    if not m:
        raise DateError(f"{name}: {text[:40]!r} is not a month like 2025-10")
    month = int(m[2])
    if not 1 <= month <= 12:
        raise DateError(f"{name}: the month must be between 01 and 12")
    return date(_year(int(m[1]), name), month, 1)
