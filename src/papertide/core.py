"""`Papertide`: one catalogue — its store, its derived indexes, its encoder — and everything the
CLI, the web app, the digest worker and the benches do with it.

    from papertide import Papertide

    with Papertide.open("data/") as pt:
        pt.import_files(["snapshot.jsonl.gz"])      # the indexes are brought up to date here
        hits = pt.search("score matching", limit=10)

Whatever writes (imports, fetches, removals, undoing a run, `index`, a submission) keeps the keyword
and vector indexes in step before it returns; reads (search, related, listings) never write.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import IO

import orjson

from papertide.catalogue import thumbnails
from papertide.catalogue.imports import Importer, undo_run
from papertide.catalogue.reports import FileResult, ImportReport, RemoveReport, Summary, UndoReport, rejected_lines
from papertide.catalogue.stars import RepoSource, StarsReport, github_trending, refresh_stars
from papertide.digest.service import Digests
from papertide.errors import NotFound as _NotFound
from papertide.feeds import listings
from papertide.ids import is_arxiv_id
from papertide.index import INLINE_REBUILD_LIMIT, Indexes, Layout
from papertide.index.embed import Encoder, EncoderSpec, encoder_identity, make_encoder
from papertide.index.key_phrases import update_keywords
from papertide.index.vectors import encode_pending
from papertide.members.accounts import Accounts
from papertide.members.authors import Authors
from papertide.members.discussions import Discussions
from papertide.members.moderation import Moderation
from papertide.members.personal import Personal
from papertide.members.recommend import ForYou, Recommendations, Suggestion
from papertide.members.submissions import Fetch, Rules, arxiv_fetcher
from papertide.members.submissions import submit as submit_paper
from papertide.members.votes import Votes
from papertide.model import Member, Paper
from papertide.query import Filters, Query
from papertide.search.retrieval import MODES, Hit, Results, RetrievalError, Semantic
from papertide.search.retrieval import related as related_papers
from papertide.search.retrieval import search as search_papers
from papertide.search.retrieval import similar as similar_papers
from papertide.settings import Settings
from papertide.sources import Item, SourceError
from papertide.sources.jsonl import parse_jsonl
from papertide.store import ImportRun, Store
from papertide.store.backends import open_store

__all__ = [
    "FileResult",
    "ImportReport",
    "NotFound",
    "Papertide",
    "RemoveReport",
    "UndoReport",
    "rejected_lines",
]

log = logging.getLogger(__name__)
DEMO_CORPUS = "demo_papers.jsonl"
# How long "no vectors yet" is believed before the database is asked again.
_SEMANTIC_RECHECK_SECONDS = 30.0


class NotFound(_NotFound):
    """A data directory, paper, member or import run that does not exist."""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Papertide:
    """A papertide catalogue. Dependencies are passed in (`open` builds them from a data directory):
    the store, the directory the derived indexes live in, the encoder for semantic search (a name
    from the `papertide.encoders` entry points, an `Encoder`, or None for keyword search only),
    a clock, and optionally the indexes or a ready `Semantic` themselves, and the members'
    `Accounts` (a test's cheap password hashing). The store is the core's own: the shells (web, CLI,
    worker, benches) reach it only through these methods and the domain objects below."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        encoder: EncoderSpec = "minilm",
        clock: Callable[[], datetime] = utc_now,
        indexes: Indexes | None = None,
        semantic: Semantic | None = None,
        accounts: Accounts | None = None,
    ) -> None:
        self._store, self.data_dir, self.clock = store, data_dir, clock
        self._encoder_spec = encoder
        self.indexes = indexes or Indexes.beside(store, data_dir, encoder_identity(encoder))
        if semantic is not None:  # a ready encoder and vector index (a bench's synthetic one)
            self.indexes.vectors = semantic.index
        self._semantic: Semantic | None = semantic
        self._importer = Importer(store, clock)
        self._no_vectors_until = 0.0
        self.personal = Personal(store, clock)  # members' collections, saved searches, signals
        self.discussions = Discussions(store, clock)  # comments under papers
        self.moderation = Moderation(store, clock)  # roles, reports, hiding, suspensions, the log
        self.authors = Authors(store, self._newest_by_author, clock)  # author and organisation pages
        self.votes = Votes(store, clock)  # upvotes and "not interested"
        self.recommendations = Recommendations(  # For-you, the API's, the digest's and the CLI's
            store, self.indexes.keywords, lambda: self.semantic, self.personal, self.votes, self.trending
        )
        self.accounts = accounts or Accounts(store.community, clock, store.api_tokens)  # members, sessions, tokens
        self.digests = Digests(store, clock, self.new_for_member)  # the digest mail and saved-search alerts

    # --- opening and closing ----------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | None = None,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        encoder: EncoderSpec = "minilm",
        create: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> Papertide:
        """The catalogue in data directory `location` (default: $PAPERTIDE_DATA, else
        ~/.local/share/papertide; its database an SQLite file in it unless $PAPERTIDE_DATABASE_URL
        names another), or at database URL `location` (e.g. postgresql+psycopg://…) with its index
        files in `data_dir`. The schema is migrated on open. `create=False` refuses a data directory
        that does not exist (a mistyped path must not become a new, empty catalogue)."""
        text = os.fspath(location) if location is not None else None
        if text is not None and "://" in text:
            settings = Settings(Path(data_dir or Settings.load().data_dir), text)
        else:
            settings = Settings.load(text)
        if not create and not settings.data_dir.is_dir():
            raise NotFound(
                f"no papertide data directory at {settings.data_dir} (create one with `papertide init`, "
                "or give the right --data-dir)"
            )
        if create:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = open_store(settings.database_url)
        return cls(store, settings.data_dir, encoder=encoder, clock=clock)

    def close(self) -> None:
        if self._semantic is not None:
            self._semantic.close()
        self._store.close()

    def __enter__(self) -> Papertide:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # --- semantic search: one decision ------------------------------------------------------------
    @property
    def semantic(self) -> Semantic | None:
        """The encoder and vector index when semantic search can answer: an encoder is configured
        and the database holds vectors from it. Loads the encoder on first use."""
        if self._semantic is not None:
            return self._semantic
        vectors = self.indexes.vectors
        if vectors is None or time.monotonic() < self._no_vectors_until:
            return None
        if self._store.count_embeddings(vectors.model) == 0:
            self._no_vectors_until = time.monotonic() + _SEMANTIC_RECHECK_SECONDS
            return None
        self._semantic = Semantic(self.encoder(), vectors)
        return self._semantic

    def encoder(self) -> Encoder:
        """The configured encoder, loaded (raises RetrievalError when there is none)."""
        if self._semantic is not None:
            return self._semantic.encoder
        encoder = make_encoder(self._encoder_spec)
        if encoder is None:
            raise RetrievalError("no encoder is configured: keyword search only")
        return encoder

    def search_mode(self, requested: str | None = None) -> str:
        """The mode a search runs in: `requested` when it can, else hybrid when vectors exist, else
        keyword."""
        if requested == "keyword" or (requested in MODES and self.semantic is not None):
            return requested
        return "hybrid" if self.semantic is not None else "keyword"

    # --- reading ----------------------------------------------------------------------------------
    def get(self, paper_id: str) -> Paper | None:
        return self._store.get(paper_id)

    def papers(self, paper_ids: Iterable[str]) -> dict[str, Paper]:
        """The papers among `paper_ids` that the catalogue holds, by id (one query)."""
        return self._store.get_many(paper_ids)

    def papers_after(self, after: int, limit: int) -> list[tuple[int, Paper]]:
        """The catalogue in the order papers arrived, `limit` at a time after row `after` (the
        API's cursor): (row, paper) pairs; nothing is skipped or repeated while papers are added."""
        return self._store.papers_after(after, limit)

    def iter_papers(self) -> Iterator[Paper]:
        """Every paper, in the order they arrived (read in batches: memory stays flat)."""
        yield from self._store.iter_papers()

    def count(self) -> int:
        """How many papers the catalogue holds."""
        return self._store.count()

    def version(self) -> int:
        """A number that moves whenever papers, votes or vectors change (what cached pages key on)."""
        return self._store.catalogue_version()

    @property
    def database_url(self) -> str:
        return self._store.url

    def schema_revision(self) -> str | None:
        return self._store.schema_revision()

    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        offset: int = 0,
        mode: str | None = None,
        filters: Filters | None = None,
        sort: str = "relevance",
    ) -> Results:
        """Papers for a reader's query (words, "phrases", -exclusions, author:Name, cat:cs.LG), best
        first, with how many matched and a spelling suggestion when no paper holds the words; `mode`
        None is the best available. Raises QueryError for an unusable query and RetrievalError for
        semantic or hybrid search without vectors."""
        chosen = mode or self.search_mode()
        semantic = self.semantic if chosen != "keyword" else None
        if chosen != "keyword" and semantic is None:
            raise RetrievalError(f"{chosen} search needs vectors: run `papertide index` first")
        return search_papers(self._store, self.indexes.keywords, text, limit, offset, chosen, semantic, filters, sort)

    def related(self, paper_id: str, limit: int = 10) -> list[Hit]:
        """The papers nearest in meaning to `paper_id` (raises RetrievalError without vectors)."""
        semantic = self.semantic
        if semantic is None:
            raise RetrievalError("related papers need vectors: run `papertide index` first")
        return related_papers(self._store, paper_id, semantic, limit)

    def similar(self, paper: Paper, limit: int = 8) -> list[Hit]:
        """Related papers for a paper page: by meaning when it can, else by its title's words."""
        return similar_papers(self._store, self.indexes.keywords, paper, self.semantic, limit)

    def _newest_by_author(self, query: Query, limit: int) -> list[int]:
        self.indexes.keywords.refresh()
        return self.indexes.keywords.search(query, limit, newest=True)[0]

    def recommend(self, likes: Sequence[str], dislikes: Sequence[str] = (), limit: int = 20) -> list[Suggestion]:
        """Papers for a reader who likes `likes` and not `dislikes`, best first, never a given id
        (by meaning when the catalogue has vectors, else by the liked titles' words)."""
        return self.recommendations.like(likes, dislikes, limit)

    def recommend_for(self, member_id: int, limit: int = 20, signals: int = 50) -> list[Suggestion] | None:
        """A member's recommendations from their latest `signals` signals; None in cold start."""
        return self.recommendations.for_member(member_id, limit, signals)

    def recommend_between(self, member_id: int, start: date, end: date, limit: int = 10) -> list[Suggestion] | None:
        """A member's recommendations among papers new in [start, end); None in cold start."""
        return self.recommendations.between(member_id, start, end, limit)

    def for_you(self, member_id: int, limit: int = 30, week_ending: date | None = None, signals: int = 50) -> ForYou:
        """The member's For-you, the page and the API alike (`Recommendations.for_you`)."""
        return self.recommendations.for_you(member_id, limit, week_ending, signals)

    def new_for_member(self, member: Member, start: date, end: date, limit: int = 10) -> list[Paper]:
        """The digest's `Recommender`: `recommend_between` as papers."""
        return [s.paper for s in self.recommend_between(member.id, start, end, limit) or []]

    def member_likes(self, handle: str, limit: int = 200) -> list[str]:
        """The papers a member's signals say they like: their upvotes and saves, newest first."""
        member = self.accounts.member_by_handle(handle)
        if member is None:
            raise NotFound(f"no member {handle!r}")
        return self.personal.liked_ids(member.id, limit)

    def daily(self, period: listings.Period | None, today: date | None = None) -> listings.Listing:
        return listings.daily(self._store, period, today or self.clock().date())

    def home(self, today: date | None = None) -> listings.Listing:
        """The listing the home page opens on (`listings.opening`: a day, widened when it is thin)."""
        day = today or self.clock().date()
        return listings.daily(self._store, listings.opening(self._store, day), day)

    def trending(self, limit: int = 50, now: datetime | None = None) -> list[tuple[Paper, float]]:
        return listings.trending(self._store, now or self.clock(), limit)

    def refresh_github(self, source: RepoSource, limit: int | None = None) -> StarsReport:
        """Refresh the star counts of the papers' GitHub repositories (see stars.py)."""
        return refresh_stars(self._store, source, self.clock(), limit)

    def github_trending(self, limit: int = 50, now: datetime | None = None) -> list[tuple[Paper, int]]:
        """Papers whose repositories gained the most stars in the last week."""
        return github_trending(self._store, now or self.clock(), limit)

    @property
    def thumbnails_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    def thumbnail_path(self, paper_id: str) -> Path | None:
        """The paper's first-page thumbnail, when `papertide ingest pdf` has made one."""
        path = self.thumbnails_dir / thumbnails.file_name(paper_id)
        return path if path.is_file() else None

    def make_thumbnails(
        self, fetch: Callable[[str], bytes], limit: int | None = None, on_progress: Callable[[int], None] | None = None
    ) -> thumbnails.ThumbnailReport:
        """Thumbnails for the papers with an arXiv id that have none, newest first (`fetch(id)`
        returns a paper's PDF)."""
        ids = [p.id for p in self._store.iter_papers() if is_arxiv_id(p.id)]
        ids.sort(reverse=True)  # arXiv ids sort by date: the newest first
        return thumbnails.make_thumbnails(self.thumbnails_dir, ids, fetch, limit, on_progress)

    def stats(self) -> dict[str, object]:
        facts = self._store.stats()
        vectors = self.indexes.vectors
        facts["vectors"] = self._store.count_embeddings(vectors.model) if vectors else 0
        return facts

    def export(self, stream: IO[bytes]) -> int:
        """Write the catalogue as JSON lines that `import_files` reads back unchanged."""
        written = 0
        for paper in self._store.iter_papers():
            stream.write(orjson.dumps(paper.to_json()) + b"\n")
            written += 1
        return written

    def imports(self, limit: int = 50) -> list[ImportRun]:
        """The latest import runs first."""
        return self._store.import_log.runs(limit)

    # --- writing: each keeps the indexes in step before it returns --------------------------------
    def import_records(
        self,
        items: Iterable[Item],
        *,
        source: str = "records",
        fmt: str = "records",
        batch_size: int = 1000,
        on_batch: Callable[[Summary], None] | None = None,
        record_run: bool = True,
    ) -> Summary:
        """Merge records (from any parser, or built by hand) into the catalogue as one import run."""
        result = self._importer.run(items, source, fmt, batch_size, on_batch, record_run)
        self.catch_up()
        if result.error:
            raise SourceError(result.error)
        return result.summary

    def import_files(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        format: str = "auto",
        capture_year: int | None = None,
        batch_size: int = 1000,
        parallel: bool | None = None,
        bulk: bool | None = None,
        encode: bool = False,
        on_bytes: Callable[[int], None] | None = None,
        on_batch: Callable[[Summary], None] | None = None,
        on_keywords: Callable[[int], None] | None = None,
        on_encoded: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import files (any registered format, detected when `format` is "auto"; .gz too), each as
        its own import run: a file that cannot be read to the end keeps nothing (what it had
        written is undone) and the next file goes on. Inputs over 16 MB are parsed in a second
        process (`parallel`) and, into an empty catalogue, bulk-loaded (`bulk`). Then the keyword
        index catches up, and with `encode` the new papers get their vectors."""
        files = [Path(p) for p in paths]
        report = self._importer.files(files, format, capture_year, batch_size, parallel, bulk, on_bytes, on_batch)
        report.keywords_indexed = self.catch_up(on_progress=on_keywords)
        if encode:
            report.encoded = self.index(on_encoded=on_encoded)
        return report

    def fetch(
        self, items: Iterable[Item], source: str, *, on_batch: Callable[[Summary], None] | None = None
    ) -> Summary:
        """Merge what a remote source answers (e.g. `sources.arxiv_atom.fetch(...)`) as one import
        run named `source`; a source that fails half-way keeps what it had sent (a fetch can be
        resumed by asking again) and the error is raised after the indexes catch up."""
        summary, error = self._importer.fetch(items, source, on_batch)
        self.catch_up()
        if error is not None:
            raise error
        return summary

    def submit(self, member: Member, text: str, fetch: Fetch | None = None, rules: Rules | None = None) -> Paper:
        """Feature the paper named by `text` (an arXiv id or URL) today, submitted by `member`, as
        arXiv describes it (`fetch`: the arXiv API by default); raises SubmissionError (or
        AlreadySubmitted) with the reason. The paper is in the indexes when this returns — keywords,
        and a vector when search has vectors; should that fail, the submission stands and the
        server's background catch-up or the next `papertide index` finishes it."""
        paper = submit_paper(self._store, member, text, fetch or arxiv_fetcher(), self.clock(), rules or Rules())
        try:
            self.catch_up(wait=False)
            self.encode_now([paper.id])
        except Exception:  # the submission is committed: never fail it for this
            log.exception("could not index submitted paper %s now; `papertide index` will encode it", paper.id)
        return paper

    def load_demo(self) -> Summary:
        """Merge the bundled demo corpus into the catalogue (idempotent)."""
        data = resources.files("papertide.data").joinpath(DEMO_CORPUS).read_bytes()
        items = parse_jsonl(data.splitlines(keepends=True), where=DEMO_CORPUS)
        return self.import_records(items, source=f"papertide demo corpus ({DEMO_CORPUS})", fmt="jsonl")

    def remove(self, paper_ids: Sequence[str], *, force: bool = False) -> RemoveReport:
        """Delete papers by id; without `force`, papers members voted for or submitted stay."""
        report = RemoveReport()
        pk_of = self._store.pks_for_ids(paper_ids)
        report.missing = [i for i in paper_ids if i not in pk_of]
        engaged = {} if force else self._store.community.members_engaged_with(list(pk_of.values()))
        doomed = []
        for paper_id, pk in pk_of.items():
            if pk in engaged:
                report.kept.append((paper_id, f"{engaged[pk]} (--force removes it anyway)"))
            else:
                doomed.append(pk)
                report.removed.append(paper_id)
        self._store.remove(doomed)
        self.catch_up()
        return report

    def undo_import(self, run_id: int) -> UndoReport:
        """Undo an import run: delete the papers it added and restore those it changed, except
        papers changed since (by a later run or a member) and added papers members voted for or
        submitted, which are listed with the reason."""
        run = self._store.import_log.run(run_id)
        if run is None:
            raise NotFound(f"no import run {run_id} (`papertide imports` lists them)")
        if run.status == "undone":
            raise NotFound(f"import run {run_id} was undone already")
        plan = undo_run(self._store, run_id, self.clock())
        self.catch_up()
        undone = self._store.import_log.run(run_id)
        assert undone is not None
        return UndoReport(undone, len(plan.remove), len(plan.restore), plan.kept)

    # --- the derived indexes ----------------------------------------------------------------------
    def catch_up(
        self,
        *,
        wait: bool = True,
        rebuild_limit: int | None = INLINE_REBUILD_LIMIT,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Bring the keyword index (and a loaded vector index) up to the database; how many papers
        the keyword index (re)indexed. Writers call it; so does the web server, now and then."""
        vectors = self.indexes.vectors if self._semantic is not None else None
        done = self.indexes.keywords.catch_up(self._store, wait=wait, on_progress=on_progress)
        if vectors is not None:
            vectors.catch_up(self._store, rebuild_limit)
        return done

    def index(
        self,
        *,
        rebuild: bool = False,
        batch_size: int = 64,
        on_keywords: Callable[[int], None] | None = None,
        on_encoded: Callable[[int], None] | None = None,
    ) -> int:
        """Bring the keyword index up to date, encode every paper that has no vector yet, bring the
        vector index up to date and save it (resumable); `rebuild` rebuilds both indexes first.
        Returns how many papers were encoded."""
        keywords = self.indexes.keywords
        if rebuild:
            keywords.rebuild(self._store, on_progress=on_keywords)
        else:
            keywords.catch_up(self._store, on_progress=on_keywords)
        update_keywords(self._store, keywords)  # key phrases (tf-idf needs the keyword index only)
        vectors = self.indexes.vectors
        if vectors is None:
            return 0
        if rebuild:
            vectors.rebuild(self._store)
        encoder = self.encoder()
        done = encode_pending(self._store, encoder, vectors, batch_size, on_batch=on_encoded)
        if self._semantic is None and self._store.count_embeddings(vectors.model):
            self._semantic = Semantic(encoder, vectors)
        if self.indexes.layout is not None:
            self.indexes.layout.update(self._store, vectors, refit=rebuild)
        return done

    def map_layout(self) -> Layout | None:
        """The map of the catalogue as `index()` last laid it out (None before any paper is encoded)."""
        return self.indexes.layout.load() if self.indexes.layout is not None else None

    def pending_vectors(self) -> int:
        """Papers without a vector from the configured encoder."""
        vectors = self.indexes.vectors
        return 0 if vectors is None else self._store.count() - self._store.count_embeddings(vectors.model)

    def encode_now(self, paper_ids: Sequence[str]) -> int:
        """Give these papers their vectors at once (a member's submission: a fraction of a second),
        when the catalogue has vectors; other processes' indexes catch up from the vector log."""
        semantic = self.semantic
        if semantic is None:
            return 0
        from papertide.index.embed import paper_text

        papers = self._store.get_many(paper_ids)
        pk_of = self._store.pks_for_ids(papers)
        wanted = [p for i, p in papers.items() if i in pk_of]
        if not wanted:
            return 0
        vectors = semantic.encoder.encode([paper_text(p.title, p.abstract) for p in wanted])
        self._store.save_embeddings(semantic.encoder.name, [pk_of[p.id] for p in wanted], vectors)
        semantic.index.catch_up(self._store, INLINE_REBUILD_LIMIT)
        return len(wanted)

    def check(self, *, repair: bool = False) -> list[str]:
        """Problems with the database and the derived indexes (empty: all is well). With `repair`,
        first finish an interrupted bulk import, bring the keyword index up to date (rebuilding it
        if it is still wrong) and rebuild an out-of-step vector index from the stored vectors."""
        if repair:
            self._store.finish_bulk_load()
            keywords = self.indexes.keywords
            keywords.catch_up(self._store)
            if keywords.problems(self._store):
                keywords.rebuild(self._store)
            vectors = self.indexes.vectors
            if vectors is not None and self._store.count_embeddings(vectors.model) and not vectors.in_step(self._store):
                vectors.catch_up(self._store)
                vectors.save()
        return self._store.check() + self.indexes.problems(self._store)
