"""A paper as readers see it, whatever renders it: the card (title, byline, date, votes, links),
the BibTeX entry. The web pages, the JSON API, the Atom feeds and the digest all take these.

Links from outside (a source's code or project URL) reach a reader only through `safe_link`: an
http(s) URL or nothing, so no `javascript:` or `data:` link is ever rendered, wherever it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from papertide.ids import is_local_id
from papertide.model import Paper
from papertide.text import readable, safe_link

SUMMARY_CHARS = 280


def byline(paper: Paper) -> str:
    """What a card shows under the title: the organisation, else the authors (up to three, then
    "et al."), else the author count as the seed pages give it."""
    if paper.organization:
        return readable(paper.organization)
    if paper.authors:
        names = [readable(a.name) for a in paper.authors]
        return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} et al."
    n = paper.n_authors
    if not n:
        return ""
    return f"{n} authors" if n != 1 else "1 author"


def arxiv_links(paper: Paper) -> tuple[str | None, str | None]:
    """The paper's arXiv abstract and PDF pages (none for a title-only record)."""
    if is_local_id(paper.id):
        return None, None
    return f"https://arxiv.org/abs/{paper.id}", f"https://arxiv.org/pdf/{paper.id}"


def moment_label(moment: datetime | date | str | None, time: bool = False) -> str:
    """Any date or time the site shows, in its one format: "Nov 5, 2025" (with `time`: "Nov 5,
    2025, 09:00 UTC"); ISO strings (as cards carry them) are read first."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        text = moment
        try:
            moment = datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return text
    day = moment.date() if isinstance(moment, datetime) else moment
    label = date_label(day)
    if time and isinstance(moment, datetime):
        label += f", {moment:%H:%M} UTC"
    return label


def date_label(day: date | None) -> str:
    """One date format everywhere: "Nov 5, 2025"."""
    return f"{day:%b} {day.day}, {day.year}" if day else ""


@dataclass(frozen=True)
class Card:
    """A paper on a list or its own page, in readable text (LaTeX and entities resolved; every
    renderer escapes for its own output)."""

    id: str
    title: str
    abstract: str
    summary: str
    byline: str
    authors: tuple[str, ...]
    affiliations: tuple[str | None, ...]
    author_count: int | None
    organization: str | None
    day: date | None  # featured, else first published
    published: str | None  # ISO date-time
    featured_date: str | None
    updated: str | None
    version: int | None
    upvotes: int
    submitted_by: str | None
    categories: tuple[str, ...]
    code_url: str | None
    project_url: str | None
    abs_url: str | None
    pdf_url: str | None
    comments: str | None
    journal_ref: str | None
    doi: str | None
    num_comments: int = 0  # visible comments in the discussion under it
    github_stars: int | None = None  # its code repository's stars
    keywords: tuple[str, ...] = ()  # key phrases (keywords.py)

    @property
    def date_label(self) -> str:
        return date_label(self.day)


def card(paper: Paper) -> Card:
    when: date | None = paper.featured_date or (paper.published.date() if paper.published else None)
    abstract = readable(paper.abstract)
    summary = abstract
    if len(abstract) > SUMMARY_CHARS:
        summary = abstract[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    abs_url, pdf_url = arxiv_links(paper)
    return Card(
        id=paper.id,
        title=readable(paper.title),
        abstract=abstract,
        summary=summary,
        byline=byline(paper),
        authors=tuple(readable(a.name) for a in paper.authors),
        affiliations=tuple(a.affiliation for a in paper.authors),
        author_count=paper.n_authors,
        organization=paper.organization,
        day=when,
        published=paper.published.isoformat() if paper.published else None,
        featured_date=paper.featured_date.isoformat() if paper.featured_date else None,
        updated=paper.updated.isoformat() if paper.updated else None,
        version=paper.version,
        upvotes=paper.votes,
        submitted_by=paper.submitted_by,
        categories=paper.categories,
        code_url=safe_link(paper.code_url),
        project_url=safe_link(paper.project_url),
        abs_url=abs_url,
        pdf_url=pdf_url,
        comments=readable(paper.comments) if paper.comments else None,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
        num_comments=paper.member_comments,
        github_stars=paper.github_stars,
        keywords=paper.keywords,
    )


def bibtex(paper: Paper) -> str:
    """A BibTeX entry for the paper (arXiv's @misc style)."""
    first = paper.authors[0].name.split()[-1].lower() if paper.authors else "anon"
    first = re.sub(r"[^a-z0-9]", "", first) or "anon"
    year = paper.published.year if paper.published else (paper.featured_date.year if paper.featured_date else "")
    word = next((w.lower() for w in readable(paper.title).split() if len(w) > 3 and w.isalpha()), "paper")
    fields = [("title", readable(paper.title)), ("author", " and ".join(a.name for a in paper.authors))]
    fields.append(("year", str(year)))
    if not is_local_id(paper.id):
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", f"https://arxiv.org/abs/{paper.id}"))
    body = ",\n".join(f"  {k} = {{{_bibtex_value(v)}}}" for k, v in fields if v)
    return f"@misc{{{first}{year}{word},\n{body}\n}}"


def _bibtex_value(text: str) -> str:
    """Braces balanced, so a stray one in a title cannot end the field early."""
    depth, out = 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth
