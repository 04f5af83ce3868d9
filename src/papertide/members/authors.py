"""Authors and organisations: who a name on a paper is, their page, and members claiming it.

The name rule (`name_key`, pure): two spellings name the same author when they share the last name
and the first initial, after LaTeX accents are resolved (Bal\\'azs → Balázs), accents are dropped
(Müller → muller, Poincaré → poincare), case is folded, "Last, First" is turned around, and
suffixes (Jr., III) and punctuation are ignored. So "Yang Song", "Y. Song", "Song, Yang" and
"yang song" are one author; "Yang Song" and "Yu Song" are two (different initials), as are
"C.-P. Yuan" and "P. Yuan". Its known limit: two people with the same last name and initial are
one page (arXiv itself has no author identifiers); a claim by a member is what tells them apart.
`Papertide.authors` is one of these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from papertide.errors import Invalid
from papertide.model import Member, Paper
from papertide.query import Query
from papertide.store import Store
from papertide.text import readable

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_SPLIT = re.compile(r"[\s.]+")
MAX_AUTHOR_PAPERS = 500


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", readable(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str | None:
    """ "last f" for a person's name (see the module's rule), or None when there is no name."""
    text = _fold(name).strip()
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    parts = [re.sub(r"[^\w-]", "", p).strip("-") for p in _SPLIT.split(text)]
    parts = [p for p in parts if p and p not in _SUFFIXES]
    if not parts:
        return None
    last = parts[-1]
    initial = parts[0][0] if len(parts) > 1 else ""
    return f"{last} {initial}".strip()


@dataclass(frozen=True)
class AuthorPage:
    name: str  # as asked
    key: str
    spellings: list[str]  # the ways the papers write it, most common first
    papers: list[Paper]  # newest first
    upvotes: int
    claimed_by: str | None  # the member whose claim was approved


class ClaimError(Invalid):
    """A claim that cannot be made or decided; the message says why."""


class Authors:
    def __init__(self, store: Store, search: Callable[[Query, int], list[int]], clock: Callable[[], datetime]) -> None:
        # `search(query, limit)`: pks of papers matching an author: query, newest first (the keyword index)
        self.store, self.search, self.clock = store, search, clock

    def page(self, name: str) -> AuthorPage | None:
        """The author `name` names: their papers (newest first, up to MAX_AUTHOR_PAPERS)."""
        key = name_key(name)
        if key is None:
            return None
        surname = key.split(" ")[0]
        pks = self.search(Query(authors=tuple(w for w in re.split(r"[\W_]+", surname) if w)), MAX_AUTHOR_PAPERS * 4)
        found = self.store.papers_by_pk(pks)
        papers: list[Paper] = []
        spellings: dict[str, int] = {}
        for pk in pks:
            paper = found.get(pk)
            if paper is None:
                continue
            names = [a.name for a in paper.authors if name_key(a.name) == key]
            if names:
                papers.append(paper)
                for n in names:
                    spellings[readable(n)] = spellings.get(readable(n), 0) + 1
            if len(papers) >= MAX_AUTHOR_PAPERS:
                break
        if not papers:
            return None
        claimed = self.store.moderation.claim_holder(key)
        return AuthorPage(
            name=name,
            key=key,
            spellings=sorted(spellings, key=lambda s: -spellings[s]),
            papers=papers,
            upvotes=sum(p.votes for p in papers),
            claimed_by=claimed,
        )

    def claim(self, member: Member, paper_id: str, author_name: str) -> None:
        """Ask to be recognised as the author `author_name` of `paper_id` (a moderator decides)."""
        paper = self.store.get(paper_id)
        if paper is None:
            raise ClaimError(f"no paper {paper_id!r}")
        key = name_key(author_name)
        if key is None or not any(name_key(a.name) == key for a in paper.authors):
            raise ClaimError("that name is not among the paper's authors")
        holder = self.store.moderation.claim_holder(key)
        if holder is not None:
            raise ClaimError(f"this author is already claimed by {holder}")
        if not self.store.moderation.add_claim(member.id, key, readable(author_name), paper.id, self.clock()):
            raise ClaimError("you have already claimed this author; a moderator will decide")

    def claimed_among(self, names: list[str]) -> dict[str, str]:
        """{name: the claiming member's handle} for the names on a paper whose author is claimed."""
        keys = {n: k for n in names if (k := name_key(n))}
        holders = self.store.moderation.claim_holders(set(keys.values()))
        return {n: holders[k] for n, k in keys.items() if k in holders}

    def organization(self, name: str, limit: int = 200) -> list[Paper]:
        """Papers whose organisation is `name` (case and accents aside), newest first."""
        return self.store.papers_of_organization(name.strip(), limit)
