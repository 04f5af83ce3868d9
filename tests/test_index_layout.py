"""The map's layout over a real encoded catalogue (MiniLM): laid out at `index()`, new papers
placed by their neighbours without moving the others, removed papers gone, a refit when the
catalogue has grown by a fifth, the file shared with other processes."""

from __future__ import annotations

import numpy as np
import orjson

from papertide import Papertide
from papertide.index import MapFile, maps
from papertide.index.layout import fit, project
from papertide.sources.jsonl import parse_jsonl

NEW = [
    orjson.dumps(
        {
            "id": "n01",
            "title": "Latent Diffusion Models for Audio Synthesis",
            "abstract": "A denoising diffusion model in a learned latent space generates speech and music.",
        }
    ),
    orjson.dumps(
        {
            "id": "n02",
            "title": "Offline Reinforcement Learning for Robot Manipulation",
            "abstract": "A policy learned from logged robot data grasps unseen objects.",
        }
    ),
    orjson.dumps(
        {
            "id": "n03",
            "title": "Error Mitigation for Noisy Quantum Processors",
            "abstract": "Qubits, surface codes and error rates on superconducting hardware.",
        }
    ),
]


def nearest_on_map(layout: object, paper_id: str) -> str:
    ids, xy = layout.ids, layout.xy  # type: ignore[attr-defined]
    i = ids.index(paper_id)
    d = ((xy - xy[i]) ** 2).sum(axis=1)
    d[i] = np.inf
    return str(ids[int(d.argmin())])


def test_index_lays_out_every_encoded_paper(encoded_corpus: Papertide) -> None:
    layout = encoded_corpus.map_layout()
    assert layout is not None
    assert layout.ids == [f"c{i:02d}" for i in range(1, 13)]
    assert (layout.fitted, layout.changed, len(layout.labels)) == (12, 0, maps.cluster_count(12))
    assert np.isfinite(layout.xy).all() and layout.xy.shape == (12, 2)
    # The two diffusion papers are each other's nearest on the map, as they are in meaning.
    assert nearest_on_map(layout, "c01") == "c12" and nearest_on_map(layout, "c12") == "c01"
    assert (encoded_corpus.data_dir / "map.npz").exists()


def test_new_papers_are_placed_by_their_neighbours_and_the_others_stay(encoded_corpus: Papertide) -> None:
    pt = encoded_corpus
    before = pt.map_layout()
    assert before is not None
    pt.import_records(parse_jsonl(NEW[:2]))  # 2 of 12: under a fifth, no refit
    pt.index()
    after = pt.map_layout()
    assert after is not None
    assert (len(after), after.fitted, after.changed) == (14, 12, 2)
    old = [after.ids.index(i) for i in before.ids]
    assert np.array_equal(after.xy[old], before.xy)  # nobody else moved
    # n01 sits at the median of its five nearest placed papers by meaning (the ANN index's order).
    vectors = pt.indexes.vectors
    assert vectors is not None
    pk = pt._store.pks_for_ids(["n01"])["n01"]
    neighbours = vectors.search_many(vectors.vector_of(pk)[None, :], 24)[0]  # type: ignore[index]
    by_pk = dict(zip(pt._store.pks_for_ids(before.ids).values(), before.xy, strict=True))
    placed = [by_pk[n] for n in neighbours if n in by_pk][:5]
    assert after.xy[after.ids.index("n01")].tolist() == np.median(np.stack(placed), axis=0).tolist()
    row = after.ids.index("n01")
    assert after.cluster[row] == maps.nearest_centre(after.xy[[row]], after.centres)[0]


def test_removed_papers_leave_the_map(encoded_corpus: Papertide) -> None:
    pt = encoded_corpus
    pt.remove(["c03"])
    pt.index()
    layout = pt.map_layout()
    assert layout is not None and "c03" not in layout.ids and len(layout) == 11
    assert layout.changed == 1


def test_growing_by_more_than_a_fifth_lays_the_map_out_anew(encoded_corpus: Papertide) -> None:
    pt = encoded_corpus
    pt.import_records(parse_jsonl(NEW))  # 3 of 12: over a fifth
    pt.index()
    layout = pt.map_layout()
    assert layout is not None and (len(layout), layout.fitted, layout.changed) == (15, 15, 0)
    pt.import_records(parse_jsonl([NEW[0].replace(b"Audio", b"Sound")]))  # a changed text is re-placed
    pt.index()
    again = pt.map_layout()
    assert again is not None and (len(again), again.changed) == (15, 1)
    pt.index(rebuild=True)
    assert pt.map_layout().changed == 0  # type: ignore[union-attr]


def test_the_file_is_read_again_when_another_process_rewrites_it(encoded_corpus: Papertide) -> None:
    path = encoded_corpus.data_dir / "map.npz"
    reader = MapFile(path, encoded_corpus.indexes.vectors.model)  # type: ignore[union-attr]
    assert reader.load() is not None and len(reader.load()) == 12  # type: ignore[arg-type]
    encoded_corpus.import_records(parse_jsonl(NEW[:1]))
    encoded_corpus.index()
    assert len(reader.load()) == 13  # type: ignore[arg-type]
    assert MapFile(path, "another-model").load() is None  # a map of other vectors is not this one's


def test_a_catalogue_without_vectors_has_no_map(store: object, tmp_path: object) -> None:
    pt = Papertide(store, tmp_path, encoder=None)  # type: ignore[arg-type]
    pt.import_records(parse_jsonl(NEW))
    pt.index()
    assert pt.map_layout() is None


def test_tiny_catalogues_are_laid_out_too() -> None:
    rng = np.random.default_rng(1)
    unit = rng.normal(size=(6, 384)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    assert project(unit[:1]).tolist() == [[0.0, 0.0]]
    three = project(unit[:3])  # below t-SNE's reach: the two principal axes
    assert three.shape == (3, 2) and len({tuple(p) for p in three.tolist()}) == 3
    six = project(unit)
    assert six.shape == (6, 2) and np.isfinite(six).all()


def test_beyond_the_sample_the_others_go_by_their_nearest_fitted_papers(encoded_corpus: Papertide) -> None:
    pt = encoded_corpus
    vectors = pt.indexes.vectors
    assert vectors is not None
    layout = fit(pt._store, vectors, sample=8)  # as a catalogue over FIT_SAMPLE is laid out
    assert len(layout) == 12 and layout.fitted == 12
    (pks, matrix), *_ = list(pt._store.iter_embeddings(vectors.model))
    chosen = np.sort(np.random.default_rng(0).choice(12, 8, replace=False))
    xy_of = dict(zip(layout.pks.tolist(), layout.xy, strict=True))
    for row in sorted(set(range(12)) - set(chosen.tolist())):
        nearest = chosen[np.argsort(-(matrix[chosen] @ matrix[row]))][:5]  # exact cosine, unit vectors
        expected = np.median(np.stack([xy_of[int(pks[i])] for i in nearest]), axis=0)
        assert xy_of[int(pks[row])].tolist() == expected.tolist()
