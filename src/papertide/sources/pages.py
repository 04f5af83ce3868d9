"""Result pages captured from a paper-discovery site (the seeds in shared/seeds/), in two layouts.

- Line pairs: a header ("Get trending papers...", "Subscribe" glued to the first title), then a
  title line and an abstract line per paper.
- Cards: a header ("Daily Papers", "byAK and the research community", the capture day "Nov 17"),
  then per paper: title, abstract, "• 7 authors" or an organisation ("Sony Sony": the avatar's alt
  text and the name), "·", and a date with optional upvotes: "Mar 20, 2024 3", "Oct 23 2", "Oct 7".

The site omits the year for dates in the current year, so a date without a year belongs to the year
of capture: given by the caller, or else the year after the latest explicit year on the page.
Pages carry no arXiv ids; each paper gets a local id from its normalised title.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from papertide.ids import InvalidId, local_id
from papertide.model import Paper
from papertide.sources import Item, Rejected, SourceError, clean_text, find_code_url

_HEADER = (
    "new",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATE = re.compile(
    r"^(?P<mon>{}) (?P<day>\d{{1,2}})(?:, (?P<year>\d{{4}}))?(?: (?P<votes>\d+))?$".format("|".join(_MONTHS))
)
_AUTHORS = re.compile(r"^•?\s*(?P<n>\d+) authors?$")


def _decode(data: bytes, where: str) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"{where}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x})") from exc
    return [clean_text(line) for line in text.splitlines()]


def _organization(line: str) -> str:
    words = line.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])  # "Sony Sony": alt text + name
    return line


def _capture_year(lines: list[str]) -> int | None:
    years = [int(m.group("year")) for line in lines if (m := _DATE.match(line)) and m.group("year")]
    return max(years) + 1 if years else None


def _card_meta(line: str) -> tuple[int | None, str | None]:
    m = _AUTHORS.match(line)
    return (int(m.group("n")), None) if m else (None, _organization(line))


def _paper(where: str, title: str, abstract: str, **extra: object) -> Item:
    try:
        paper_id = local_id(title)
    except InvalidId:
        return Rejected(where, title[:80], "the title has no letters or digits to make an id from")
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        code_url=find_code_url(abstract),
        source="page",
        **extra,  # type: ignore[arg-type]
    )


def _parse_pairs(lines: list[str], where: str) -> list[Item]:
    body: list[str] = []
    for line in lines:
        if line.casefold() in _HEADER:
            continue
        if line.startswith("Subscribe") and not body:
            line = line.removeprefix("Subscribe").strip()
        if line:
            body.append(line)
    items: list[Item] = []
    for n in range(0, len(body), 2):
        title = body[n]
        if n + 1 >= len(body):
            items.append(Rejected(f"{where} paper {n // 2 + 1}", title, "title without an abstract"))
        else:
            items.append(_paper(f"{where} paper {n // 2 + 1}", title, body[n + 1]))
    return items


def _parse_cards(lines: list[str], where: str, year: int) -> list[Item]:
    body = [line for line in lines if line]
    i = 0
    while i < len(body) and (body[i].casefold() in _HEADER or _DATE.match(body[i])):
        i += 1  # the header, and the capture day ("Nov 17") under it
    items: list[Item] = []
    card = 0
    while i < len(body):
        card, title = card + 1, body[i]
        abstract = body[i + 1] if i + 1 < len(body) else ""
        i += 2
        meta_line, date_line = None, None
        if i + 1 < len(body) and body[i + 1] == "·":
            meta_line, date_line, i = body[i], body[i + 2] if i + 2 < len(body) else "", i + 3
        elif i < len(body) and body[i] == "·":
            date_line, i = body[i + 1] if i + 1 < len(body) else "", i + 2
        m = _DATE.match(date_line) if date_line is not None else None
        if not abstract or abstract == "·" or (date_line is not None and not m):
            items.append(Rejected(f"{where} card {card}", title, "card without an abstract or a readable date"))
            continue
        extra: dict[str, object] = {}
        if meta_line is not None:
            extra["author_count"], extra["organization"] = _card_meta(meta_line)
        if m:
            day = date(int(m.group("year") or year), _MONTHS.index(m.group("mon")) + 1, int(m.group("day")))
            extra.update(
                featured_date=day,
                published=datetime.combine(day, datetime.min.time()),
                upvotes=int(m.group("votes") or 0),
            )
        items.append(_paper(f"{where} card {card}", title, abstract, **extra))
    return items


# The site's own header lines: the marks by which a file is known to be a captured result page.
_MARKS = ("get trending papers in your email inbox", "daily papers", "byak and the research community")


def _has_header(lines: list[str]) -> bool:
    first = [line.casefold() for line in lines if line][:12]
    return any(line.startswith(_MARKS) or line.removeprefix("subscribe").startswith(_MARKS) for line in first)


def looks_like_page(head: bytes) -> bool:
    """Whether a file's first bytes show a result page's header (format detection)."""
    try:
        lines = [clean_text(line) for line in head.decode("utf-8-sig", "replace").splitlines()]
    except ValueError:
        return False
    return not head.lstrip().startswith(b"<") and _has_header(lines)


def parse_page(
    data: bytes, where: str = "page", capture_year: int | None = None, today: date | None = None
) -> list[Item]:
    """The papers of a captured result page; SourceError for a file that is not one (no header of
    the site, or markup: an HTML error page saved by mistake is not a paper)."""
    lines = _decode(data, where)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise SourceError(f"{where}: markup (HTML or XML), not the text of a captured result page")
    if not _has_header(lines):
        raise SourceError(
            f"{where}: not a captured result page: none of the site's header lines "
            "('Get trending papers in your email inbox', 'Daily Papers') opens it"
        )
    if "·" in lines or "daily papers" in (line.casefold() for line in lines):
        year = capture_year or _capture_year(lines) or (today or date.today()).year
        return _parse_cards(lines, where, year)
    return _parse_pairs(lines, where)
