"""Capability links bound to what they grant (issue 24, item 1): ids of rows that links or outside
ids name are never reused, and every signed link covers its owner and the row's own random key, so
deleting and re-creating never hands a link to someone else. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import pgserver
from papertide.mail.links import feed_key, feed_key_ok, member_sig, member_sig_ok
from papertide.model import Member, SavedSearch
from papertide.store.schema import api_tokens, collections, members, saved_searches, sessions
from papertide.store.sql import SqlStore
from test_web import signed_up
from test_web_personal import post

from conftest import LiveApp

ON_BOTH_BACKENDS = True
NOW = datetime(2025, 11, 5, 9, 0)
SECRET = "papertide-dev-secret-do-not-use-in-production"


def test_ids_of_rows_that_links_name_are_never_reused(store: SqlStore) -> None:
    ada = store.community.create_member("ada", "ada@example.org", "x", NOW)
    bob = store.community.create_member("bob", "bob@example.org", "x", NOW)
    first = store.personal.create_search(ada.id, "mine", "diffusion", {}, "off", 0, NOW)
    assert store.personal.delete_search(ada.id, first.id)
    second = store.personal.create_search(bob.id, "job hunt", "private topic", {}, "off", 0, NOW)
    assert second.id > first.id and second.link_key != first.link_key
    shelf = store.personal.create_collection(ada.id, "shelf", "", True, NOW)
    assert store.personal.delete_collection(ada.id, shelf.id)
    assert store.personal.create_collection(bob.id, "private", "", False, NOW).id > shelf.id
    token = store.api_tokens.create(ada.id, "t", "h" * 64, ("read",), NOW)
    with store.engine.begin() as conn:
        conn.execute(api_tokens.delete().where(api_tokens.c.id == token.id))
        conn.execute(members.delete().where(members.c.id == bob.id))  # an operator removing a member by hand
    assert store.api_tokens.create(ada.id, "u", "i" * 64, ("read",), NOW).id > token.id
    carol = store.community.create_member("carol", "carol@example.org", "x", NOW)
    assert carol.id > bob.id and len({ada.link_key, bob.link_key, carol.link_key}) == 3
    assert re.fullmatch(r"[0-9a-f]{32}", carol.link_key)


def test_signatures_cover_the_owner_and_the_rows_own_key() -> None:
    ada = Member(1, "ada", "ada@example.org", "x", NOW, link_key="a" * 32)
    search = SavedSearch(1, ada.id, "mine", "diffusion", {}, "off", 0, 0, NOW, NOW, link_key="k" * 32)
    key = feed_key(SECRET, search)
    assert feed_key_ok(SECRET, key, search)
    # The same id and generation under another owner or with another key is another search.
    for other in (replace(search, member_id=2), replace(search, link_key="j" * 32), replace(search, feed_generation=1)):
        assert not feed_key_ok(SECRET, key, other)
    assert not feed_key_ok(SECRET, feed_key(SECRET, replace(search, link_key="")), replace(search, link_key=""))
    for purpose in ("unsubscribe", "alerts-off", "digest", "device"):
        sig = member_sig(SECRET, purpose, ada)
        assert member_sig_ok(SECRET, sig, purpose, ada)
        assert not member_sig_ok(SECRET, sig, purpose, replace(ada, link_key="b" * 32))
        assert not member_sig_ok(SECRET, sig, "other", ada)
        assert not member_sig_ok(SECRET, sig, purpose, None)


def _feed_path(client: object, here: str) -> str:
    page = client.get(here).text  # type: ignore[attr-defined]
    found = re.search(r'class="feed-url" readonly value="http://papertide\.test([^"]+)"', page)
    assert found
    return found.group(1).replace("&amp;", "&")


def test_a_deleted_searchs_feed_link_never_opens_the_next_search(live_app: LiveApp) -> None:
    mallory = signed_up(live_app, "mallory")
    saved = post(mallory, "/saved", {"q": "diffusion"}, "/search?q=diffusion")
    here = saved.headers["location"]
    old_feed = _feed_path(mallory, here)
    assert live_app.client().get(old_feed).status_code == 200
    assert post(mallory, here, {"action": "delete"}, here).status_code == 303
    alice = signed_up(live_app, "alice")
    mine = post(alice, "/saved", {"q": "diffusion", "name": "alice PRIVATE job-hunt topic"}, "/search?q=diffusion")
    assert mine.headers["location"] != here  # a new id, never the deleted one's
    with live_app.client() as reader:
        assert reader.get(old_feed).status_code == 404
        # Even pointed at Alice's search, Mallory's key signs another owner and another row.
        alice_id = mine.headers["location"].rsplit("/", 1)[1]
        moved = re.sub(r"/feeds/saved/\d+", f"/feeds/saved/{alice_id}", old_feed)
        assert reader.get(moved).status_code == 404
        assert reader.get(_feed_path(alice, mine.headers["location"])).status_code == 200


def test_member_links_die_with_the_member_they_were_made_for(live_app: LiveApp) -> None:
    from papertide.digest import MailConfig, unsubscribe_url
    from papertide.digest.alerts import alerts_off_url

    signed_up(live_app, "ada")
    ada = live_app.store.community.member_by_handle("ada")
    assert ada is not None
    config = MailConfig(secret=SECRET, base_url="")
    links = [unsubscribe_url(config, ada), alerts_off_url(config, ada)]
    with live_app.client() as c:
        assert [c.get(link).status_code for link in links] == [200, 200]
        # The row re-keyed, as a member re-created under the same id would be: its old links name nobody.
        with live_app.store.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == ada.id).values(link_key="0" * 32))
        assert [c.get(link).status_code for link in links] == [400, 400]


@pytest.fixture
def url_at_0016(request: pytest.FixtureRequest, tmp_path: Path, store: SqlStore) -> Iterator[str]:
    """An empty database of the same backend as `store`, for a database made by older code."""
    if store.dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with pgserver.fresh_database(request.getfixturevalue("postgres_admin_url"), "template0") as url:
        yield url


def test_migration_0017_keeps_every_row_and_gives_each_its_own_key(url_at_0016: str) -> None:
    old = SqlStore(url_at_0016)
    old.migrate("0016")
    with old.engine.begin() as conn:
        for i in (1, 2, 3):  # written as the code of that time wrote them: no keys
            conn.execute(
                sa.text("INSERT INTO members (handle, email, password_hash, created_at) VALUES (:h, :e, 'x', :t)"),
                {"h": f"m{i}", "e": f"m{i}@example.org", "t": NOW},
            )
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM members ORDER BY id"))]
        for i in ids:
            conn.execute(sessions.insert().values(token_hash=f"{i:064d}", member_id=i, created_at=NOW, expires_at=NOW))
            conn.execute(
                sa.text(
                    "INSERT INTO saved_searches (member_id, name, query, created_at, updated_at)"
                    " VALUES (:m, 'a', 'q', :t, :t)"
                ),
                {"m": i, "t": NOW},
            )
    old.migrate()
    assert old.schema_revision() == "0017"
    with old.engine.connect() as conn:
        # Rebuilding `members` on SQLite did not cascade into the rows that point at it.
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 3
        keys = [r[0] for r in conn.execute(sa.select(members.c.link_key))]
        keys += [r[0] for r in conn.execute(sa.select(saved_searches.c.link_key))]
        assert len(set(keys)) == 6 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
        assert conn.execute(sa.select(sa.func.count()).select_from(collections)).scalar() == 0
    with old.engine.begin() as conn:
        conn.execute(members.delete().where(members.c.id == ids[-1]))
    assert old.community.create_member("new", "new@example.org", "x", NOW).id > ids[-1]  # never handed out again
    assert old.check() == []
    old.close()
