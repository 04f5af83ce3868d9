"""Moderation: roles (member, moderator, admin), reports of comments and papers, the moderators'
queue, hiding and restoring comments, suspending members — every act logged for admins.
`Papertide.moderation` is one of these; the CLI sets roles, the web has the queue and the log.

Rules: only moderators and admins act; nobody acts on themselves; a moderator cannot suspend a
moderator or an admin (an admin can); roles are set by an operator from the CLI only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from papertide.errors import Forbidden, Invalid
from papertide.ids import paper_path
from papertide.model import Member
from papertide.numbers import MAX_ROW_ID, whole_or_none
from papertide.store import Store
from papertide.text import clean_line

ROLES = ("member", "moderator", "admin")
KINDS = ("comment", "paper")
MAX_REASON = 1000


class ModerationError(Invalid):
    """Something a moderator (or a reporter) asked that cannot be done; the message says why."""


class NotAllowed(Forbidden):
    """The member may not do this."""


@dataclass(frozen=True)
class Report:
    id: int
    reporter: str
    kind: str
    target: str
    reason: str
    created_at: datetime
    context: str  # the comment's text and author, or the paper's title
    link: str  # where on the site the reported thing is


def _reason(text: str) -> str:
    reason = clean_line(text)[:MAX_REASON].strip()
    if not reason:
        raise ModerationError("say briefly what is wrong")
    return reason


class Moderation:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    # --- roles (operators, from the CLI) -----------------------------------------------------------
    def set_role(self, handle: str, role: str) -> Member:
        if role not in ROLES:
            raise ModerationError(f"role must be one of {', '.join(ROLES)}")
        member = self.store.community.member_by_handle(handle)
        if member is None:
            raise ModerationError(f"no member {handle!r}")
        self.store.moderation.set_role(member.id, role)
        self.store.moderation.log(None, "operator", f"role:{role}", f"member:{member.handle}", "", self.clock())
        found = self.store.community.member_by_id(member.id)
        assert found is not None
        return found

    # --- reports (any member) ----------------------------------------------------------------------
    def report(self, member: Member, kind: str, target: str, reason: str) -> int:
        if kind not in KINDS:
            raise ModerationError(f"kind must be one of {', '.join(KINDS)}")
        if kind == "comment":
            comment_id = whole_or_none(target, 1, MAX_ROW_ID)
            if comment_id is None or self.store.discussions.get(comment_id) is None:
                raise ModerationError("no such comment")
        elif self.store.get(target) is None:
            raise ModerationError(f"no paper {target!r}")
        return self.store.moderation.report(member.id, kind, target, _reason(reason), self.clock())

    # --- the queue and acts (moderators) -----------------------------------------------------------
    def _check(self, actor: Member) -> None:
        if not actor.moderates or actor.suspended_at is not None:
            raise NotAllowed("only moderators can do this")

    def queue(self, actor: Member) -> list[Report]:
        self._check(actor)
        out = []
        for r in self.store.moderation.open_reports():
            context, link = self._context(r["kind"], r["target"])
            out.append(
                Report(r["id"], r["reporter"], r["kind"], r["target"], r["reason"], r["created_at"], context, link)
            )
        return out

    def _context(self, kind: str, target: str) -> tuple[str, str]:
        if kind == "comment":
            comment_id = whole_or_none(target, 1, MAX_ROW_ID)
            comment = self.store.discussions.get(comment_id) if comment_id is not None else None
            if comment is None:
                return "(gone)", "/"
            state = " [deleted]" if comment.deleted_at else " [hidden]" if comment.hidden_at else ""
            link = f"{paper_path(comment.paper_id)}#comment-{comment.id}"
            return f"{comment.handle}: {comment.body[:300]}{state}", link
        paper = self.store.get(target)
        return (paper.title if paper else "(gone)"), paper_path(target)

    def _not_own(self, actor: Member, kind: str, target: str) -> None:
        """Nobody acts on themselves: not on their own comment, a paper they submitted, or a report
        about either (their interest is the one thing a moderator cannot weigh)."""
        if kind == "comment":
            comment_id = whole_or_none(target, 1, MAX_ROW_ID)
            comment = self.store.discussions.get(comment_id) if comment_id is not None else None
            if comment is not None and comment.member_id == actor.id:
                raise NotAllowed("you cannot moderate your own comment: another moderator decides")
        elif kind == "paper":
            paper = self.store.get(target)
            if paper is not None and paper.submitted_by and paper.submitted_by.lower() == actor.handle.lower():
                raise NotAllowed("you cannot moderate a paper you submitted: another moderator decides")

    def hide_comment(self, actor: Member, comment_id: int, reason: str, hidden: bool = True) -> None:
        self._check(actor)
        self._not_own(actor, "comment", str(comment_id))
        reason = _reason(reason) if hidden else clean_line(reason)[:MAX_REASON]
        if not self.store.discussions.set_hidden(comment_id, hidden, self.clock()):
            raise ModerationError("no such comment to " + ("hide" if hidden else "restore"))
        now = self.clock()
        action = "hide-comment" if hidden else "restore-comment"
        self.store.moderation.log(actor.id, actor.handle, action, f"comment:{comment_id}", reason, now)
        if hidden:
            self.store.moderation.resolve_about("comment", str(comment_id), actor.id, "hidden", now)

    def suspend(self, actor: Member, handle: str, reason: str, suspended: bool = True) -> None:
        """Suspend a member (their sessions and tokens end at once) or lift it."""
        self._check(actor)
        target = self.store.community.member_by_handle(handle)
        if target is None:
            raise ModerationError(f"no member {handle!r}")
        if target.id == actor.id:
            raise NotAllowed("you cannot suspend yourself")
        if target.moderates and actor.role != "admin":
            raise NotAllowed("only an admin can suspend a moderator or an admin")
        reason = _reason(reason) if suspended else clean_line(reason)[:MAX_REASON]
        if not self.store.moderation.set_suspended(target.id, suspended, self.clock()):
            raise ModerationError(f"{handle} is {'already' if suspended else 'not'} suspended")
        action = "suspend" if suspended else "unsuspend"
        self.store.moderation.log(actor.id, actor.handle, action, f"member:{target.handle}", reason, self.clock())

    def dismiss(self, actor: Member, report_id: int) -> None:
        self._check(actor)
        found = self.store.moderation.open_report(report_id)
        if found is not None:
            self._not_own(actor, found["kind"], found["target"])
        if not self.store.moderation.resolve(report_id, actor.id, "dismissed", self.clock()):
            raise ModerationError("no such open report")
        self.store.moderation.log(actor.id, actor.handle, "dismiss-report", f"report:{report_id}", "", self.clock())

    def claims(self, actor: Member) -> list[dict[str, Any]]:
        """Pending authorship claims, oldest first."""
        self._check(actor)
        return self.store.moderation.pending_claims()

    def decide_claim(self, actor: Member, claim_id: int, approve: bool) -> None:
        self._check(actor)
        found = self.store.moderation.claim(claim_id)
        if found is not None and found["member_id"] == actor.id:
            raise NotAllowed("you cannot decide your own authorship claim: another moderator decides")
        decided = self.store.moderation.decide_claim(claim_id, approve, actor.id, self.clock())
        if decided is None:
            raise ModerationError("no such pending claim (or that author is already claimed)")
        action = "approve-claim" if approve else "reject-claim"
        target = f"author:{decided['author_key']} by member:{decided['member_id']}"
        self.store.moderation.log(actor.id, actor.handle, action, target[:100], "", self.clock())

    def log(self, actor: Member, limit: int = 500) -> list[dict[str, Any]]:
        """Everything moderators and operators did, latest first (admins only)."""
        if actor.role != "admin" or actor.suspended_at is not None:
            raise NotAllowed("only admins can read the moderation log")
        return self.store.moderation.entries(limit)
