"""Authors and organisations (issue 18, item 3): the name rule on real names (arXiv samples in the
test fixtures), author and organisation pages, and claims a moderator approves."""

from __future__ import annotations

import re

import pytest

from papertide.members.authors import name_key
from test_web import csrf_of, signed_up

from conftest import LiveApp


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Yang Song", "song y"),
        ("Y. Song", "song y"),
        ("Song, Yang", "song y"),
        ("  yang   SONG ", "song y"),
        ("Yu Song", "song y"),  # same initial: one page (the rule's known limit; a claim tells them apart)
        ("Jürgen Müller", "muller j"),  # OAI sample
        ("Muller, Jurgen", "muller j"),
        ("Henri Poincaré", "poincare h"),  # OAI sample
        ("C. Bal\\'azs", "balazs c"),  # snapshot sample: LaTeX accent
        ("C.-P. Yuan", "yuan c"),  # snapshot sample
        ("P. Yuan", "yuan p"),
        ("Martin Luther King Jr.", "king m"),  # OAI sample, suffix dropped
        ("E. L. Berger", "berger e"),
        ("Enshu Liu", "liu e"),  # arXiv Atom sample
        ("Plato", "plato"),
        ("", None),
        (" , . ", None),
    ],
)
def test_the_name_rule(name: str, key: str | None) -> None:
    assert name_key(name) == key


def test_author_and_organisation_pages(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/authors/Song%2C%20Yang")
        assert page.status_code == 200 and "<h1>Yang Song</h1>" in page.text
        assert re.findall(r'<a class="title" href="/papers/([^"]+)">', page.text) == ["c01"]
        assert c.get("/authors/Nobody%20Here").status_code == 404
        paper = c.get("/papers/c01").text
        assert '<a href="/authors/Yang%20Song">Yang Song</a>' in paper
        org = c.get("/orgs/Sony")
        assert org.status_code == 200 and "<h1>Sony</h1>" in org.text and "Most upvoted" in org.text
        assert c.get("/orgs/Nope").status_code == 404


def test_a_claim_approved_by_a_moderator_links_the_name_to_the_member(live_app: LiveApp) -> None:
    yang, mod = signed_up(live_app, "yang"), signed_up(live_app, "mod")
    live_app.pt.moderation.set_role("mod", "moderator")
    sent = yang.post(
        "/claims", data={"paper_id": "c01", "author_name": "Yang Song", "csrf": csrf_of(yang, "/papers/c01")}
    )
    assert sent.status_code == 200 and "is with the moderators" in sent.text
    again = yang.post(
        "/claims", data={"paper_id": "c01", "author_name": "Yang Song", "csrf": csrf_of(yang, "/papers/c01")}
    )
    assert again.status_code == 400 and "already claimed this author" in again.text
    wrong = yang.post(
        "/claims", data={"paper_id": "c01", "author_name": "Someone Else", "csrf": csrf_of(yang, "/papers/c01")}
    )
    assert wrong.status_code == 400 and "not among the paper&#39;s authors" in wrong.text
    queue = mod.get("/moderation").text
    assert 'says they are <a href="/authors/Yang%20Song">Yang Song</a>' in queue
    claim_id = re.search(r'name="claim_id" value="(\d+)"', queue)
    assert claim_id
    decided = mod.post(
        "/moderation", data={"action": "approve", "claim_id": claim_id.group(1), "csrf": csrf_of(mod, "/moderation")}
    )
    assert decided.status_code == 303
    with live_app.client() as c:
        assert '<a class="claimed" href="/u/yang"' in c.get("/papers/c01").text
        assert 'this is <a href="/u/yang">yang</a>' in c.get("/authors/Y.%20Song").text
    other = signed_up(live_app, "impostor")
    taken = other.post(
        "/claims", data={"paper_id": "c01", "author_name": "Yang Song", "csrf": csrf_of(other, "/papers/c01")}
    )
    assert taken.status_code == 400 and "already claimed by yang" in taken.text


def test_a_claimed_author_reads_through_hugging_faces_client(live_app: LiveApp) -> None:
    from huggingface_hub import HfApi

    signed_up(live_app, "yang")
    claimer = live_app.store.community.member_by_handle("yang")
    assert claimer is not None
    live_app.pt.authors.claim(claimer, "c01", "Yang Song")
    mod = signed_up(live_app, "mod")
    live_app.pt.moderation.set_role("mod", "moderator")
    moderator = live_app.store.community.member_by_handle("mod")
    assert moderator is not None
    [claim] = live_app.pt.moderation.claims(moderator)
    live_app.pt.moderation.decide_claim(moderator, claim["id"], approve=True)
    info = HfApi(endpoint=live_app.url).paper_info("c01")
    [author] = info.authors or []
    assert (author.name, author.status, author.user.username if author.user else None) == (
        "Yang Song", "claimed_verified", "yang",
    )  # fmt: skip
    assert mod.get("/moderation").text.count("says they are") == 0  # decided: off the queue
