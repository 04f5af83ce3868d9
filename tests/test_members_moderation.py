"""Moderation (issue 18, item 2): roles set from the CLI, reports, the moderators' queue, hiding
and restoring comments, suspensions that end sessions and tokens, and the log admins read; the
library on both backends, the pages over real HTTP."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from papertide import Papertide
from papertide.members.accounts import AccountError, Accounts
from papertide.members.moderation import ModerationError, NotAllowed
from papertide.model import Member
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore
from test_web import csrf_of, signed_up

from conftest import FAST_HASHER, FIXTURES, Clock, LiveApp, new_member

ON_BOTH_BACKENDS = True
NOW = datetime(2025, 11, 5, 9, 0)


@pytest.fixture
def pt(store: SqlStore, tmp_path: Path) -> Papertide:
    pt = Papertide(store, tmp_path, encoder=None, clock=Clock(NOW))
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    return pt


def accounts(pt: Papertide) -> Accounts:
    return Accounts(pt._store.community, Clock(NOW), pt._store.api_tokens, hasher=FAST_HASHER)


def member(pt: Papertide, handle: str, role: str = "member") -> Member:
    made = new_member(pt, handle, True, NOW)
    return pt.moderation.set_role(handle, role) if role != "member" else made


def test_reports_the_queue_and_hiding_a_comment(pt: Papertide) -> None:
    ada, troll, mod = member(pt, "ada"), member(pt, "troll"), member(pt, "mod", "moderator")
    bad = pt.discussions.post(troll, "c01", "spam spam")
    pt.discussions.post(ada, "c01", "a real question")
    pt.moderation.report(ada, "comment", str(bad.id), "spam\n\u202e")
    pt.moderation.report(ada, "paper", "c03", "not a paper")
    with pytest.raises(ModerationError, match="say briefly what is wrong"):
        pt.moderation.report(ada, "comment", str(bad.id), "  ")
    with pytest.raises(ModerationError, match="no such comment"):
        pt.moderation.report(ada, "comment", "999999", "x")
    with pytest.raises(NotAllowed):
        pt.moderation.queue(ada)
    queue = pt.moderation.queue(mod)
    assert [(r.kind, r.target, r.reason, r.reporter) for r in queue] == [
        ("comment", str(bad.id), "spam", "ada"),
        ("paper", "c03", "not a paper", "ada"),
    ]
    assert queue[0].context == "troll: spam spam" and queue[0].link == f"/papers/c01#comment-{bad.id}"
    pt.moderation.hide_comment(mod, bad.id, "spam")
    assert pt.get("c01").member_comments == 1  # type: ignore[union-attr]
    shown = pt.discussions.thread("c01")
    assert [s.hidden for s in shown] == [True, False]
    assert [r.kind for r in pt.moderation.queue(mod)] == ["paper"]  # hiding closed its report
    pt.moderation.hide_comment(mod, bad.id, "", hidden=False)
    assert pt.get("c01").member_comments == 2  # type: ignore[union-attr]
    pt.moderation.dismiss(mod, queue[1].id)
    assert pt.moderation.queue(mod) == []
    with pytest.raises(ModerationError, match="no such open report"):
        pt.moderation.dismiss(mod, queue[1].id)


def test_a_suspension_ends_sessions_and_tokens_and_stops_sign_in(pt: Papertide) -> None:
    troll, mod, admin = member(pt, "troll"), member(pt, "mod", "moderator"), member(pt, "root", "admin")
    acc = accounts(pt)
    session = acc.start_session(troll)
    token, _ = acc.issue_api_token(troll, "script", write=True)
    assert acc.session_member(session) is not None and acc.api_token_member(token) is not None
    pt.moderation.suspend(mod, "troll", "abuse")
    assert acc.session_member(session) is None and acc.api_token_member(token) is None
    with pytest.raises(AccountError, match="suspended"):
        acc.sign_in("troll@example.org", "pw-long-enough")
    with pytest.raises(ModerationError, match="already suspended"):
        pt.moderation.suspend(mod, "troll", "again")
    with pytest.raises(NotAllowed, match="only an admin"):
        pt.moderation.suspend(mod, "root", "coup")
    with pytest.raises(NotAllowed, match="yourself"):
        pt.moderation.suspend(mod, "mod", "oops")
    pt.moderation.suspend(admin, "troll", "served", suspended=False)
    assert acc.sign_in("troll@example.org", "pw-long-enough").handle == "troll"
    with pytest.raises(NotAllowed):
        pt.moderation.log(mod)
    log = [(e["actor"], e["action"], e["target"], e["reason"]) for e in pt.moderation.log(admin)]
    assert log == [
        ("root", "unsuspend", "member:troll", "served"),
        ("mod", "suspend", "member:troll", "abuse"),
        ("operator", "role:admin", "member:root", ""),
        ("operator", "role:moderator", "member:mod", ""),
    ]


def test_roles_are_checked(pt: Papertide) -> None:
    member(pt, "ada")
    with pytest.raises(ModerationError, match="role must be one of member, moderator, admin"):
        pt.moderation.set_role("ada", "god")
    with pytest.raises(ModerationError, match="no member 'nobody'"):
        pt.moderation.set_role("nobody", "admin")


def test_members_role_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from papertide.cli import main

    with Papertide.open(tmp_path, encoder=None) as pt:
        accounts(pt).sign_up("ada", "ada@example.org", "pw-long-enough")
    runner = CliRunner()
    done = runner.invoke(main, ["members", "role", "ada", "moderator", "--data-dir", str(tmp_path)])
    assert done.exit_code == 0 and done.output == "ada is now moderator\n"
    missing = runner.invoke(main, ["members", "role", "bob", "admin", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "no member 'bob'" in missing.output
    with Papertide.open(tmp_path, encoder=None) as pt:
        assert pt._store.community.member_by_handle("ada").role == "moderator"  # type: ignore[union-attr]


def test_report_queue_and_hide_over_http(live_app: LiveApp) -> None:
    ada, troll, mod = signed_up(live_app, "ada"), signed_up(live_app, "troll"), signed_up(live_app, "mod")
    live_app.pt.moderation.set_role("mod", "moderator")
    troll.post("/papers/c01/comments", data={"body": "buy my stuff", "csrf": csrf_of(troll, "/papers/c01")})
    comment_id = live_app.pt.discussions.thread("c01")[0].comment.id
    reported = ada.post(
        "/report",
        data={
            "kind": "comment",
            "target": str(comment_id),
            "reason": "spam",
            "next": "/papers/c01",
            "csrf": csrf_of(ada, "/papers/c01"),
        },
    )
    assert reported.status_code == 200 and "the moderators will look at it" in reported.text
    assert ada.get("/moderation").status_code == 403
    queue = mod.get("/moderation").text
    assert "troll: buy my stuff" in queue and "reported by ada" in queue
    hid = mod.post(
        "/moderation",
        data={"action": "hide", "comment_id": str(comment_id), "reason": "spam", "csrf": csrf_of(mod, "/moderation")},
    )
    assert hid.status_code == 303
    assert (
        "[hidden by a moderator]" in ada.get("/papers/c01").text and "buy my stuff" not in ada.get("/papers/c01").text
    )
    assert "buy my stuff" in mod.get("/papers/c01").text  # moderators see it, to restore it
    api = live_app.client().get("/api/papers/c01/comments").json()
    assert (api[0]["hidden"], api[0]["body"], api[0]["html"]) == (True, "", "")
    suspended = mod.post(
        "/moderation",
        data={"action": "suspend", "handle": "troll", "reason": "spam", "csrf": csrf_of(mod, "/moderation")},
    )
    assert suspended.status_code == 303
    assert troll.get("/for-you").status_code == 303  # signed out everywhere
    with httpx.Client(base_url=live_app.url) as again:
        token = csrf_of(again, "/signin")
        refused = again.post("/signin", data={"email": "troll@example.org", "password": "correct horse", "csrf": token})
        assert refused.status_code == 400 and "suspended by a moderator" in refused.text
    live_app.pt.moderation.set_role("mod", "admin")
    log = mod.get("/moderation/log").text
    assert re.search(r"<td>mod</td><td>suspend</td><td>member:troll</td><td>spam</td>", log)


def test_nobody_moderates_their_own_things(pt: Papertide) -> None:
    """A moderator cannot approve their own authorship claim, hide or restore their own comment, or
    dismiss a report about their own comment or a paper they submitted; another moderator can."""
    mod, other, ada = member(pt, "mod", "moderator"), member(pt, "other", "moderator"), member(pt, "ada")
    name = pt._store.get("c01").authors[0].name  # type: ignore[union-attr]
    pt.authors.claim(mod, "c01", name)
    claim_id = pt.moderation.claims(mod)[0]["id"]
    for approve in (True, False):
        with pytest.raises(NotAllowed, match="your own authorship claim"):
            pt.moderation.decide_claim(mod, claim_id, approve)
    mine = pt.discussions.post(mod, "c01", "my own comment")
    pt.moderation.report(ada, "comment", str(mine.id), "rude")
    with pytest.raises(NotAllowed, match="your own comment"):
        pt.moderation.hide_comment(mod, mine.id, "hiding the evidence")
    report_id = pt.moderation.queue(mod)[0].id
    with pytest.raises(NotAllowed, match="your own comment"):
        pt.moderation.dismiss(mod, report_id)
    pt.moderation.decide_claim(other, claim_id, True)
    pt.moderation.hide_comment(other, mine.id, "rude")
    with pytest.raises(NotAllowed, match="your own comment"):
        pt.moderation.hide_comment(mod, mine.id, "", hidden=False)
    log = [(e["actor"], e["action"]) for e in pt.moderation.log(member(pt, "root", "admin"))]
    assert ("other", "approve-claim") in log and ("other", "hide-comment") in log
    assert not [entry for entry in log if entry[0] == "mod"]
