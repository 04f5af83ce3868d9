import pytest

from papertide.rank import reciprocal_rank_fusion


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


def test_rrf_of_nothing() -> None:
    assert reciprocal_rank_fusion([[], []]) == ([], [])
