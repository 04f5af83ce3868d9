"""The community and digest tables of the SQL store: votes, submissions, rate limits, single-use
tokens, delivery claims."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from papertide.model import Paper, Subscription
from papertide.store.community import Conflict
from papertide.store.sql import SqlStore

NOW = datetime(2025, 11, 5, 9, 0)

ON_BOTH_BACKENDS = True  # every test that uses `store` runs on SQLite and PostgreSQL (conftest)


@pytest.fixture
def ids(store: SqlStore) -> tuple[int, int, int]:
    """Two members and one paper: (ada's id, bob's id, the paper's pk)."""
    store.apply([(None, Paper("2511.00001", "A paper", upvotes=4))])
    ada = store.community.create_member("ada", "ada@example.org", "h", NOW)
    bob = store.community.create_member("bob", "bob@example.org", "h", NOW)
    return ada.id, bob.id, store.pks_for_ids(["2511.00001"])["2511.00001"]


def test_votes_set_withdraw_toggle(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, bob, pk = ids
    c = store.community
    version = store.catalogue_version()
    assert c.set_vote(ada, pk, True, NOW) == (True, 1)
    assert c.set_vote(ada, pk, True, NOW) == (True, 1)  # idempotent
    assert c.set_vote(bob, pk, None, NOW) == (True, 2)  # toggle on
    assert c.set_vote(bob, pk, None, NOW) == (False, 1)  # toggle off
    assert c.set_vote(bob, pk, False, NOW) == (False, 1)  # idempotent
    assert store.get("2511.00001").votes == 5  # type: ignore[union-attr]  (4 from the source + 1)
    assert c.voted(ada, [pk]) == {pk} and c.voted(bob, [pk]) == set()
    assert c.voted_ids(ada) == ["2511.00001"]
    assert store.catalogue_version() == version + 3  # moved by each real change only


def test_toggles_at_once_each_count(store: SqlStore, ids: tuple[int, int, int]) -> None:
    """Twenty-one toggles by one member at the same moment: an odd number, so the vote stands, counted once."""
    ada, _, pk = ids
    start = threading.Barrier(21)

    def toggle() -> None:
        start.wait()
        store.community.set_vote(ada, pk, None, NOW)

    threads = [threading.Thread(target=toggle) for _ in range(21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.community.voted(ada, [pk]) == {pk}
    assert store.get("2511.00001").votes == 5  # type: ignore[union-attr]  (4 from the source + 1)


def test_a_reimport_keeps_member_votes(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, _, pk = ids
    store.community.set_vote(ada, pk, True, NOW)
    old = store.get("2511.00001")
    store.apply([("2511.00001", Paper("2511.00001", "A paper, v2", upvotes=9))])
    assert (old.votes, store.get("2511.00001").votes) == (5, 10)  # type: ignore[union-attr]


def test_duplicate_members_and_submissions(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, bob, pk = ids
    with pytest.raises(Conflict) as err:
        store.community.create_member("carol", "ada@example.org", "h", NOW)
    assert err.value.field == "email"
    assert store.community.add_submission(pk, ada, NOW) is True
    assert store.community.add_submission(pk, bob, NOW) is False
    assert store.community.submitted_ids(ada) == ["2511.00001"] and store.community.submitted_ids(bob) == []
    assert store.community.submissions_since(ada, NOW - timedelta(days=1)) == 1


def test_rate_hits_slide_over_the_window(store: SqlStore) -> None:
    c, window = store.community, timedelta(minutes=10)
    assert [c.rate_hit("k", NOW, NOW - window, 2) for _ in range(3)] == [True, True, False]
    later = NOW + timedelta(minutes=11)
    assert c.rate_hit("k", later, later - window, 2) is True
    assert c.rate_hit("other", NOW, NOW - window, 2) is True


def test_tokens_are_single_use_and_expire(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, _, _ = ids
    c = store.community
    c.create_token("t1", ada, "reset", NOW + timedelta(hours=1))
    assert c.consume_token("t1", "verify", NOW) is None  # wrong purpose
    assert c.consume_token("t1", "reset", NOW) == ada
    assert c.consume_token("t1", "reset", NOW) is None  # used
    c.create_token("t2", ada, "reset", NOW + timedelta(hours=1))
    assert c.consume_token("t2", "reset", NOW + timedelta(hours=2)) is None  # expired


def test_delivery_claims(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, _, _ = ids
    d, day = store.digests, date(2025, 11, 5)
    assert d.claim(ada, day, "<m>", NOW) is True
    assert d.claim(ada, day, "<m>", NOW) is True  # unfinished (a crash): taken again
    d.finish(ada, day, "deferred", NOW, "451")
    assert d.claim(ada, day, "<m>", NOW) is True
    d.finish(ada, day, "sent", NOW)
    assert d.claim(ada, day, "<m>", NOW) is False
    assert d.delivery_counts(day) == {"sent": 1}


def test_subscribers_are_verified_unbounced_and_active(store: SqlStore, ids: tuple[int, int, int]) -> None:
    ada, bob, _ = ids
    for member in (ada, bob):
        store.digests.save_subscription(Subscription(member, timezone="Europe/Paris"), NOW)
    assert list(store.digests.iter_subscribers()) == []  # nobody verified yet
    store.community.update_member(ada, verified_at=NOW)
    store.community.update_member(bob, verified_at=NOW)
    store.digests.mark_bounced(bob)
    [(member, sub)] = list(store.digests.iter_subscribers())
    assert (member.handle, sub.timezone, sub.sections) == ("ada", "Europe/Paris", ("trending", "picks"))
    assert store.digests.unsubscribe(ada, NOW) is True and store.digests.unsubscribe(ada, NOW) is False
    assert list(store.digests.iter_subscribers()) == []
