import json
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from papertide.catalogue.imports import ingest
from papertide.index.embed import MiniLM
from papertide.index.keywords import KeywordIndex
from papertide.index.vectors import SharedLock, VectorIndex, encode_pending
from papertide.query import Filters, QueryError
from papertide.search.retrieval import MODES, Semantic, related
from papertide.search.retrieval import search as retrieval_search
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore

from conftest import FIXTURES

ON_BOTH_BACKENDS = True  # the vector log's triggers differ per dialect (conftest runs these on both)


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM(threads=1)


class Counting:
    """Wraps the real encoder and counts the texts it is given."""

    def __init__(self, encoder: MiniLM) -> None:
        self.encoder, self.texts, self.name, self.dim = encoder, 0, encoder.name, encoder.dim

    def encode(self, texts):
        self.texts += len(texts)
        return self.encoder.encode(texts)


def search(store: SqlStore, text: str, **kw: object) -> list:  # type: ignore[type-arg]
    """retrieval.search over a keyword index caught up with `store` (in memory)."""
    keywords = KeywordIndex(None)
    keywords.catch_up(store)
    return retrieval_search(store, keywords, text, **kw)  # type: ignore[arg-type]


@pytest.fixture
def corpus(store: SqlStore) -> SqlStore:
    ingest(store, read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    return store


class CrashAfter:
    """Wraps the real encoder and dies on call number `n` (a process killed mid-run)."""

    def __init__(self, encoder: MiniLM, n: int) -> None:
        self.encoder, self.n, self.name, self.dim = encoder, n, encoder.name, encoder.dim

    def encode(self, texts):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt
        return self.encoder.encode(texts)


def test_index_then_search_by_meaning(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    assert encode_pending(corpus, encoder, index, batch_size=5) == 12
    assert encode_pending(corpus, encoder, index) == 0  # nothing left to do
    semantic = Semantic(encoder, index)
    hits = search(corpus, "folding of amino acid chains", limit=3, mode="semantic", semantic=semantic)
    assert hits[0].paper.id == "c02"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0.2 for s in scores)  # near ones only


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quantum surface codes", "c04"),
        ("fraud detection imbalanced transactions", "c03"),
        ("translation between languages", "c05"),
        ("weak gravitational lensing galaxy clusters", "c10"),
    ],
)
def test_unambiguous_query_ranks_first_in_every_mode(
    corpus: SqlStore, encoder: MiniLM, tmp_path: Path, mode: str, query: str, expected: str
) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    hits = search(corpus, query, limit=5, mode=mode, semantic=Semantic(encoder, index))
    assert hits[0].paper.id == expected


def test_semantic_hits_obey_filters(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    semantic = Semantic(encoder, index)
    hits = search(corpus, "diffusion models cat:cs.CV", limit=5, mode="semantic", semantic=semantic)
    assert [h.paper.id for h in hits] == ["c12"]
    hits = search(corpus, "diffusion -video", limit=12, mode="hybrid", semantic=semantic)
    assert "c12" not in [h.paper.id for h in hits] and hits[0].paper.id == "c01"


def test_related_excludes_itself(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    hits = related(corpus, "c01", Semantic(encoder, index), limit=3)
    assert "c01" not in [h.paper.id for h in hits]
    assert hits[0].paper.id == "c12"  # the other diffusion paper


def test_index_survives_restart(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    path = tmp_path / "vectors.usearch"
    encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name))
    reopened = VectorIndex(path, encoder.dim, encoder.name)
    assert not reopened.in_step(corpus)  # nothing is read from disk until it is needed
    reopened.refresh()
    assert reopened.in_step(corpus) and len(reopened.index) == 12


def test_out_of_step_index_is_detected_and_repaired(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    path = tmp_path / "vectors.usearch"
    encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name))
    # Another writer stores a vector but never saves the index file.
    pk = corpus.pks_for_ids(["c03"])["c03"]
    corpus.save_embeddings(encoder.name, [pk], encoder.encode(["quantum surface codes"]))
    stale = VectorIndex(path, encoder.dim, encoder.name)
    assert not stale.in_step(corpus)
    # A search reads the index as it is (it never writes) ...
    hits = search(corpus, "quantum surface codes", limit=2, mode="semantic", semantic=Semantic(encoder, stale))
    assert not stale.in_step(corpus) and [h.paper.id for h in hits][:1] == ["c04"]
    # ... and whoever writes brings it in step (a CLI command, the web server's background task).
    assert stale.catch_up(corpus)
    hits = search(corpus, "quantum surface codes", limit=2, mode="semantic", semantic=Semantic(encoder, stale))
    assert stale.in_step(corpus)
    assert {h.paper.id for h in hits} == {"c03", "c04"}  # c03 now carries the new vector


def indexed_and_a_web_worker(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> tuple[Path, VectorIndex]:
    """`papertide index` run once, and another process's view of the file it saved."""
    path = tmp_path / "vectors.usearch"
    encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name))
    worker = VectorIndex(path, encoder.dim, encoder.name)
    worker.refresh()  # as its first search does
    return path, worker


def new_abstract(corpus: SqlStore, paper_id: str) -> None:
    paper = corpus.get(paper_id)
    assert paper is not None
    corpus.apply([(paper_id, paper.replace(abstract="A new abstract about sea turtles."))])


def test_a_web_worker_catches_up_from_the_log_without_rebuilding(
    corpus: SqlStore, encoder: MiniLM, tmp_path: Path
) -> None:
    _, web_worker = indexed_and_a_web_worker(corpus, encoder, tmp_path)
    pks = corpus.pks_for_ids(["c03", "c11"])
    vector = encoder.encode(["quantum surface codes"])
    corpus.save_embeddings(encoder.name, [pks["c03"]], vector)  # another process; the file is not saved
    new_abstract(corpus, "c11")  # its vector is dropped
    assert not web_worker.in_step(corpus)
    assert web_worker.catch_up(corpus, rebuild_limit=0)  # in step again, and no rebuild was allowed
    assert web_worker.search(vector[0], 1) == ([pks["c03"]], [1.0])
    assert not web_worker.index.contains(pks["c11"]) and len(web_worker.index) == 11


def test_searches_go_on_while_the_index_catches_up(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    _, web_worker = indexed_and_a_web_worker(corpus, encoder, tmp_path)
    pks = sorted(corpus.pks_for_ids([f"c{i:02d}" for i in range(1, 13)]).values())
    rng = np.random.default_rng(0)
    query = rng.standard_normal(384).astype(np.float32)
    failures: list[BaseException] = []
    done = threading.Event()

    def search_until_done() -> None:
        try:
            while not done.is_set():
                found, _ = web_worker.search(query, 5)
                assert len(found) == 5
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    readers = [threading.Thread(target=search_until_done) for _ in range(4)]
    for reader in readers:
        reader.start()
    for round_ in range(30):  # another process keeps rewriting vectors; this one keeps catching up
        pk = pks[round_ % len(pks)]
        corpus.save_embeddings(encoder.name, [pk], rng.standard_normal((1, 384)).astype(np.float32))
        assert web_worker.catch_up(corpus, rebuild_limit=0)
    done.set()
    for reader in readers:
        reader.join()
    assert failures == [] and web_worker.in_step(corpus) and len(web_worker.index) == 12


def test_a_worker_left_behind_the_pruned_log_loads_the_file_cron_saved(
    corpus: SqlStore, encoder: MiniLM, tmp_path: Path
) -> None:
    path, web_worker = indexed_and_a_web_worker(corpus, encoder, tmp_path)
    new_abstract(corpus, "c11")
    corpus.prune_vector_log(keep=0)  # the worker's mark is gone from the log, and no file is newer
    assert web_worker.catch_up(corpus, rebuild_limit=10) is False  # 11 stored vectors: too many to rebuild here
    assert len(web_worker.index) == 12 and not web_worker.in_step(corpus)  # searched as it is meanwhile
    assert web_worker.catch_up(corpus, rebuild_limit=10) is False  # asked again with nothing new: still as it is
    assert encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name)) == 1  # cron's run saves
    assert web_worker.catch_up(corpus, rebuild_limit=0) is True and len(web_worker.index) == 12  # loaded


def test_an_index_saved_before_the_vector_log_is_searched_until_rebuilt(
    corpus: SqlStore, encoder: MiniLM, tmp_path: Path
) -> None:
    path = tmp_path / "vectors.usearch"
    encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name))
    path.with_suffix(".json").write_text(json.dumps({"model": encoder.name, "generation": 5, "count": 12}))
    upgraded = VectorIndex(path, encoder.dim, encoder.name)
    assert upgraded.catch_up(corpus, rebuild_limit=0) is False and len(upgraded.index) == 12  # still searchable
    assert encode_pending(corpus, encoder, upgraded) == 0  # `papertide index` after the upgrade rebuilds it
    assert upgraded.state is not None and upgraded.state.seq == 12 and upgraded.in_step(corpus)


def test_a_query_is_encoded_once_for_its_pages_and_sorts(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    counting = Counting(encoder)
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    semantic = Semantic(counting, index, cache_size=2)

    def ids(query: str, **kw: object) -> list[str]:
        return [h.paper.id for h in search(corpus, query, mode="hybrid", semantic=semantic, **kw)]  # type: ignore[arg-type]

    first = ids("quantum surface codes", limit=2)
    ids("quantum surface codes", limit=2, offset=2)  # the next page
    assert ids("quantum surface codes", sort="newest")  # another order
    assert counting.texts == 1 and first[0] == "c04"  # one encoding, feedback included
    ids("galaxy lensing")
    ids("fraud detection")  # the cache holds two: the first query is forgotten
    assert ids("quantum surface codes", limit=2) == first and counting.texts == 4


def test_killed_indexing_resumes(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    path = tmp_path / "vectors.usearch"
    with pytest.raises(KeyboardInterrupt):
        encode_pending(corpus, CrashAfter(encoder, 3), VectorIndex(path, encoder.dim, encoder.name), batch_size=4)
    assert corpus.count_embeddings(encoder.name) == 8  # two whole batches were committed
    index = VectorIndex(path, encoder.dim, encoder.name)
    assert not index.in_step(corpus)
    assert encode_pending(corpus, encoder, index, batch_size=4) == 4
    assert index.in_step(corpus) and len(index.index) == 12


def test_changed_abstract_makes_the_vector_stale(corpus: SqlStore, encoder: MiniLM, tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    new_abstract(corpus, "c11")
    assert [pk for pk, _, _ in corpus.pending_embeddings(encoder.name, 10)] == [corpus.pks_for_ids(["c11"])["c11"]]
    assert not index.in_step(corpus)
    assert encode_pending(corpus, encoder, index) == 1
    vector = np.asarray(index.index.get(corpus.pks_for_ids(["c11"])["c11"]), dtype=np.float32)
    assert float(vector @ encoder.encode(["sea turtles"])[0]) > 0.3


@pytest.mark.parametrize("mode", MODES)
def test_filters_sorting_and_paging_in_every_mode(corpus: SqlStore, encoder: MiniLM, tmp_path: Path, mode: str) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    semantic = Semantic(encoder, index)

    def ids(query: str, **kw: object) -> list[str]:
        return [h.paper.id for h in search(corpus, query, mode=mode, semantic=semantic, **kw)]  # type: ignore[arg-type]

    learning = "learning neural networks models"
    # Published dates in the fixture are 2024-01-<number>; only c05..c09 fall in the window.
    window = Filters(since=date(2024, 1, 5), until=date(2024, 1, 9))
    assert set(ids(learning, limit=12, filters=window)) <= {"c05", "c06", "c07", "c08", "c09"}
    newest = ids(learning, limit=12, filters=window, sort="newest")
    assert newest == sorted(newest, reverse=True) and len(newest) >= 3
    first, second = ids(learning, limit=2, sort="newest"), ids(learning, limit=2, offset=2, sort="newest")
    assert len(first) == len(second) == 2 and not set(first) & set(second)
    assert ids("fraud detection", filters=Filters(has_code=True)) == ["c03"]
    assert ids("fraud detection", filters=Filters(min_upvotes=3)) == ["c03"]
    assert ids(learning, limit=12, filters=Filters(has_code=True, since=date(2024, 1, 4))) == []
    assert ids("molecules and fraud", limit=2, sort="upvotes", filters=Filters(min_upvotes=1)) == ["c03", "c07"]
    # Relevance order without filters fetches only the page: pages are slices of one ranking.
    whole = ids(learning, limit=6)
    assert ids(learning, limit=3) + ids(learning, limit=3, offset=3) == whole and len(whole) == 6


@pytest.mark.parametrize("mode", MODES)
def test_absurd_queries_never_crash(corpus: SqlStore, encoder: MiniLM, tmp_path: Path, mode: str) -> None:
    index = VectorIndex(tmp_path / "vectors.usearch", encoder.dim, encoder.name)
    encode_pending(corpus, encoder, index)
    semantic = Semantic(encoder, index)
    for text in ["", "   ", "the of and", "\x00\x07\x1b", "-only -exclusions"]:
        assert search(corpus, text, mode=mode, semantic=semantic) == [], text
    for text in ["author:", "cat:", "NEAR( * OR ^", "\u202e\ufeffscore"]:  # read as plain words: no crash
        assert len(search(corpus, text, mode=mode, semantic=semantic)) <= 10
    hits = search(corpus, '"surface codes', mode=mode, semantic=semantic)  # unbalanced quote
    assert hits[0].paper.id == "c04"
    with pytest.raises(QueryError, match="query is too long"):
        search(corpus, "x" * 10_000, mode=mode, semantic=semantic)


def test_searches_share_the_graph_and_a_catch_up_has_it_alone() -> None:
    lock = SharedLock()
    order: list[str] = []
    first_in, writer_waiting = threading.Event(), threading.Event()
    release_first = threading.Event()

    def search(name: str, entered: threading.Event | None = None, hold: threading.Event | None = None) -> None:
        with lock.shared():
            order.append(name)
            if entered:
                entered.set()
            if hold:
                assert hold.wait(5)

    def catch_up() -> None:
        writer_waiting.set()
        with lock.exclusive():
            order.append("catch-up")

    first = threading.Thread(target=search, args=("search 1", first_in, release_first))
    first.start()
    assert first_in.wait(5)
    second = threading.Thread(target=search, args=("search 2",))
    second.start()
    second.join(5)  # a second search does not wait for the first one
    assert order == ["search 1", "search 2"]

    writer = threading.Thread(target=catch_up)
    writer.start()
    assert writer_waiting.wait(5)
    deadline = time.monotonic() + 5
    while not lock._writers_waiting and time.monotonic() < deadline:
        time.sleep(0.001)
    third = threading.Thread(target=search, args=("search 3",))
    third.start()
    time.sleep(0.05)
    assert order == ["search 1", "search 2"]  # the catch-up waits for search 1; search 3 waits behind it
    release_first.set()
    for thread in (first, writer, third):
        thread.join(5)
    assert order == ["search 1", "search 2", "catch-up", "search 3"]


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "random bytes, sidecar without a checksum"])
def test_a_damaged_index_file_is_refused_searched_by_words_and_rebuilt(
    corpus: SqlStore, encoder: MiniLM, tmp_path: Path, damage: str
) -> None:
    """Issue 32, item 3: random bytes in the file loaded silently (every score 0, related 'nan'), a
    truncated one made every search a 500; `check` said ok. Now the file is checked on load against
    the size and SHA-256 saved with it (and, for an older sidecar, a sample of the stored vectors)."""
    import os

    path = tmp_path / "vectors.usearch"
    encode_pending(corpus, encoder, VectorIndex(path, encoder.dim, encoder.name))
    size = path.stat().st_size
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: size // 2])
    else:
        path.write_bytes(path.read_bytes()[:64] + os.urandom(size - 64))  # the header kept: it still opens
    if "without a checksum" in damage:
        saved = json.loads(path.with_suffix(".json").read_text())
        path.with_suffix(".json").write_text(json.dumps({k: saved[k] for k in ("model", "seq", "count")}))
    worker = VectorIndex(path, encoder.dim, encoder.name)
    worker.refresh()  # what a search does first: never an error
    hits = search(corpus, "quantum surface codes", limit=3, semantic=Semantic(encoder, worker))
    assert [h.paper.id for h in hits][:1] == ["c04"]  # by words meanwhile
    [problem] = worker.problems(corpus)
    assert "is damaged" in problem and "papertide check --repair" in problem
    assert worker.catch_up(corpus)  # a writer (check --repair, index, the server's catch-up) rebuilds it
    assert worker.damaged is None and worker.in_step(corpus) and worker.problems(corpus) == []
    hits = search(corpus, "quantum surface codes", limit=2, mode="semantic", semantic=Semantic(encoder, worker))
    assert [h.paper.id for h in hits][:1] == ["c04"] and all(h.score > 0.2 for h in hits)
    again = VectorIndex(path, encoder.dim, encoder.name)
    again.refresh()
    assert again.in_step(corpus) and again.damaged is None  # the rebuilt file carries its checksum
