"""Paper identifiers: arXiv ids (new and old style, with or without a version) and local title ids."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from urllib.parse import quote

from papertide.errors import Invalid

# 2310.01234, 0704.0001 (4-digit numbers before 2015), optionally versioned: 2310.01234v3
_NEW_STYLE = re.compile(r"(?P<id>[0-9]{4}\.[0-9]{4,5})(?:v(?P<v>[1-9][0-9]{0,3}))?")
# hep-th/9901001, math.GT/0309136, optionally versioned
_OLD_STYLE = re.compile(r"(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v(?P<v>[1-9][0-9]{0,3}))?")
_URL_PREFIX = re.compile(r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", re.IGNORECASE)

LOCAL_PREFIX = "local-"
# An arXiv category or archive id: cs.LG, math.GR, hep-th, q-bio.NC, cond-mat.mes-hall (not an MSC
# or ACM class such as "20M20," or "I.2.7", which arXiv's Atom also carries as category terms).
ARXIV_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")
_NON_WORD = re.compile(r"[\W_]+")


# Any paper id: letters, digits, ".", "-" and "_", starting with a letter or digit, at most 64
# characters (the column's size), no ".." (an id is put into paths and file names); plus the one "/"
# of an old-style arXiv id (hep-th/9901001). A record outside it is rejected at ingest: an id such
# as "../papers/local-…" made its card link to, and its vote button vote for, another paper.
_PAPER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
MAX_ID = 64


class InvalidId(Invalid):
    pass


def paper_path(paper_id: str) -> str:
    """The paper page's path, the id percent-encoded (an old-style arXiv id keeps its "/"): every
    link to a paper, in HTML, Atom, Markdown, mail and redirects, is built here."""
    return "/papers/" + quote(paper_id, safe="/")


def is_paper_id(text: str) -> bool:
    """Whether `text` may be a paper's id (see `_PAPER_ID`)."""
    if not isinstance(text, str) or len(text) > MAX_ID or ".." in text:
        return False
    if "/" in text:
        old = _OLD_STYLE.fullmatch(text)
        return old is not None and old.group("v") is None
    return _PAPER_ID.fullmatch(text) is not None


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id, abs/pdf URL or `arXiv:` reference into (id without version, version or None)."""
    raw = _URL_PREFIX.sub("", text.strip())
    raw = raw.removesuffix(".pdf")
    for pattern in (_NEW_STYLE, _OLD_STYLE):
        m = pattern.fullmatch(raw)
        if m:
            return m.group("id"), int(m.group("v")) if m.group("v") else None
    raise InvalidId(f"not an arXiv id: {text!r}")


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidId:
        return False
    return True


@functools.lru_cache(maxsize=8192)  # ingest asks for a batch's keys twice (lookup, then write)
def title_key(title: str) -> str:
    """A normalised title that survives case, accents, punctuation, LaTeX braces and spacing changes.

    Two records with the same key are taken to be the same paper (used to merge a title-only record
    from a result page with the arXiv record that arrives later).
    """
    if title.isascii():  # nearly every title: skip the per-character accent stripping
        text = title.lower()
    else:
        text = unicodedata.normalize("NFKD", title)
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def title_hash(key: str) -> int:
    """A signed 64-bit hash of a title key: what the store indexes to find papers by title (an
    integer index stays small and cached where the text one did not). Stored values depend on it:
    changing it needs a migration that recomputes them."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True)


def local_id(title: str) -> str:
    """A stable id for a paper known only by its title: `local-` and 12 hex digits of the key's hash."""
    key = title_key(title)
    if not key:
        raise InvalidId("cannot make an id from an empty title")
    return LOCAL_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:12]


def is_local_id(paper_id: str) -> bool:
    return paper_id.startswith(LOCAL_PREFIX)


def is_arxiv_category(term: str) -> bool:
    return bool(ARXIV_CATEGORY.match(term))


# github.com/OWNER/REPO[.git][/anything]: the repository a paper's code link names. Paths under
# github.com that are not repositories (orgs/…, topics/…) name none.
_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9-]{1,39})/([A-Za-z0-9_.-]{1,100})(?:[/#?].*)?$")
_NOT_OWNERS = frozenset({"orgs", "topics", "features", "sponsors", "settings", "marketplace", "collections", "about"})


def github_repo(url: str | None) -> str | None:
    """ "owner/repo" (lower case: GitHub's names are case-insensitive) for a GitHub repository URL."""
    match = _GITHUB.match((url or "").strip())
    if match is None or match.group(1).lower() in _NOT_OWNERS:
        return None
    repo = match.group(2).removesuffix(".git")
    return f"{match.group(1)}/{repo}".lower() if repo and repo not in (".", "..") else None
