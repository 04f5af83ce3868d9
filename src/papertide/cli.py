"""The `papertide` command: a thin shell over the library (exit codes: 0 ok, 1 error, 2 usage)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import catalogue
from .imports import Summary, ingest
from .index.vectors import index_papers
from .query import SORTS, Filters, QueryError
from .settings import Settings
from .sources import Item, SourceError, arxiv_atom, hf_daily, oai
from .sources.files import FORMATS, read_path
from .sources.http import PoliteClient
from .sources.parallel import read_paths_in_process
from .store import Store, open_store

# Inputs larger than this are parsed in a second process (see sources/parallel.py; below it, starting
# that process, ~0.3 s, costs more than it saves) and, into an empty catalogue, bulk-loaded.
LARGE_IMPORT_BYTES = 16 << 20

err = Console(stderr=True)
out = Console(highlight=False)


def with_store(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command --data-dir and an open, migrated store; turn library errors into exit 1."""

    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="PAPERTIDE_DATA",
        help="Where the database lives (default: $PAPERTIDE_DATA or ~/.local/share/papertide).",
    )
    @functools.wraps(func)
    def wrapper(data_dir: Path | None, **kwargs: Any) -> Any:
        settings = Settings.load(data_dir)
        try:
            store = open_store(settings.database_url, keyword_dir=settings.keyword_dir)
        except Exception as exc:  # a database we cannot open or migrate is the operator's to fix
            raise click.ClickException(f"cannot open the database {settings.database_url}: {exc}") from exc
        try:
            return func(store=store, settings=settings, **kwargs)
        except (SourceError, QueryError, catalogue.CatalogueError) as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            store.close()

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="papertide")
def main() -> None:
    """papertide: a self-hosted research-paper discovery service."""


@main.command()
@with_store
def init(store: Store, settings: Settings) -> None:
    """Create the data directory and database, or upgrade an older database in place."""
    out.print(f"database ready at {settings.database_url} ({store.count()} papers)")


def _print_summary(summary: Summary, as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps({**summary.as_dict(), "rejections": [str(r) for r in summary.rejections]}))
    else:
        s = summary
        out.print(f"new {s.new} · updated {s.updated} · unchanged {s.unchanged} · rejected {s.rejected}")
        for rejection in s.rejections[:20]:
            err.print(f"[red]rejected[/red] {rejection}", highlight=False)
        if s.rejected > 20:
            err.print(f"... and {s.rejected - 20} more rejected records")
    if summary.rejected:
        sys.exit(1)


def _progress(label: str, total: int | None) -> Progress:
    columns = [TextColumn(label), BarColumn(), DownloadColumn(), TextColumn("{task.fields[summary]}")]
    if total:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, console=err, transient=False)


@main.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--page-year", type=int, help="Year of capture for result pages (default: inferred).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--index", "then_index", is_flag=True, help="Then encode the new papers for semantic search.")
@click.option(
    "--parallel/--no-parallel",
    default=None,
    help="Parse in a second process while this one writes (default: for inputs over 16 MB on 2+ cores).",
)
@click.option(
    "--bulk/--no-bulk",
    default=None,
    help="Build the search and browsing indexes once at the end (default: for inputs over 16 MB into an "
    "empty catalogue).",
)
@with_store
def import_(
    store: Store,
    settings: Settings,
    paths: tuple[Path, ...],
    fmt: str,
    page_year: int | None,
    batch_size: int,
    as_json: bool,
    then_index: bool,
    parallel: bool | None,
    bulk: bool | None,
) -> None:
    """Import papers from files (arXiv Atom, OAI-PMH, metadata snapshot, HF daily JSON, result pages,
    JSON lines; .gz too). Re-importing is harmless: unchanged papers stay as they are."""
    total_bytes = sum(p.stat().st_size for p in paths)
    with _progress("importing", total_bytes) as progress:
        task = progress.add_task("import", total=total_bytes, summary="")

        def advance(n: int) -> None:
            progress.advance(task, n)

        def items() -> Iterator[Item]:
            for path in paths:
                yield from read_path(path, fmt, page_year, on_bytes=advance)

        if parallel is None:
            parallel = total_bytes > LARGE_IMPORT_BYTES and (os.cpu_count() or 1) > 1
        if bulk is None:
            bulk = total_bytes > LARGE_IMPORT_BYTES and store.count() == 0
        records = read_paths_in_process(paths, fmt, page_year, advance) if parallel else items()
        summary = ingest(store, records, batch_size, on_batch=_show(progress, task), bulk=bulk)
    sync_keywords(store)
    if then_index:
        _encode_pending(store, settings)
    _print_summary(summary, as_json)


def sync_keywords(store: Store, rebuild: bool = False) -> None:
    """Bring the keyword index up to the database, with a progress bar when there is work."""
    columns = [TextColumn("keyword index"), BarColumn(), TextColumn("{task.completed:,} papers")]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("keywords", total=None)
        done = store.sync_keyword_index(rebuild=rebuild, on_progress=lambda n: progress.update(task, completed=n))
    if done:
        err.print(f"keyword index: {done:,} papers (re)indexed")


def _show(progress: Progress, task: Any) -> Callable[[Summary], None]:
    def update(s: Summary) -> None:
        indexing = "; building the search indexes" if s.indexing else ""
        progress.update(task, summary=f"{s.seen:,} records: {s.new:,} new, {s.updated:,} updated{indexing}")

    return update


@main.group(name="ingest")
def ingest_group() -> None:
    """Fetch papers from remote sources (arXiv API, arXiv OAI-PMH, HF daily papers)."""


def _fetch_and_ingest(
    store: Store,
    fetch: Callable[[PoliteClient], Iterable[Item]],
    delay: float,
    retries: int,
    as_json: bool,
    then_index: tuple[Settings, bool] | None = None,
) -> None:
    client = PoliteClient(delay=delay, retries=retries)
    try:
        with _progress("fetching", None) as progress:
            task = progress.add_task("fetch", total=None, summary="")
            summary = ingest(store, fetch(client), batch_size=200, on_batch=_show(progress, task))
    finally:
        client.close()
    sync_keywords(store)
    if then_index and then_index[1]:
        _encode_pending(store, then_index[0])
    _print_summary(summary, as_json)


def _window(days: int | None, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(tzinfo=None)
    if since or until:
        return since or (until or now) - timedelta(days=days or 1), until or now
    return now - timedelta(days=days or 1), now


polite = [
    click.option("--base-url", help="Endpoint (default: the public one; tests point it at a local server)."),
    click.option("--delay", type=float, default=3.0, show_default=True, help="Seconds between requests."),
    click.option(
        "--retries",
        type=click.IntRange(0, 10),
        default=4,
        show_default=True,
        help="Retries (with back-off) on network errors, 429 and 5xx.",
    ),
    click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
    click.option("--index", "then_index", is_flag=True, help="Then encode the new papers for semantic search."),
]


def with_polite(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(polite):
        func = option(func)
    return func


@ingest_group.command(name="arxiv")
@click.option("--category", "-c", multiple=True, help="arXiv category such as cs.LG (repeatable).")
@click.option("--id", "ids", multiple=True, help="Fetch these arXiv ids instead of a category window.")
@click.option("--days", type=click.IntRange(1, 3650), help="Papers submitted in the last N days (default 1).")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="Window start (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Window end (YYYY-MM-DD, inclusive).")
@click.option("--page-size", type=click.IntRange(1, 2000), default=100, show_default=True)
@with_polite
@with_store
def ingest_arxiv(
    store: Store,
    settings: Settings,
    category: tuple[str, ...],
    ids: tuple[str, ...],
    days: int | None,
    since: datetime | None,
    until: datetime | None,
    page_size: int,
    base_url: str | None,
    delay: float,
    retries: int,
    as_json: bool,
    then_index: bool,
) -> None:
    """Fetch new and updated papers from the arXiv API, by category and date window or by id."""
    if not category and not ids:
        raise click.UsageError("give --category (repeatable) or --id")
    url = base_url or arxiv_atom.DEFAULT_URL
    if until:
        until = until + timedelta(days=1) - timedelta(minutes=1)
    start, end = _window(days, since, until)

    def items(client: PoliteClient) -> Iterator[Item]:
        if ids:
            yield from arxiv_atom.fetch(client, id_list=ids, base_url=url, page_size=page_size)
        for cat in category:
            query = arxiv_atom.category_query(cat, start, end)
            yield from arxiv_atom.fetch(client, search_query=query, base_url=url, page_size=page_size)

    _fetch_and_ingest(store, items, delay, retries, as_json, (settings, then_index))


@ingest_group.command(name="oai")
@click.option("--set", "set_spec", help="OAI set, e.g. cs or physics:hep-th.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="Changed on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Changed on or before (YYYY-MM-DD).")
@click.option("--metadata-format", type=click.Choice(oai.FORMATS), default="arXiv", show_default=True)
@with_polite
@with_store
def ingest_oai(
    store: Store,
    settings: Settings,
    set_spec: str | None,
    since: datetime | None,
    until: datetime | None,
    metadata_format: str,
    base_url: str | None,
    delay: float,
    retries: int,
    as_json: bool,
    then_index: bool,
) -> None:
    """Backfill from arXiv's OAI-PMH interface (follows resumption tokens to the end)."""

    def items(client: PoliteClient) -> Iterator[Item]:
        return oai.fetch(
            client,
            metadata_prefix=metadata_format,
            set_spec=set_spec,
            since=since.date() if since else None,
            until=until.date() if until else None,
            base_url=base_url or oai.DEFAULT_URL,
        )

    _fetch_and_ingest(store, items, delay, retries, as_json, (settings, then_index))


@ingest_group.command(name="hf-daily")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Featured day (default: today, UTC).")
@with_polite
@with_store
def ingest_hf_daily(
    store: Store,
    settings: Settings,
    day: datetime | None,
    base_url: str | None,
    delay: float,
    retries: int,
    as_json: bool,
    then_index: bool,
) -> None:
    """Fetch one day of a Hugging Face-style daily papers list (featured dates, upvotes)."""
    featured = day.date() if day else datetime.now(UTC).date()
    url = base_url or hf_daily.DEFAULT_URL
    _fetch_and_ingest(
        store, lambda client: hf_daily.fetch(client, featured, url), delay, retries, as_json, (settings, then_index)
    )


@main.command()
@click.option("--json", "as_json", is_flag=True)
@with_store
def stats(store: Store, settings: Settings, as_json: bool) -> None:
    """What the catalogue holds."""
    facts = store.stats()
    if as_json:
        click.echo(orjson.dumps(facts))
        return
    table = Table(show_header=False, box=None)
    for key, value in facts.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        table.add_row(key.replace("_", " "), str(value if value is not None else "-"))
    out.print(table)


def _semantic(store: Store, settings: Settings, mode: str) -> catalogue.Semantic | None:
    """The encoder and vector index when the mode needs them; hybrid falls back to keyword search
    (saying so) while no paper has a vector yet."""
    if mode == "keyword":
        return None
    semantic = catalogue.Semantic.open(settings.data_dir)
    if store.count_embeddings(semantic.encoder.name) == 0:
        if mode == "semantic":
            raise click.ClickException("no paper has a vector yet: run `papertide index` first")
        err.print("[yellow]no vectors yet (run `papertide index`): keyword search only[/yellow]")
        return None
    return semantic


def _hits_json(hits: list[catalogue.Hit]) -> list[dict[str, object]]:
    return [{"id": h.paper.id, "title": h.paper.title, "score": h.score} for h in hits]


def _print_hits(hits: list[catalogue.Hit], query: str) -> None:
    if not hits:
        out.print(f"no papers match {query!r}")
    for rank, hit in enumerate(hits, start=1):
        p = hit.paper
        date = p.published.strftime("%b %d, %Y") if p.published else None
        meta = " · ".join(filter(None, (p.id, catalogue.byline(p), date)))
        out.print(f"[bold]{rank:>2}. {p.title}[/bold]\n    {meta}  [dim](score {hit.score:.3f})[/dim]")


@main.command()
@click.argument("query", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--mode", type=click.Choice(catalogue.MODES), default="hybrid", show_default=True)
@click.option("--offset", type=click.IntRange(0, 100_000), default=0, help="Skip this many results (paging).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First published on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="First published on or before (YYYY-MM-DD).")
@click.option("--has-code", is_flag=True, help="Only papers with a code link.")
@click.option("--min-upvotes", type=click.IntRange(0), help="Only papers with at least this many upvotes.")
@click.option("--batch", "batch_file", type=click.File("rb"), help='JSON lines {"id", "text"}: one answer line each.')
@click.option("--json", "as_json", is_flag=True, help="Print [{id, title, score}, ...].")
@with_store
def search(
    store: Store,
    settings: Settings,
    query: str | None,
    limit: int,
    mode: str,
    offset: int,
    sort: str,
    since: datetime | None,
    until: datetime | None,
    has_code: bool,
    min_upvotes: int | None,
    batch_file: Any,
    as_json: bool,
) -> None:
    """Search titles, abstracts and authors, by words and by meaning. Supports "phrases",
    -exclusions, author:Name and cat:cs.LG."""
    if (query is None) == (batch_file is None):
        raise click.UsageError("give a QUERY or --batch FILE")
    semantic = _semantic(store, settings, mode)
    effective = mode if semantic else "keyword"
    filters = Filters(since.date() if since else None, until.date() if until else None, has_code, min_upvotes)
    run = functools.partial(
        catalogue.search,
        store,
        limit=limit,
        offset=offset,
        mode=effective,
        semantic=semantic,
        filters=filters,
        sort=sort,
    )
    if batch_file is None:
        hits = run(query or "")
        if as_json:
            click.echo(orjson.dumps(_hits_json(hits)))
        else:
            _print_hits(hits, query or "")
        return
    for number, line in enumerate(batch_file, start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            hits = run(str(item["text"]))
            click.echo(orjson.dumps({"id": item.get("id"), "results": _hits_json(hits)}))
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise click.ClickException(f'--batch line {number}: expected {{"id", "text"}} ({exc})') from exc


@main.command()
@click.argument("paper_id")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_store
def related(store: Store, settings: Settings, paper_id: str, limit: int, as_json: bool) -> None:
    """Papers nearest in meaning to PAPER_ID."""
    hits = catalogue.related(store, paper_id, catalogue.Semantic.open(settings.data_dir), limit)
    if as_json:
        click.echo(orjson.dumps(_hits_json(hits)))
    else:
        _print_hits(hits, paper_id)


@main.command()
@click.option(
    "--rebuild", is_flag=True, help="Rebuild the keyword index, and the ANN index from the stored vectors, first."
)
@click.option("--batch-size", type=click.IntRange(1, 4096), default=64, show_default=True)
@with_store
def index(store: Store, settings: Settings, rebuild: bool, batch_size: int) -> None:
    """Bring the keyword index up to date, encode papers that have no vector yet and update the ANN
    index (resumable: a killed run continues where it stopped)."""
    sync_keywords(store, rebuild)
    _encode_pending(store, settings, rebuild, batch_size)


def _encode_pending(store: Store, settings: Settings, rebuild: bool = False, batch_size: int = 256) -> None:
    semantic = catalogue.Semantic.open(settings.data_dir)
    if rebuild:
        semantic.index.rebuild(store)
    pending = store.count() - store.count_embeddings(semantic.encoder.name)
    columns = [
        TextColumn("encoding"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} papers"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("index", total=pending)
        done = index_papers(
            store, semantic.encoder, semantic.index, batch_size, on_batch=lambda n: progress.update(task, completed=n)
        )
    out.print(f"encoded {done} papers; index holds {len(semantic.index.index)} vectors ({semantic.encoder.name})")


from . import cli_digest, cli_upkeep, cli_web  # noqa: E402,F401  (register `serve`, `demo`, `digest`, `worker`, `export`, `check`)

if __name__ == "__main__":
    main()
