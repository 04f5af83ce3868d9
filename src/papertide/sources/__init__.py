"""Where papers come from: a parser over bytes for each format (pure) and fetchers for the remote ones.

Every parser yields `Paper` records, or `Rejected` for a record it cannot use (with where and why),
so one bad record never stops an import; an input that cannot be read at all raises `SourceError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from papertide.model import Paper

__all__ = ["Item", "Rejected", "SourceError", "clean_text", "find_code_url", "parse_iso_datetime", "parsed"]


class SourceError(Exception):
    """An input that cannot be read at all (not XML, an API error page, a wrong encoding...)."""


@dataclass(frozen=True)
class Rejected:
    where: str  # e.g. "snapshot.jsonl:12" or "daily.json[3]"
    record: str | None  # the record's id or title, when it got that far
    reason: str

    def __str__(self) -> str:
        what = f" (record {self.record})" if self.record else ""
        return f"{self.where}{what}: {self.reason}"


Item = Paper | Rejected


def parsed(items: Iterable[Item], source: str) -> Iterator[Item]:
    """`items` as a parser yields them, where any error the parser itself raises (a ValueError on a
    malformed number, a KeyError on a missing element: a parser's mistake) is a SourceError naming the
    source: that file's run is undone and the next file goes on, instead of the whole command dying
    (an OAI file with `completeListSize="²"` did). Interruptions (KeyboardInterrupt) pass as they are."""
    stream = iter(items)
    while True:
        try:
            item = next(stream)
        except StopIteration:
            return
        except SourceError:
            raise
        except Exception as exc:  # any parser error: the one error a source has
            raise SourceError(f"{source}: could not be parsed: {type(exc).__name__}: {exc}") from exc
        yield item


_GITHUB = re.compile(r"https?://(?:www\.)?github\.com/[\w.\-]+/[\w.\-]+", re.IGNORECASE)


def clean_text(text: object) -> str:
    """Collapse the line wrapping and runs of spaces that feeds put inside titles and abstracts.
    Anything but text (a list, a number: malformed JSON) is a TypeError the parsers turn into a
    rejected record, never an AttributeError deep inside."""
    if not text:
        return ""
    if not isinstance(text, str):
        raise TypeError(f"expected text, not {type(text).__name__}")
    return " ".join(text.split())


def find_code_url(*texts: str | None) -> str | None:
    """The first GitHub repository URL in the texts (an abstract, a comments field), if any."""
    for text in texts:
        if text and "github" in text.lower():  # cheap test first: most abstracts have no link
            m = _GITHUB.search(text)
            if m:
                return m.group(0).rstrip(".").removesuffix(".git")
    return None


def parse_iso_datetime(text: str) -> datetime:
    """An ISO 8601 date or date-time, as naive UTC (the store keeps every time in UTC)."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
