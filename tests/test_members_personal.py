"""A member's own layer (papertide/personal.py) on both backends: collections with notes and their
exports, saved searches, papers opened, and the signals listed as the member's data."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from papertide import Papertide
from papertide.members.personal import Missing, PersonalError
from papertide.model import Member
from papertide.query import Filters
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore

from conftest import FIXTURES, Clock, new_member

ON_BOTH_BACKENDS = True
NOW = datetime(2025, 11, 5, 9, 0)


@pytest.fixture
def pt(store: SqlStore, tmp_path: Path) -> Papertide:
    pt = Papertide(store, tmp_path, encoder=None, clock=Clock(NOW))
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    return pt


def member(pt: Papertide, handle: str) -> Member:
    return new_member(pt, handle, False, NOW)


def test_save_to_the_reading_list_then_to_named_collections(pt: Papertide) -> None:
    ada = member(pt, "ada")
    reading, added = pt.personal.save(ada.id, "c01")
    assert (reading.name, reading.public, reading.size, added) == ("Reading list", False, 1, True)
    assert pt.personal.save(ada.id, "c01") == (reading, False)  # saved twice: kept once
    diffusion = pt.personal.create_collection(ada.id, "  Diffusion\u202e\n ", "Generative models", public=True)
    assert diffusion.name == "Diffusion"  # one line of plain text
    pt.personal.save(ada.id, "c12", diffusion.id)
    pt.personal.clock.now = NOW + timedelta(minutes=1)  # type: ignore[attr-defined]
    pt.personal.save(ada.id, "c01", diffusion.id)
    assert [(c.name, c.size) for c in pt.personal.collections(ada.id)] == [("Diffusion", 2), ("Reading list", 1)]
    assert [s.paper.id for s in pt.personal.items(diffusion)] == ["c01", "c12"]  # latest saved first
    held = pt.personal.holding(ada.id, ["c01", "c12", "c05"])
    assert held == {"c01": {reading.id, diffusion.id}, "c12": {diffusion.id}}
    assert pt.personal.unsave(ada.id, "c01", diffusion.id) is True
    assert [s.paper.id for s in pt.personal.items(diffusion)] == ["c12"]


def test_names_are_checked_and_other_members_collections_read_as_missing(pt: Papertide) -> None:
    ada, bob = member(pt, "ada"), member(pt, "bob")
    mine = pt.personal.create_collection(ada.id, "Private")
    with pytest.raises(PersonalError, match="already have a collection called 'Private'"):
        pt.personal.create_collection(ada.id, "Private")
    with pytest.raises(PersonalError, match="needs a name"):
        pt.personal.create_collection(ada.id, " \t ")
    with pytest.raises(PersonalError, match="description is too long"):
        pt.personal.create_collection(ada.id, "Long", "x" * 2001)
    assert pt.personal.create_collection(bob.id, "Private").member_id == bob.id  # names are per member
    with pytest.raises(Missing):
        pt.personal.collection(mine.id, bob.id)  # private: bob cannot see it
    with pytest.raises(Missing):
        pt.personal.collection(mine.id, None)
    with pytest.raises(Missing):
        pt.personal.save(bob.id, "c01", mine.id)
    with pytest.raises(Missing):
        pt.personal.delete_collection(bob.id, mine.id)
    with pytest.raises(Missing, match="no paper 'nope'"):
        pt.personal.save(ada.id, "nope", mine.id)
    pt.personal.update_collection(ada.id, mine.id, public=True)
    assert pt.personal.collection(mine.id, None).public  # public now: anyone may read it


def test_notes_on_saved_papers(pt: Papertide) -> None:
    ada = member(pt, "ada")
    reading, _ = pt.personal.save(ada.id, "c04")
    pt.personal.set_note(ada.id, reading.id, "c04", "Read section 3 <b>again</b>\r\n")
    [saved] = pt.personal.items(reading)
    assert saved.note == "Read section 3 <b>again</b>"  # kept as text; every renderer escapes it
    with pytest.raises(Missing, match="not in that collection"):
        pt.personal.set_note(ada.id, reading.id, "c05", "not saved")
    with pytest.raises(PersonalError, match="note is too long"):
        pt.personal.set_note(ada.id, reading.id, "c04", "x" * 5001)


def test_exports_bibtex_and_jsonl_that_import_reads_back(pt: Papertide, tmp_path: Path) -> None:
    ada = member(pt, "ada")
    for paper_id in ("c01", "c12"):
        collection, _ = pt.personal.save(ada.id, paper_id)
    text = io.StringIO()
    assert pt.personal.write_bibtex(collection, text) == 2
    assert text.getvalue().count("@misc{") == 2
    assert "title = {Video Generation with Latent Diffusion}" in text.getvalue()
    lines = io.BytesIO()
    assert pt.personal.write_jsonl(collection, lines) == 2
    exported = tmp_path / "collection.jsonl"
    exported.write_bytes(lines.getvalue())
    other = Papertide(SqlStore(f"sqlite:///{tmp_path / 'other.db'}"), tmp_path / "other", encoder=None)
    other._store.migrate()  # type: ignore[attr-defined]
    assert other.import_files([exported]).total.new == 2
    assert other.get("c12") == pt.get("c12")
    other.close()


def test_saved_searches_keep_query_and_filters_and_refuse_nonsense(pt: Papertide) -> None:
    ada = member(pt, "ada")
    saved = pt.personal.save_search(ada.id, "score matching", Filters(has_code=True, min_upvotes=3))
    assert (saved.name, saved.query, saved.alert, saved.since_pk) == ("score matching", "score matching", "off", 12)
    assert pt.personal.saved_search(ada.id, saved.id).filters == {"has_code": True, "min_upvotes": 3}
    assert Filters.from_dict(saved.filters) == Filters(has_code=True, min_upvotes=3)
    with pytest.raises(PersonalError, match="at least one word"):
        pt.personal.save_search(ada.id, "the of and")
    with pytest.raises(PersonalError, match="query is too long"):
        pt.personal.save_search(ada.id, "x" * 1001)
    with pytest.raises(PersonalError, match="alert must be one of off, immediate, digest"):
        pt.personal.save_search(ada.id, "diffusion", alert="hourly")
    bob = member(pt, "bob")
    with pytest.raises(Missing):
        pt.personal.saved_search(bob.id, saved.id)
    with pytest.raises(Missing):
        pt.personal.update_search(bob.id, saved.id, alert="immediate")
    renamed = pt.personal.update_search(ada.id, saved.id, name="Scores", alert="digest")
    assert (renamed.name, renamed.alert) == ("Scores", "digest")
    assert pt.personal.revoke_feed(ada.id, saved.id).feed_generation == 1
    assert pt.personal.alerts_off(ada.id) == 1 and pt.personal.searches(ada.id)[0].alert == "off"
    pt.personal.delete_search(ada.id, saved.id)
    assert pt.personal.searches(ada.id) == []


def test_opened_papers_and_every_signal_are_the_members_own_data(pt: Papertide) -> None:
    ada = member(pt, "ada")
    pk = pt._store.pks_for_ids(["c03", "c05"])
    pt._store.community.set_vote(ada.id, pk["c05"], True, NOW)
    pt._store.community.set_not_interested(ada.id, pk["c03"], True, NOW)
    pt.personal.save(ada.id, "c07")
    for paper_id in ("c02", "c09", "c02"):
        paper = pt.get(paper_id)
        assert paper is not None
        pt.personal.opened(ada.id, paper)
    assert pt.personal.seen_among(ada.id, ["c01", "c02", "c09"]) == {"c02", "c09"}
    signals = pt.personal.signals(ada.id).to_json()
    assert {k: v for k, v in signals.items() if k != "opened"} == {
        "upvoted": ["c05"],
        "saved": ["c07"],
        "more_like_this": [],
        "not_interested": ["c03"],
    }
    assert sorted(o["id"] for o in signals["opened"]) == ["c02", "c09"]
    assert pt.personal.liked_ids(ada.id) == ["c05", "c07"]  # upvotes and saves are the likes
    assert pt.personal.forget_opened(ada.id, ["c09"]) == 1
    assert pt.personal.seen_among(ada.id, ["c02", "c09"]) == {"c02"}
    assert pt.personal.forget_opened(ada.id) == 1


def test_recommendations_learn_from_saves_and_skip_what_was_opened(pt: Papertide) -> None:
    ada = member(pt, "ada")
    assert pt.recommend_for(ada.id) is None  # cold start: nothing liked yet
    pt.personal.save(ada.id, "c01")
    found = [s.paper.id for s in pt.recommend_for(ada.id) or []]
    assert found[:2] == ["c12", "c05"]
    c12 = pt.get("c12")
    assert c12 is not None
    pt.personal.opened(ada.id, c12)
    assert [s.paper.id for s in pt.recommend_for(ada.id) or []][:1] == ["c05"]


def test_more_like_this_is_a_private_like(pt: Papertide) -> None:
    ada = member(pt, "ada")
    assert pt.personal.more_like_this(ada.id, "c04") is True
    assert pt.personal.more_like_this(ada.id, "c04") is False  # marked once
    assert pt.personal.liked_ids(ada.id) == ["c04"]
    assert pt._store.community.voted_ids(ada.id) == []  # not an upvote: nobody else sees it
    assert [s.paper.id for s in pt.recommend_for(ada.id) or []][:1] == ["c08"]  # by the title's words (no vectors)
    assert pt.personal.signals(ada.id).more_like_this == ["c04"]
    assert pt.personal.more_like_this(ada.id, "c04", marked=False) is True
    assert pt.recommend_for(ada.id) is None
    with pytest.raises(Missing):
        pt.personal.more_like_this(ada.id, "nope")
