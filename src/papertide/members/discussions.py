"""A discussion under every paper: comments and replies in Markdown, edited and deleted by their
authors, @-mentions that mail the member mentioned. `Papertide.discussions` is one of these.

Rendering is two kept libraries, never hand-made escaping: markdown-it-py (CommonMark, raw HTML
off) turns the text into HTML, and nh3 (ammonia) keeps only an allow-list of tags, the `href` of
links with an http, https or mailto scheme (or a path on this site), and marks every link
`nofollow ugc`. LaTeX between $…$ is shown as Unicode (α ≤ β) first, as abstracts are.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import nh3
from markdown_it import MarkdownIt

from papertide.errors import Invalid, NotFound
from papertide.model import Comment, Member
from papertide.store import Store
from papertide.text import math_readable, math_spans

MAX_BODY = 10_000
# Work per comment is bounded where it is written, and done once: the HTML is stored (`Comment.html`).
# Each math span costs ~0.07 ms in pylatexenc (3,334 of them, '$ $' * 3334, took 0.23 s to render,
# and that on every view before the HTML was kept); 100 spans is ~7 ms once, when posted.
MAX_MATH_SPANS = 100
MAX_HTML = 100_000  # rendered size; 10,000 characters of ordinary Markdown come to ~18 kB
MAX_DEPTH = 4  # replies nest this deep on the page; deeper ones are shown at this depth
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_HEADINGS = re.compile(r"<(/?)h[12]>")  # a comment's heading never outranks the page's own
_MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_][A-Za-z0-9_-]{1,31})\b")
_TICKS = re.compile(r"`+")


class DiscussionError(Invalid):
    """A comment that cannot be posted or changed; the message says why."""


class NoSuchComment(NotFound):
    """A comment that does not exist, or is not the member's to change."""


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the `code` spans in `text`, as CommonMark reads them: a run of N backticks
    up to the next run of exactly N. One pass over the runs (a regex with a back-reference took
    seconds on 9,000 backticks: a comment must never cost that)."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(i)
    spans, i = [], 0
    while i < len(runs):
        start, end = runs[i]
        same = by_length[end - start]
        k = bisect.bisect_right(same, i)
        if k < len(same):
            j = same[k]
            spans.append((start, runs[j][1]))
            i = j + 1
        else:
            i += 1
    return spans


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to everything outside its code spans."""
    pieces, last = [], 0
    for start, end in code_spans(text):
        pieces.append(change(text[last:start]))
        pieces.append(text[start:end])
        last = end
    pieces.append(change(text[last:]))
    return "".join(pieces)


def mentioned(body: str) -> list[str]:
    """The handles @-mentioned in `body` (outside `code`), in order, once each."""
    found: list[str] = []

    def collect(part: str) -> str:
        found.extend(_MENTION.findall(part))
        return part

    _outside_code(body, collect)
    return list(dict.fromkeys(found))


def render(body: str, members: set[str] | frozenset[str] = frozenset()) -> str:
    """The comment as safe HTML; @handle links to the member's page when `members` holds it."""

    def link(match: re.Match[str]) -> str:
        handle = match.group(1)
        return f"[@{handle}](/u/{handle})" if handle in members else match.group(0)

    # mentions and math outside code spans only
    text = _outside_code(body, lambda part: _MENTION.sub(link, math_readable(part)))
    html = _HEADINGS.sub(r"<\1h3>", _MARKDOWN.render(text))
    return str(
        nh3.clean(
            html,
            tags=_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow ugc noopener",
        )
    )


@dataclass(frozen=True)
class Shown:
    """A comment as a page shows it: its rendered HTML and how deep it sits."""

    comment: Comment
    html: str
    depth: int

    @property
    def deleted(self) -> bool:
        return self.comment.deleted_at is not None

    @property
    def hidden(self) -> bool:
        """Hidden by a moderator: readers see a placeholder, moderators the text (to restore it)."""
        return self.comment.hidden_at is not None

    def readable_by(self, moderator: bool) -> bool:
        """The one hidden-comment rule: whether a reader sees the text — not deleted, and not hidden
        by a moderator unless the reader moderates (the page, the API and the feed all ask this)."""
        return not self.deleted and (not self.hidden or moderator)

    def as_read_by(self, moderator: bool) -> Shown:
        """This comment as the reader gets it: a hidden one's text withheld from all but moderators."""
        if self.hidden and not moderator:
            return Shown(dataclasses.replace(self.comment, body=""), "", self.depth)
        return self


def arrange(thread: list[Comment], members: set[str]) -> list[Shown]:
    """The thread in reading order: each comment followed by its replies (oldest first), with
    depth; rendered once each."""
    children: dict[int | None, list[Comment]] = {}
    for c in thread:
        children.setdefault(c.parent_id, []).append(c)
    out: list[Shown] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            html = "" if c.deleted_at else c.html if c.html is not None else render(c.body, members)
            out.append(Shown(c, html, min(depth, MAX_DEPTH)))
            walk(c.id, depth + 1)

    walk(None, 0)
    return out


def _body(text: str) -> str:
    body = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise DiscussionError("the comment is empty")
    if len(body) > MAX_BODY:
        raise DiscussionError(f"the comment is too long ({len(body)} characters; at most {MAX_BODY})")
    if math_spans(body, MAX_MATH_SPANS) > MAX_MATH_SPANS:
        raise DiscussionError(f"the comment has too much math: at most {MAX_MATH_SPANS} $…$ spans")
    return body


class Discussions:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    def _rendered(self, body: str) -> str:
        """The comment's HTML, made once when it is written (mentions link the members known then)."""
        html = render(body, set(self.store.discussions.handles_known(mentioned(body))))
        if len(html) > MAX_HTML:
            raise DiscussionError("the comment would be too long once formatted; make it shorter")
        return html

    def post(self, member: Member, paper_id: str, text: str, parent_id: int | None = None) -> Comment:
        """A new comment (a reply when `parent_id` names a comment under the same paper)."""
        body = _body(text)
        pk = self.store.pks_for_ids([paper_id]).get(paper_id)
        if pk is None:
            raise NoSuchComment(f"no paper {paper_id!r}")
        made = self.store.discussions.add(pk, member.id, body, parent_id, self.clock(), self._rendered(body))
        if made is None:
            raise NoSuchComment("the comment you reply to is gone")
        found = self.store.discussions.get(made)
        assert found is not None
        return found

    def edit(self, member: Member, comment_id: int, text: str) -> Comment:
        body = _body(text)
        if not self.store.discussions.edit(comment_id, member.id, body, self.clock(), self._rendered(body)):
            raise NoSuchComment("no such comment of yours")
        found = self.store.discussions.get(comment_id)
        assert found is not None
        return found

    def delete(self, member: Member, comment_id: int) -> None:
        if not self.store.discussions.delete(comment_id, member.id, self.clock()):
            raise NoSuchComment("no such comment of yours")

    def get(self, comment_id: int) -> Comment | None:
        return self.store.discussions.get(comment_id)

    def thread(self, paper_id: str) -> list[Shown]:
        """The paper's discussion in reading order, rendered."""
        pk = self.store.pks_for_ids([paper_id]).get(paper_id)
        if pk is None:
            return []
        comments = self.store.discussions.thread(pk)
        handles = {h for c in comments if not c.deleted_at and c.html is None for h in mentioned(c.body)}
        known = set(self.store.discussions.handles_known(handles))
        return arrange(comments, known)

    def to_notify(self, comment: Comment) -> list[tuple[int, str]]:
        """(member id, email) of the members a new comment mentions who want mail (not its author)."""
        known = self.store.discussions.handles_known(mentioned(comment.body))
        return [(mid, email) for handle, (mid, email, wants) in known.items() if wants and mid != comment.member_id]

    def set_mention_mail(self, member: Member, wanted: bool) -> None:
        self.store.discussions.set_mention_mail(member.id, wanted)
