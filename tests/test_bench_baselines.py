"""bench/baselines.py: the fusions the hybrid search is measured against, literal."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from baselines import convex_fusion, min_max, reciprocal_rank_fusion


def test_rrf_literal_scores() -> None:
    ids, scores = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert ids == ["b", "a", "d", "c"]
    assert scores == [
        pytest.approx(1 / 62 + 1 / 61),
        pytest.approx(1 / 61),
        pytest.approx(1 / 62),
        pytest.approx(1 / 63),
    ]


def test_rrf_weights_and_ties() -> None:
    assert reciprocal_rank_fusion([["x"], ["y"]], k=1) == (["x", "y"], [0.5, 0.5])  # tie: smaller id first
    assert reciprocal_rank_fusion([["x"], ["y"]], k=1, weights=[1.0, 3.0])[0] == ["y", "x"]
    assert reciprocal_rank_fusion([[12], [3]], k=1) == ([3, 12], [0.5, 0.5])  # pks: numerically smaller first


def test_rrf_of_nothing() -> None:
    assert reciprocal_rank_fusion([[], []]) == ([], [])


def test_min_max_literal_values() -> None:
    assert min_max([10.0, 6.0, 2.0]) == [1.0, 0.5, 0.0]
    assert min_max([3.0, 3.0]) == [1.0, 1.0]  # nothing to tell apart: all count fully
    assert min_max([9.0, 5.0, 1.0, 0.0], over=3) == [1.0, 0.5, 0.0, 0.0]  # below the 3rd: 0, never negative
    assert min_max([]) == []


def test_convex_fusion_literal_scores() -> None:
    keyword = (["a", "b", "c"], [10.0, 6.0, 2.0])  # normalised: a 1, b 0.5, c 0
    dense = (["b", "d"], [0.9, 0.5])  # b 1, d 0
    # b: 0.65 * 0.5 + 0.35 * 1; a: 0.65 * 1. c and d tie at 0: d is 2nd in its list, c 3rd in its.
    assert convex_fusion([keyword, dense], [0.65, 0.35]) == (["b", "a", "d", "c"], [0.675, 0.65, 0.0, 0.0])


def test_convex_fusion_keeps_a_clear_keyword_lead_that_reciprocal_rank_loses() -> None:
    # "score matching": BM25 puts p1 far ahead; the dense list barely tells the papers apart and has
    # p2 first. Reciprocal rank sees two first places and a second place, and puts p2 on top.
    keyword = ([1, 2, 3], [14.0, 6.0, 5.0])
    dense = ([2, 3, 1], [0.42, 0.41, 0.40])
    assert reciprocal_rank_fusion([keyword[0], dense[0]], k=20)[0][0] == 2
    assert convex_fusion([keyword, dense], [0.65, 0.35])[0] == [1, 2, 3]


def test_convex_fusion_scores_of_the_top_do_not_depend_on_depth() -> None:
    shallow = convex_fusion([(["a", "b", "c"], [9.0, 5.0, 1.0])], [1.0], depth=3)
    deeper = convex_fusion([(["a", "b", "c", "e"], [9.0, 5.0, 1.0, 0.5])], [1.0], depth=3)
    assert shallow == (["a", "b", "c"], [1.0, 0.5, 0.0])
    assert deeper == (["a", "b", "c", "e"], [1.0, 0.5, 0.0, 0.0])  # the next page's order starts where this one ended


def test_convex_fusion_ties_and_nothing() -> None:
    assert convex_fusion([([12], [1.0]), ([3], [1.0])], [0.5, 0.5]) == ([3, 12], [0.5, 0.5])  # rank 0 both: smaller pk
    assert convex_fusion([([], []), ([], [])], [0.65, 0.35]) == ([], [])
    with pytest.raises(ValueError):
        convex_fusion([([1], [1.0])], [0.65, 0.35])  # a weight for every list


# --- trending ---------------------------------------------------------------------------------------
