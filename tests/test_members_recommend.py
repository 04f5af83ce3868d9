"""Recommendations from liked and disliked papers (issue 17, items 3-4 first step), on the 12-paper
corpus encoded for real (MiniLM), and by words when the catalogue has no vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from papertide import Papertide
from papertide.members.recommend import score_candidates
from papertide.search.retrieval import RetrievalError
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore

from conftest import FIXTURES


@pytest.fixture
def pt(encoded_corpus: Papertide) -> Papertide:
    return encoded_corpus


def ids(suggestions: list) -> list[str]:  # type: ignore[type-arg]
    return [s.paper.id for s in suggestions]


def test_a_reader_who_likes_a_diffusion_paper_gets_the_other_diffusion_paper_first(pt: Papertide) -> None:
    found = pt.recommend(["c01"], limit=5)
    assert ids(found) == ["c12", "c11", "c05", "c09", "c10"]
    assert [s.because for s in found] == ["c01"] * 5
    assert found[0].score == pytest.approx(0.425, abs=0.01)


def test_two_interests_are_both_served_and_each_card_says_which(pt: Papertide) -> None:
    found = pt.recommend(["c01", "c12"], limit=3)
    assert ids(found) == ["c05", "c08", "c11"]
    assert [s.because for s in found] == ["c12", "c12", "c01"]


def test_not_interested_removes_a_paper_and_moves_its_neighbours_down(pt: Papertide) -> None:
    before = {s.paper.id: s.score for s in pt.recommend(["c01"], limit=11)}
    after = {s.paper.id: s.score for s in pt.recommend(["c01"], ["c12"], limit=11)}
    assert "c12" in before and "c12" not in after and "c01" not in after
    assert all(after[i] <= before[i] + 1e-6 for i in after), (before, after)
    assert sum(after[i] < before[i] for i in after) == 9  # all but those unlike c12 move down
    assert ids(pt.recommend(["c01"], ["c12"], limit=3)) == ["c10", "c09", "c11"]


def test_given_ids_are_never_returned_and_unknown_ones_are_refused(pt: Papertide) -> None:
    everything = pt.recommend(["c01", "c02"], ["c03"], limit=100)
    assert len(everything) == 9 and not {"c01", "c02", "c03"} & set(ids(everything))
    with pytest.raises(RetrievalError, match="no paper 'nope'"):
        pt.recommend(["nope"])
    with pytest.raises(RetrievalError, match="at least one liked paper"):
        pt.recommend([], ["c01"])


def test_without_vectors_the_liked_titles_words_are_the_query(store: SqlStore, tmp_path: Path) -> None:
    pt = Papertide(store, tmp_path)
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    assert ids(pt.recommend(["c01"], limit=5)) == ["c12", "c05", "c09"]
    assert [s.because for s in pt.recommend(["c01"])] == ["c01"] * 3
    assert [(s.paper.id, s.because) for s in pt.recommend(["c01", "c04"], limit=3)][:2] == [
        ("c12", "c01"),
        ("c05", "c01"),
    ]


def test_scores_mix_the_centroid_the_nearest_like_and_the_nearest_dislike() -> None:
    likes = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    dislikes = np.array([[0, 0, 1]], dtype=np.float32)
    candidates = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0.6, 0.8]], dtype=np.float32)
    scores, nearest = score_candidates(candidates, likes, dislikes)
    half = 0.5 / np.sqrt(2)
    assert scores.tolist() == pytest.approx([half + 0.5, 0.5 * 1.4 / np.sqrt(2) + 0.4, 0.6 * half + 0.3 - 0.4])
    assert nearest.tolist() == [0, 1, 1]


def test_a_member_s_upvotes_are_their_likes(pt: Papertide, store: SqlStore) -> None:
    from datetime import datetime

    from papertide.core import NotFound

    member = store.community.create_member("ada", "ada@example.org", "x", datetime(2025, 11, 5))
    pks = store.pks_for_ids(["c01", "c12"])
    store.community.set_vote(member.id, pks["c01"], True, datetime(2025, 11, 5, 9))
    store.community.set_vote(member.id, pks["c12"], True, datetime(2025, 11, 5, 10))
    assert sorted(pt.member_likes("ada")) == ["c01", "c12"]
    assert ids(pt.recommend(pt.member_likes("ada"), limit=3)) == ["c05", "c08", "c11"]
    with pytest.raises(NotFound):
        pt.member_likes("nobody")


def test_the_digest_recommends_only_papers_new_in_its_window(pt: Papertide, store: SqlStore) -> None:
    from datetime import date, datetime

    from papertide.digest import Composer
    from papertide.model import Subscription

    member = store.community.create_member("ada", "ada@example.org", "x", datetime(2024, 1, 1))
    store.community.set_vote(member.id, store.pks_for_ids(["c01"])["c01"], True, datetime(2024, 1, 1, 9))
    composer = Composer(store, datetime(2024, 1, 13, 9), pt.new_for_member)
    weekly = Subscription(member.id, frequency="weekly", sections=("foryou",))
    section = composer.compose(member, weekly, date(2024, 1, 13)).sections[0]
    assert (section.key, section.title) == ("foryou", "Recommended for you")
    assert [p.id for p in section.papers][:2] == ["c12", "c11"]  # the ranking of pt.recommend, as tested above
    assert sorted(p.id for p in section.papers) == ["c06", "c07", "c08", "c09", "c10", "c11", "c12"]  # Jan 6-12
    daily = Subscription(member.id, sections=("foryou",))
    assert [p.id for p in composer.compose(member, daily, date(2024, 1, 13)).sections[0].papers] == ["c12"]
    nobody = store.community.create_member("bob", "bob@example.org", "x", datetime(2024, 1, 1))
    assert composer.compose(nobody, daily, date(2024, 1, 13)).empty  # no upvotes: no section to fill


def test_the_index_answers_batched_searches_and_lookups_like_single_ones(pt: Papertide) -> None:
    semantic = pt.semantic
    assert semantic is not None
    pks = pt._store.pks_for_ids(["c01", "c04", "c12"])
    rows = np.stack([semantic.index.vector_of(pks[i]) for i in ("c01", "c04")])  # type: ignore[misc]
    batched = semantic.index.search_many(rows, 3)
    assert batched == [semantic.index.search(row, 3)[0] for row in rows]
    held, vectors = semantic.index.vectors_of([pks["c12"], 999_999, pks["c01"]])
    assert held == [pks["c12"], pks["c01"]] and vectors.shape == (2, 384)
    assert np.array_equal(vectors[1], semantic.index.vector_of(pks["c01"]))  # type: ignore[arg-type]
    assert semantic.index.vectors_of([999_999])[0] == []
