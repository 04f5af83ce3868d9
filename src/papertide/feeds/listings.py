"""The daily feed: which papers a day, week or month shows, and the trending list.

`parse_period` is pure (it turns `?date=`, `?week=`, `?month=` into a date range); `daily` and
`trending` read the store. The web pages, the JSON API, the feeds and the digest all call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from papertide.dates import DateError, parse_day, parse_month, parse_week
from papertide.errors import Invalid
from papertide.model import Paper
from papertide.search.rank import GRAVITY, TRENDING_WINDOW, trending_score
from papertide.search.rank import trending as rank_trending
from papertide.store import PaperStore


class PeriodError(Invalid):
    """A period parameter that cannot be used; the message says why."""


@dataclass(frozen=True)
class Period:
    kind: str  # "day", "week" or "month"
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        """The value of the query parameter that names this period (2025-10-29, 2025-W44, 2025-10)."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start:%A, %b} {self.start.day}, {self.start.year}"
        if self.kind == "week":
            last = self.end - timedelta(days=1)
            return f"Week {self.key[-2:]}: {self.start:%b} {self.start.day} – {last:%b} {last.day}, {last.year}"
        return f"{self.start:%B %Y}"

    def shifted(self, steps: int) -> Period:
        """The period `steps` away (calendar days, ISO weeks or months)."""
        if self.kind == "day":
            return day_period(self.start + timedelta(days=steps))
        if self.kind == "week":
            return week_period(self.start + timedelta(weeks=steps))
        months = self.start.year * 12 + self.start.month - 1 + steps
        return month_period(months // 12, months % 12 + 1)


def day_period(day: date) -> Period:
    return Period("day", day, day + timedelta(days=1))


def week_period(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=7))


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return Period("month", start, end)


def parse_period(day: str | None = None, week: str | None = None, month: str | None = None) -> Period | None:
    """The period named by exactly one of the parameters, None when none is given; PeriodError
    (with the reason in plain words) for anything else."""
    given = [v for v in (day, week, month) if v]
    if len(given) > 1:
        raise PeriodError("give one of date, week or month")
    try:
        if day:
            return day_period(parse_day(day))
        if week:
            return week_period(parse_week(week))
        if month:
            first = parse_month(month)
            return month_period(first.year, first.month)
    except DateError as exc:
        raise PeriodError(str(exc)) from None
    return None


@dataclass(frozen=True)
class Listing:
    period: Period
    papers: list[Paper]
    previous: Period | None  # for days: the nearest day with papers, else the calendar neighbour
    next: Period | None


def daily(store: PaperStore, period: Period | None, today: date, limit: int = 500) -> Listing:
    """The papers featured in `period`, most upvoted first. No period: today when it has papers,
    else the latest day that has (a catalogue fed yesterday still opens on something)."""
    if period is None:
        _, _, latest = store.featured_days_around(today)
        period = day_period(today if latest is None or latest >= today else latest)
    papers = store.featured_between(period.start, period.end, limit)
    # Previous and next skip over periods without papers and stop at the catalogue's ends.
    before, _, _ = store.featured_days_around(period.start)
    _, after, _ = store.featured_days_around(period.end - timedelta(days=1))
    previous = containing(period.kind, before) if before else None
    following = containing(period.kind, after) if after else None
    return Listing(period, papers, previous, following)


FILLED = 5  # a first screen with fewer papers than this looks abandoned rather than quiet


def opening(store: PaperStore, today: date, filled: int = FILLED) -> Period | None:
    """Where the home page opens: the latest day with papers (today when it has some), widened to
    its week and then its month while it shows fewer than `filled`; a month still short gives way to
    the latest of the two months before that is full, else the fullest of the three. A quiet
    community's site (or the demo) opens on a feed rather than on one paper. None: nothing featured."""
    _, _, latest = store.featured_days_around(today)
    if latest is None:
        return None
    day = today if latest >= today else latest

    def count(period: Period) -> int:
        return len(store.featured_between(period.start, period.end, filled))

    month = month_period(day.year, day.month)
    for period in (day_period(day), week_period(day), month):
        if count(period) >= filled:
            return period
    months = [(month, count(month))] + [(month.shifted(-k), count(month.shifted(-k))) for k in (1, 2)]
    return max(months, key=lambda pair: min(pair[1], filled))[0]  # max keeps the first (latest) of equals


def containing(kind: str, day: date) -> Period:
    """The day, ISO week or month that holds `day`."""
    if kind == "week":
        return week_period(day)
    if kind == "month":
        return month_period(day.year, day.month)
    return day_period(day)


def trending_anchor(store: PaperStore, now: datetime) -> datetime:
    """The moment trending is computed at: now, or the end of the latest featured day when the
    catalogue has nothing newer (a demo corpus or a paused ingest still shows a trending list)."""
    _, _, latest = store.featured_days_around(now.date())
    if latest is None:
        return now
    return min(now, datetime.combine(latest + timedelta(days=1), datetime.min.time()))


def trending(
    store: PaperStore, now: datetime, limit: int = 50, gravity: float = GRAVITY, anchor_to_latest: bool = True
) -> list[tuple[Paper, float]]:
    """Papers featured within TRENDING_WINDOW of the anchor (`trending_anchor`, or `now` itself
    when not `anchor_to_latest`), ranked by `rank.trending_score`."""
    anchor = trending_anchor(store, now) if anchor_to_latest else now
    start = (anchor - TRENDING_WINDOW).date()
    candidates = store.featured_between(start, anchor.date() + timedelta(days=1))
    ids, scores = rank_trending(candidates, anchor, gravity)
    by_id = {p.id: p for p in candidates}
    return [(by_id[i], s) for i, s in zip(ids, scores, strict=True)][:limit]


__all__ = ["Listing", "Period", "PeriodError", "daily", "parse_period", "trending", "trending_score"]
