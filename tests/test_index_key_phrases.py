"""Key phrases per paper (issue 18, item 7): candidates, the two rankings, and `papertide index`
storing them (by tf-idf without vectors, by meaning with MiniLM), redone when a paper changes, and
shown on the paper page and in the API."""

from __future__ import annotations

from pathlib import Path

import orjson

from papertide import Papertide
from papertide.index.key_phrases import by_weight, candidates, mmr
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore

from conftest import FIXTURES

C01 = (
    "Denoising Score Matching for Diffusion Models",
    "We train generative diffusion models by estimating the gradient of the data log-density with denoising "
    "score matching, and sample images by annealed Langevin dynamics.",
)


def test_candidates_are_phrases_between_stop_words_and_punctuation() -> None:
    found = candidates(*C01)
    assert found[:7] == [
        "Denoising Score Matching", "Denoising Score", "Score Matching", "Denoising", "Score", "Matching",
        "Diffusion Models",
    ]  # fmt: skip
    assert "annealed Langevin dynamics" in found and "data log-density" in found
    assert not {"We", "by", "the", "with", "and"} & set(found)
    assert "Diffusion Models" in found and "diffusion models" not in found  # once, case aside
    assert candidates("", "") == []


def test_mmr_trades_relevance_for_diversity() -> None:
    relevance = [1.0, 0.95, 0.5]
    twins = {(0, 1): 1.0, (1, 0): 1.0}
    assert mmr(relevance, lambda i, j: twins.get((i, j), 0.0), k=2) == [0, 2]
    assert mmr(relevance, lambda i, j: 0.0, k=2) == [0, 1]


def test_tfidf_prefers_rare_words_and_avoids_repeats() -> None:
    common = {"model": 900, "diffusion": 40, "langevin": 2, "annealed": 3, "dynamics": 30, "score": 50, "matching": 60}
    picked = by_weight(candidates(*C01), " ".join(C01), lambda w: common.get(w.casefold(), 5), 1000, k=3)
    assert picked == ["Denoising Score Matching", "Diffusion Models", "annealed Langevin dynamics"]


def test_index_stores_key_phrases_and_redoes_a_changed_paper(store: SqlStore, tmp_path: Path) -> None:
    pt = Papertide(store, tmp_path, encoder=None)
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    pt.index()
    c01 = pt.get("c01")
    assert c01 is not None
    assert c01.keywords == (
        "Denoising Score Matching", "Diffusion Models", "annealed Langevin dynamics", "sample images",
        "data log-density",
    )  # fmt: skip
    assert all(len(p.keywords) == 5 for p in store.iter_papers())
    changed = tmp_path / "c01.jsonl"
    changed.write_bytes(
        orjson.dumps(
            {"id": "c01", "title": "Quantum Annealing for Protein Folding", "abstract": "Qubits fold proteins."}
        )
        + b"\n"
    )
    pt.import_files([changed])
    pt.index()
    assert "Quantum Annealing" in pt.get("c01").keywords  # type: ignore[union-attr]
    assert store.papers_needing_keywords() == []


def test_key_phrases_by_meaning(minilm: object) -> None:
    import numpy as np

    from papertide.index.key_phrases import by_meaning

    found = candidates(*C01)
    paper = minilm.encode([" ".join(C01)])[0]  # type: ignore[attr-defined]
    phrases = np.asarray(minilm.encode(found), dtype=np.float32)  # type: ignore[attr-defined]
    assert by_meaning(found, paper, phrases, k=3) == [
        "generative diffusion models", "Denoising Score Matching", "data log-density",
    ]  # fmt: skip


def test_key_phrases_on_the_page_and_in_the_api(store: SqlStore, tmp_path: Path) -> None:
    from papertide.web.app import create_app
    from papertide.web.config import WebConfig

    from conftest import serve_in_thread

    pt = Papertide(store, tmp_path, encoder=None)
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    pt.index()
    url, stop = serve_in_thread(create_app(pt, WebConfig.from_env({}, dev=True)))
    try:
        import httpx

        page = httpx.get(f"{url}/papers/c01").text
        assert (
            '<a class="keyword" href="/search?q=%22Denoising%20Score%20Matching%22">Denoising Score Matching</a>'
            in page
        )
        api = httpx.get(f"{url}/api/papers/c01").json()
        assert api["keywords"][:2] == ["Denoising Score Matching", "Diffusion Models"] == api["ai_keywords"][:2]
    finally:
        stop()
