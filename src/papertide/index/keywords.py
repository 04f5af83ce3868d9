"""Keyword search: BM25 over a tantivy index kept in a directory beside the database.

The database is the truth and the index is derived, as for vectors. A file in the index directory
(`papertide.json`) records the marks the index was brought to: the highest paper `pk` it holds and
the last `keyword_changes.seq` it has applied (migration 0008 says what the log records). Bringing
it up to date adds the papers above the pk mark and re-reads the papers in the log after the seq
mark; both are idempotent (a paper is deleted by pk before it is added), so a process killed
between tantivy's commit and the marks file redoes the same work next time.

One process writes at a time (a lock file; tantivy allows one writer per directory). A reader that
finds the index behind while another process holds the lock searches what is committed so far.

Why tantivy: FTS5 ranks every paper that matches any word of the query; at a million papers real
queries took 3.1 s (p50). tantivy skips blocks that cannot reach the top k (21 ms, same queries).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import tantivy
from rapidfuzz.distance import Levenshtein

from papertide.query import Filters, Query
from papertide.store import Doc, KeywordFeed, Marks

# Bump when the fields or the text analysis change: an index of another format is rebuilt.
FORMAT = 2
MARKS_FILE = "papertide.json"
# The title is weighted above the abstract by writing it TITLE_REPEATS times into `text`: its words
# count three times inside one BM25 saturation, as FTS5's column weights did. A separate title field
# with a boost did worse on SciFact, because tantivy multiplies a whole field's score by its boost
# (nDCG@10 keyword / hybrid: title ×3 in text 0.6946 / 0.7192; title field boost 0.3: 0.6932 / 0.7169;
# boost 1: 0.6604 / 0.7017; boost 10: 0.519 / –).
TITLE_REPEATS = 3
FIELD_BOOSTS = {"authors": 3.0}
TEXT_FIELDS = ["text", "authors"]
_WRITER_HEAP = 256_000_000  # bytes the writer buffers before it writes a segment (split by threads)
# The keyword change log keeps its last KEYWORD_LOG_KEEP entries: enough for any index that catches
# up now and then (another host's, on PostgreSQL); one that falls further behind rebuilds.
KEYWORD_LOG_KEEP = 100_000
# Spelling suggestions look at the most common terms sharing a misspelt word's first letter.
_SPELLING_CANDIDATES = 50_000


@dataclass(frozen=True)
class _State:
    format: int
    build: str  # changes when the index is rebuilt into a new directory
    opstamp: int  # tantivy's commit that these marks describe
    max_pk: int
    seq: int


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    # FTS5's `porter unicode61 remove_diacritics 2`, as near as tantivy's filters get.
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    builder = builder.filter(tantivy.Filter.ascii_fold())
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pk", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name="papertide_stem")
    builder.add_text_field("authors", tokenizer_name="papertide_names")
    builder.add_text_field("cat", tokenizer_name="raw")  # lower-cased categories and their archives
    builder.add_date_field("published", indexed=True, fast=True)
    builder.add_integer_field("has_code", indexed=True)
    return builder.build()


def _open(path: Path | None, create: bool) -> tantivy.Index:
    if path is not None and create:
        path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_schema(), path=None if path is None else str(path), reuse=not create)
    index.register_tokenizer("papertide_stem", _analyzer(stem=True))
    index.register_tokenizer("papertide_names", _analyzer(stem=False))
    return index


# The text field's analysis, to count a word (key phrases' tf-idf) the way the index holds it.
_STEMMER = _analyzer(stem=True)


def category_terms(categories: Iterable[str]) -> list[str]:
    """`cs.LG` is found by cat:cs.LG and by cat:cs (any cs.* category), case aside."""
    terms = {c.casefold() for c in categories if c}
    terms |= {c.split(".", 1)[0] for c in terms if "." in c}
    return sorted(terms)


def _document(doc: Doc) -> tantivy.Document:
    fields: dict[str, object] = {
        "pk": doc.pk,
        "text": "\n".join([doc.title] * TITLE_REPEATS + [doc.abstract]),
        "authors": doc.author_names,
        "cat": category_terms(doc.categories),
        "has_code": int(doc.has_code),
    }
    if doc.published is not None:
        fields["published"] = _utc(doc.published)
    return tantivy.Document(**fields)


def _quoted(words: Iterable[str]) -> str:
    # Words come from search.split_words (\w+ runs), which never hold a quote or a backslash, so a
    # quoted word is read as text by tantivy's parser whatever it says ("AND", "title:", "*").
    return '"' + " ".join(words) + '"'


# A short query's words close together count extra: "score matching" written as such (within
# PROXIMITY_SLOP positions, in order or not) outranks a paper that says "score" here and "match"
# there. SciFact, 2 rarest words: BM25 nDCG@10 0.5204 -> 0.5232, hybrid 0.5415 -> 0.5482; claims
# and 3 words unchanged within noise (bench/relevance.py).
PROXIMITY_TERMS = range(2, 5)
PROXIMITY_SLOP = 8


def query_string(query: Query) -> str | None:
    """The tantivy query for the words of `query` (categories and filters are added as clauses):
    any of the words and phrases, every author word, none of the excluded words; for a short query,
    its words near each other score extra."""
    positive = [_quoted([t]) for t in query.terms] + [_quoted(p) for p in query.phrases]
    parts = ["+(" + " ".join(positive) + ")"] if positive else []
    parts += [f"+authors:{_quoted([a])}" for a in query.authors]
    if not parts:
        return None
    if len(query.terms) in PROXIMITY_TERMS and not query.phrases:
        parts.append(f"{_quoted(query.terms)}~{PROXIMITY_SLOP}")
    parts += [f"-{_quoted([w])}" for w in query.excluded]
    return " ".join(parts)


class KeywordIndex:
    """A tantivy index of the papers' searchable fields; `path` None keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards swapping `index` and `state` within this process
        self._write_lock = threading.Lock()  # one writer at a time for an index in memory
        self.state: _State | None = None
        self.index = self._open_current()

    # --- state ------------------------------------------------------------------------------------
    def _read_state(self) -> _State | None:
        if self.path is None:
            return self.state
        try:
            state = _State(**json.loads((self.path / MARKS_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return state if state.format == FORMAT else None

    def _open_current(self) -> tantivy.Index:
        state = self._read_state()
        if state is not None:
            try:
                index = _open(self.path, create=False)
                self.state = state
                return index
            except (OSError, ValueError):
                pass  # unreadable: it is rebuilt by the next catch-up
        self.state = None
        return _open(None, create=True)  # empty until built

    def marks(self) -> Marks | None:
        """The marks of the committed index on disk (None: there is none usable)."""
        state = self._read_state()
        return None if state is None else Marks(state.max_pk, state.seq)

    def refresh(self) -> Marks | None:
        """See what another process committed since this one last looked; return the marks on disk
        (one read of the marks file serves both)."""
        state = self._read_state()
        if state != self.state:
            with self._lock:
                if state is None or self.state is None or state.build != self.state.build:
                    self.index = self._open_current()
                else:
                    self.index.reload()
                    self.state = state
        return None if state is None else Marks(state.max_pk, state.seq)

    @contextlib.contextmanager
    def writing(self, wait: bool) -> Iterator[bool]:
        """Hold the write lock (True), or yield False at once when another process holds it and
        `wait` is off."""
        if self.path is None:
            with self._write_lock:
                yield True
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / f"{self.path.name}.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True

    # --- writing (call under `writing`) -----------------------------------------------------------
    def writer_in_step(self) -> bool:
        """Whether the on-disk marks describe tantivy's last commit (not so after a crash between
        the two, or when there is no index): if not, only a rebuild is safe."""
        self.refresh()
        if self.state is None:
            return False
        writer = self.index.writer(heap_size=15_000_000, num_threads=1)
        try:
            return bool(writer.commit_opstamp == self.state.opstamp)
        finally:
            del writer

    def update(self, docs: Iterable[Doc], removed: Iterable[int], marks: Marks) -> int:
        """Delete `removed` and every doc's pk, add `docs`, commit, and record `marks`."""
        assert self.state is not None, "update needs a built index (see writer_in_step)"
        writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=2)
        for pk in removed:
            writer.delete_documents_by_term("pk", pk)
        added = 0
        for doc in docs:
            writer.delete_documents_by_term("pk", doc.pk)
            writer.add_document(_document(doc))
            added += 1
        opstamp = writer.commit()
        writer.wait_merging_threads()
        self._record(_State(FORMAT, self.state.build, opstamp, marks.max_pk, marks.seq), self.index)
        return added

    def _rebuild(self, docs: Iterable[Doc], marks: Marks) -> int:
        """Index `docs` into a new directory and swap it in."""
        fresh_path = None if self.path is None else self.path.with_name(self.path.name + ".new")
        if fresh_path is not None:
            shutil.rmtree(fresh_path, ignore_errors=True)
        fresh = _open(fresh_path, create=True)
        writer = fresh.writer(heap_size=_WRITER_HEAP, num_threads=2)
        added = 0
        for doc in docs:
            writer.add_document(_document(doc))
            added += 1
        opstamp = writer.commit()
        writer.wait_merging_threads()
        del writer
        state = _State(FORMAT, uuid.uuid4().hex, opstamp, marks.max_pk, marks.seq)
        if self.path is not None and fresh_path is not None:
            (fresh_path / MARKS_FILE).write_text(json.dumps(asdict(state)))
            old = self.path.with_name(self.path.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.path.exists():
                os.replace(self.path, old)
            os.replace(fresh_path, self.path)  # a crash before this leaves no index: rebuilt again
            shutil.rmtree(old, ignore_errors=True)
            fresh = _open(self.path, create=False)
        self._record(state, fresh)
        return added

    def _record(self, state: _State, index: tantivy.Index) -> None:
        if self.path is not None:
            tmp = self.path / (MARKS_FILE + ".tmp")
            tmp.write_text(json.dumps(asdict(state)))
            os.replace(tmp, self.path / MARKS_FILE)
        index.reload()
        with self._lock:
            self.index, self.state = index, state

    # --- keeping in step with the database (the policy; the store gives a snapshot of its feed) ---
    def in_step(self, feed: KeywordFeed) -> bool:
        """Whether the committed index holds every paper and logged change the database has now."""
        return self.refresh() == feed.keyword_marks()

    def catch_up(
        self, feed: KeywordFeed, *, wait: bool = True, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Bring the index up to the database and return how many papers were (re)indexed: add the
        papers above the pk mark, re-read those logged after the seq mark; rebuild instead when it
        cannot (no index, the log pruned past its mark, tantivy's commit not the one the marks
        describe). Without `wait`, a process that finds another one writing returns 0 at once."""
        return self._sync(feed, rebuild=False, wait=wait, on_progress=on_progress)

    def rebuild(self, feed: KeywordFeed, on_progress: Callable[[int], None] | None = None) -> int:
        """Index every paper anew into a fresh directory and swap it in."""
        return self._sync(feed, rebuild=True, wait=True, on_progress=on_progress)

    def _sync(self, feed: KeywordFeed, *, rebuild: bool, wait: bool, on_progress: Callable[[int], None] | None) -> int:
        if not rebuild and self.in_step(feed):
            return 0
        with self.writing(wait) as mine:
            if not mine:
                self.refresh()
                return 0
            with feed.keyword_snapshot() as snapshot:  # the rows as of `target`
                target, have = snapshot.target, self.marks()
                if not rebuild and have == target:
                    self.refresh()
                    return 0
                if (
                    rebuild
                    or have is None
                    or not (snapshot.pruned <= have.seq <= target.seq)
                    or not self.writer_in_step()
                ):
                    added = self._rebuild(_counting(snapshot.docs(0), on_progress), target)
                else:
                    changed = snapshot.changed_since(have.seq)
                    older = [pk for pk in changed if pk <= have.max_pk]  # newer ones come with docs()
                    docs = itertools.chain(snapshot.docs(have.max_pk), snapshot.docs_of(older))
                    added = self.update(_counting(docs, on_progress), changed, target)
            if target.seq - KEYWORD_LOG_KEEP > snapshot.pruned:
                feed.prune_keyword_log(KEYWORD_LOG_KEEP)
            return added

    def problems(self, feed: KeywordFeed) -> list[str]:
        """What is wrong with the index. Lagging behind the database is not wrong (whoever writes
        next catches it up); holding other papers than its marks say is."""
        have, target = self.marks(), feed.keyword_marks()
        repair = "(`papertide check --repair` rebuilds it)"
        if have is not None and have.seq > target.seq:
            return [
                f"the keyword index has seen changes the database has not (#{have.seq} > #{target.seq}): "
                f"was the database restored from a backup? {repair}"
            ]
        if have != target:
            return []
        self.refresh()
        held, papers_now = self.count(), feed.count()
        if held != papers_now:
            return [f"the keyword index holds {held} papers, the catalogue {papers_now} {repair}"]
        return []

    # --- reading ----------------------------------------------------------------------------------
    def count(self) -> int:
        """Papers in the last commit on disk (for checking; searches reload only when marks move)."""
        self.index.reload()
        return int(self.index.searcher().num_docs)

    def search(
        self, query: Query, limit: int, offset: int = 0, filters: Filters | None = None, newest: bool = False
    ) -> tuple[list[int], list[float]]:
        """(pks, BM25 scores) of the best matches, or the newest matches when `newest`."""
        combined = self._query(query, filters)
        if combined is None or limit <= 0:
            return [], []
        searcher = self.index.searcher()
        if newest:
            found = searcher.search(combined, limit, count=False, order_by_field="published", offset=offset)
        else:
            found = searcher.search(combined, limit, count=False, offset=offset)
        hits = [(int(searcher.doc(address)["pk"][0]), key) for key, address in found.hits]
        if newest:
            return [pk for pk, _ in hits], [0.0] * len(hits)
        # Equal scores come back in index order, which merges change: the older paper first instead.
        ranked = sorted(((pk, round(float(score), 6)) for pk, score in hits), key=lambda h: (-h[1], h[0]))
        return [pk for pk, _ in ranked], [score for _, score in ranked]

    def _query(self, query: Query, filters: Filters | None) -> tantivy.Query | None:
        text = query_string(query)
        if text is None:
            return None
        index = self.index
        clauses = [(tantivy.Occur.Must, index.parse_query(text, TEXT_FIELDS, field_boosts=FIELD_BOOSTS))]
        clauses += [(tantivy.Occur.Must, _no_score(f)) for f in _filter_queries(index, query, filters or Filters())]
        return tantivy.Query.boolean_query(clauses)

    def match_count(self, query: Query, filters: Filters | None = None) -> int:
        """How many papers match `query` and `filters` (every one, not a page of them)."""
        combined = self._query(query, filters)
        if combined is None:
            return 0
        found = self.index.searcher().search(combined, 1, count=True)
        return int(getattr(found, "count", 0) or 0)  # (the type stubs lack `count`)

    def close_terms(self, term: str, limit: int = 3) -> list[tuple[str, int]]:
        """Indexed terms (stems) within two edits of `term`, nearest first, then the most documents:
        what a misspelt word probably meant. Only terms sharing the first letter are considered."""
        if not term:
            return []
        searcher = self.index.searcher()
        candidates = searcher.terms_with_prefix("text", term[0], limit=_SPELLING_CANDIDATES)
        near = []
        for found, docs in candidates:
            distance = Levenshtein.distance(term, found, score_cutoff=2)
            if found != term and distance <= 2:
                near.append((distance, -docs, found))
        return [(found, -docs) for _, docs, found in sorted(near)[:limit]]

    def pks_with_term(self, term: str, limit: int = 5) -> list[int]:
        """Papers whose text holds the (stemmed) `term`, best first."""
        query = tantivy.Query.term_query(self.index.schema, "text", term)
        searcher = self.index.searcher()
        return [int(searcher.doc(address)["pk"][0]) for _, address in searcher.search(query, limit).hits]

    def doc_freq(self, term: str) -> int:
        """Papers whose text holds the (stemmed) `term`."""
        return int(self.index.searcher().doc_freq("text", term))

    def doc_freq_of(self, word: str) -> int:
        """Papers whose text holds `word`, analysed as the index analyses text (stemmed, folded)."""
        stems = _STEMMER.analyze(word) if word else []
        return min((self.doc_freq(s) for s in stems), default=0)


def _utc(moment: datetime) -> datetime:
    """`moment` as tantivy takes it: told it is UTC (the database keeps naive UTC times), and within
    the years tantivy can store (1677–2262; a reader may ask for papers since the year 31)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return min(max(moment, tantivy.MIN_DATETIME), tantivy.MAX_DATETIME)


def _no_score(query: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.const_score_query(query, 0.0)


def _filter_queries(index: tantivy.Index, query: Query, filters: Filters) -> list[tantivy.Query]:
    schema = index.schema
    out = [tantivy.Query.term_query(schema, "cat", c.casefold()) for c in query.categories]
    if filters.since or filters.until:
        since, until = tantivy.MIN_DATETIME, tantivy.MAX_DATETIME
        if filters.since:
            since = _utc(datetime.combine(filters.since, time.min))
        if filters.until:
            until = _utc(datetime.combine(filters.until + timedelta(days=1), time.min))
        out.append(tantivy.Query.range_query(schema, "published", tantivy.FieldType.Date, since, until, True, False))
    if filters.has_code:
        out.append(tantivy.Query.term_query(schema, "has_code", 1))
    return out


def _counting(docs: Iterable[Doc], on_progress: Callable[[int], None] | None) -> Iterator[Doc]:
    """`docs`, calling `on_progress(n)` every 1,000 papers and at the end."""
    n = 0
    for n, doc in enumerate(docs, 1):
        if on_progress and n % 1000 == 0:
            on_progress(n)
        yield doc
    if on_progress:
        on_progress(n)


def all_words_query_string(query: Query) -> str | None:
    """The tantivy query an alert uses: every word and phrase of `query` must occur (a search
    ranks any of them; an alert that fired on any one word would mail half the catalogue), every
    author word, none of the excluded words."""
    parts = [f"+{_quoted([t])}" for t in query.terms] + [f"+{_quoted(p)}" for p in query.phrases]
    parts += [f"+authors:{_quoted([a])}" for a in query.authors]
    if not parts and not query.categories:
        return None
    if not parts:
        parts = ["*"]  # categories alone: every paper, narrowed by the category clause
    parts += [f"-{_quoted([w])}" for w in query.excluded]
    return " ".join(parts)


class Matcher:
    """Runs many saved searches over a small set of papers (those an ingest added): they are
    indexed in memory with the keyword index's own analysis, so an alert and a search read words
    the same way, and each saved search is one query against a few thousand documents."""

    def __init__(self, docs: Iterable[Doc]) -> None:
        self.index = _open(None, create=True)
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for doc in docs:
            writer.add_document(_document(doc))
        writer.commit()
        writer.wait_merging_threads()
        del writer
        self.index.reload()
        self.searcher = self.index.searcher()
        self.size = int(self.searcher.num_docs)
        # Each hit's pk by its address, read once: fetching a stored document per hit per saved
        # search was most of the cost (10,000 searches x thousands of hits).
        every = self.searcher.search(tantivy.Query.all_query(), max(self.size, 1)).hits
        self._pks = {(a.segment_ord, a.doc): int(self.searcher.doc(a)["pk"][0]) for _, a in every}

    def matches(self, query: Query, filters: Filters | None = None, limit: int | None = None) -> list[int]:
        """The pks of the papers that match every word of `query` and pass `filters`, best first
        (the best `limit` of them)."""
        text = all_words_query_string(query)
        if text is None or not self.size:
            return []
        if text == "*":
            clauses = [(tantivy.Occur.Must, tantivy.Query.all_query())]
        else:
            clauses = [(tantivy.Occur.Must, self.index.parse_query(text, TEXT_FIELDS, field_boosts=FIELD_BOOSTS))]
        narrowing = _filter_queries(self.index, query, filters or Filters())
        clauses += [(tantivy.Occur.Must, _no_score(f)) for f in narrowing]
        found = self.searcher.search(tantivy.Query.boolean_query(clauses), min(limit or self.size, self.size))
        return [self._pks[(a.segment_ord, a.doc)] for _, a in found.hits]
