"""The map's pure rules: how many regions, where a new paper goes, which region a point is in, what
a region is called, the grid browsers get."""

from __future__ import annotations

import numpy as np
import pytest

from papertide.index import maps


@pytest.mark.parametrize(("papers", "regions"), [(0, 1), (7, 1), (8, 2), (538, 12), (5_000, 35), (100_000, 40)])
def test_cluster_count(papers: int, regions: int) -> None:
    assert maps.cluster_count(papers) == regions


def test_a_new_paper_goes_to_the_median_of_its_nearest_five_placed_neighbours() -> None:
    neighbours = np.array([[0, 0], [2, 1], [4, 9], [1, 2], [100, 100], [-50, -50], [7, 7]], dtype=np.float32)
    # The five nearest are the first five rows: x 0 2 4 1 100 → 2, y 0 1 9 2 100 → 2 (one far one does not drag it).
    assert maps.place(neighbours).tolist() == [2.0, 2.0]
    assert maps.place(neighbours[:1]).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="at least one"):
        maps.place(neighbours[:0])


def test_a_point_takes_the_region_of_the_nearest_centre() -> None:
    centres = np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float32)
    points = np.array([[1, 1], [9, 2], [2, 8], [6, 5]], dtype=np.float32)
    assert maps.nearest_centre(points, centres).tolist() == [0, 1, 2, 1]
    assert maps.nearest_centre(np.zeros((0, 2), np.float32), centres).tolist() == []


def test_regions_are_named_by_phrases_frequent_in_them_and_rare_elsewhere() -> None:
    clusters = [0, 0, 0, 1, 1, 1]
    phrases = [
        ["diffusion models", "diffusion", "models", "image"],
        ["diffusion models", "diffusion", "models", "score matching"],
        ["Diffusion Models", "score matching", "models"],
        ["reinforcement learning", "policy", "models"],
        ["reinforcement learning", "policy", "reward"],
        ["reward", "policy", "robot"],
    ]
    # "models" is in both regions (it names neither first); "diffusion" is inside "diffusion models";
    # phrases held by one paper ("image", "robot") never name a region.
    assert maps.cluster_labels(clusters, phrases, 2) == [
        ["diffusion models", "score matching"],
        ["reinforcement learning", "policy", "reward"],
    ]
    assert maps.cluster_labels([0], [["alone"]], 1) == [[]]


def test_the_grid_keeps_the_aspect_and_centres_the_map() -> None:
    xy = np.array([[-2, 0], [2, 0], [0, 1]], dtype=np.float32)  # 4 wide, 1 high
    assert maps.to_grid(xy).tolist() == [[0, 3750], [10000, 3750], [5000, 6250]]
    assert maps.to_grid(np.zeros((1, 2), np.float32)).tolist() == [[5000, 5000]]  # one paper: the middle
    assert maps.to_grid(np.zeros((0, 2), np.float32)).shape == (0, 2)


def test_past_the_limit_browsers_get_the_same_sample_every_time() -> None:
    assert maps.shown_rows(5, limit=10).tolist() == [0, 1, 2, 3, 4]
    sample = maps.shown_rows(1000, limit=10)
    assert len(sample) == 10 == len(set(sample.tolist())) and sample.tolist() == sorted(sample.tolist())
    assert maps.shown_rows(1000, limit=10).tolist() == sample.tolist()
