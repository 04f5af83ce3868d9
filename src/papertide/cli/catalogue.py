"""Commands about the catalogue's contents: init, import, ingest (fetch), export, stats, check,
remove, and the import runs. Each is one `Papertide` call plus printing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
from rich.table import Table

from papertide.cli.console import (
    byte_progress,
    count_progress,
    err,
    line,
    out,
    print_summary,
    show_batches,
    with_catalogue,
)
from papertide.core import ImportReport, Papertide
from papertide.sources import Item, arxiv_atom, hf_daily, oai
from papertide.sources.files import FORMATS
from papertide.sources.http import PoliteClient


@click.command()
@with_catalogue(create=True)
def init(pt: Papertide) -> None:
    """Create the data directory and database, or upgrade an older database in place."""
    out.print(f"database ready at {pt.database_url} ({pt.count()} papers)")


def _report(report: ImportReport, as_json: bool) -> None:
    total = report.total
    if as_json:
        files = [{"file": f.source, "run": f.run, "error": f.error, **f.summary.as_dict()} for f in report.files]
        click.echo(orjson.dumps({**total.as_dict(), "rejections": [str(r) for r in total.rejections], "files": files}))
    else:
        if len(report.files) > 1:
            for f in report.files:
                state = (
                    f"not imported: {f.error}"
                    if f.error
                    else (
                        f"{f.summary.new} new, {f.summary.updated} updated, {f.summary.unchanged} unchanged, "
                        f"{f.summary.rejected} rejected"
                    )
                )
                out.print(line((f.source, "bold"), f" (run {f.run}): {state}"))
        else:
            for f in report.files:
                if f.error:
                    err.print(line(("not imported ", "red"), f.error))
        print_summary(total)
        if report.keywords_indexed:
            err.print(f"keyword index: {report.keywords_indexed:,} papers (re)indexed")
    if not report.ok:
        sys.exit(1)


@click.command(name="import")
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
    help="Build the browsing indexes once at the end (default: for inputs over 16 MB into an empty catalogue).",
)
@with_catalogue(create=True)
def import_(
    pt: Papertide,
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
    JSON lines; gzip too), each file as one import run (`papertide imports` lists them). A file that
    cannot be read to the end keeps nothing and the others go on. Re-importing is harmless."""
    total_bytes = sum(p.stat().st_size for p in paths)
    with byte_progress("importing", total_bytes) as progress:
        task = progress.add_task("import", total=total_bytes, summary="")
        report = pt.import_files(
            paths,
            format=fmt,
            capture_year=page_year,
            batch_size=batch_size,
            parallel=parallel,
            bulk=bulk,
            on_bytes=lambda n: progress.advance(task, n),
            on_batch=show_batches(progress, task),
        )
    if then_index:
        encode_pending(pt)
    _report(report, as_json)


def encode_pending(pt: Papertide, rebuild: bool = False, batch_size: int = 64) -> None:
    """`pt.index()` with a progress bar, then what the vector index holds."""
    pending = pt.pending_vectors()
    if pending:  # (a rebuild with nothing to encode shows no empty "0/0" bar)
        with count_progress("encoding", "papers", pending) as progress:
            task = progress.add_task("index", total=pending)
            done = pt.index(
                rebuild=rebuild, batch_size=batch_size, on_encoded=lambda n: progress.update(task, completed=n)
            )
    else:
        done = pt.index(rebuild=rebuild, batch_size=batch_size)
    vectors = pt.indexes.vectors
    held = len(vectors.index) if vectors is not None else 0
    out.print(f"encoded {done} papers; index holds {held} vectors ({vectors.model if vectors else 'no encoder'})")
    layout = pt.map_layout()
    if layout is not None:
        regions = len({int(c) for c in layout.cluster})
        out.print(f"map: {len(layout)} papers in {regions} regions ({layout.changed} placed since the last fit)")


# --- fetching from remote sources ---------------------------------------------------------------------
@click.group(name="ingest")
def ingest() -> None:
    """Fetch papers from remote sources (arXiv API, arXiv OAI-PMH, HF daily papers) and GitHub stars."""


def _fetch(
    pt: Papertide,
    source: str,
    fetch: Callable[[PoliteClient], Iterable[Item]],
    delay: float,
    retries: int,
    as_json: bool,
    then_index: bool,
) -> None:
    client = PoliteClient(delay=delay, retries=retries)
    try:
        with byte_progress("fetching", None) as progress:
            task = progress.add_task("fetch", total=None, summary="")
            summary = pt.fetch(fetch(client), source, on_batch=show_batches(progress, task))
    finally:
        client.close()
    if then_index:
        encode_pending(pt)
    if as_json:
        click.echo(orjson.dumps({**summary.as_dict(), "rejections": [str(r) for r in summary.rejections]}))
    else:
        print_summary(summary)
    if summary.rejected:
        sys.exit(1)


def _window(days: int | None, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(tzinfo=None)
    if since or until:
        return since or (until or now) - timedelta(days=days or 1), until or now
    return now - timedelta(days=days or 1), now


def polite(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options every fetching command shares."""
    options = [
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
    for option in reversed(options):
        func = option(func)
    return func


@ingest.command(name="arxiv")
@click.option("--category", "-c", multiple=True, help="arXiv category such as cs.LG (repeatable).")
@click.option("--id", "ids", multiple=True, help="Fetch these arXiv ids instead of a category window.")
@click.option("--days", type=click.IntRange(1, 3650), help="Papers submitted in the last N days (default 1).")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="Window start (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Window end (YYYY-MM-DD, inclusive).")
@click.option("--page-size", type=click.IntRange(1, 2000), default=100, show_default=True)
@polite
@with_catalogue(create=True)
def ingest_arxiv(
    pt: Papertide,
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

    what = f"ids {', '.join(ids)}" if ids else f"{', '.join(category)} {start:%Y-%m-%d}..{end:%Y-%m-%d}"
    _fetch(pt, f"arXiv API: {what}", items, delay, retries, as_json, then_index)


@ingest.command(name="oai")
@click.option("--set", "set_spec", help="OAI set, e.g. cs or physics:hep-th.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="Changed on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Changed on or before (YYYY-MM-DD).")
@click.option("--metadata-format", type=click.Choice(oai.FORMATS), default="arXiv", show_default=True)
@polite
@with_catalogue(create=True)
def ingest_oai(
    pt: Papertide,
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

    _fetch(pt, f"OAI-PMH: set {set_spec or 'all'}", items, delay, retries, as_json, then_index)


@ingest.command(name="hf-daily")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Featured day (default: today, UTC).")
@polite
@with_catalogue(create=True)
def ingest_hf_daily(
    pt: Papertide,
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
    items = lambda client: hf_daily.fetch(client, featured, url)  # noqa: E731
    _fetch(pt, f"HF daily papers {featured}", items, delay, retries, as_json, then_index)


@ingest.command(name="github")
@click.option("--base-url", help="GitHub's API (default: https://api.github.com; tests point it at a local server).")
@click.option("--delay", type=float, default=0.5, show_default=True, help="Seconds between requests.")
@click.option("--limit", type=click.IntRange(1), help="Check at most this many repositories (oldest checks first).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_catalogue()
def ingest_github(pt: Papertide, base_url: str | None, delay: float, limit: int | None, as_json: bool) -> None:
    """Refresh the star counts of the papers' GitHub repositories (token: $GITHUB_TOKEN, optional;
    unchanged repositories answer 304 and cost nothing against GitHub's rate limit). Run it daily:
    "trending on GitHub" ranks by the stars gained over the last week."""
    from papertide.sources.github import API, GithubClient

    client = GithubClient(base_url or API, os.environ.get("GITHUB_TOKEN") or None, delay=delay)
    try:
        report = pt.refresh_github(client, limit)
    finally:
        client.close()
    if as_json:
        click.echo(orjson.dumps(report.to_json()))
    else:
        out.print(
            f"{report.repos} repositories · checked {report.checked} · changed {report.changed} · "
            f"unchanged {report.not_modified} · gone {report.gone} · errors {report.errors}"
        )
    if report.rate_limited_until or report.errors:
        if report.rate_limited_until:
            err.print(f"stopped: GitHub's rate limit until {report.rate_limited_until:%Y-%m-%d %H:%M} UTC")
        sys.exit(1)


@ingest.command(name="pdf")
@click.option("--base-url", default="https://arxiv.org/pdf", show_default=True, help="Where PDFs are: BASE/ID.")
@click.option("--delay", type=float, default=3.0, show_default=True, help="Seconds between requests.")
@click.option("--retries", type=click.IntRange(0, 10), default=4, show_default=True)
@click.option("--limit", type=click.IntRange(1), help="Make at most this many thumbnails (newest papers first).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_catalogue()
def ingest_pdf(pt: Papertide, base_url: str, delay: float, retries: int, limit: int | None, as_json: bool) -> None:
    """Fetch the PDF of each paper with an arXiv id that has no thumbnail yet and render its first
    page to a small WebP beside the data (cards and paper pages show it)."""
    client = PoliteClient(delay=delay, retries=retries)
    base = base_url.rstrip("/")
    try:
        with count_progress("thumbnails", "papers", limit) as progress:
            task = progress.add_task("pdf", total=limit)
            report = pt.make_thumbnails(
                lambda paper_id: client.get(f"{base}/{paper_id}"), limit, lambda n: progress.update(task, completed=n)
            )
    finally:
        client.close()
    if as_json:
        click.echo(orjson.dumps({"made": report.made, "failed": [list(f) for f in report.failed], "left": report.left}))
    else:
        out.print(f"made {report.made} thumbnails · failed {len(report.failed)} · left for a later run {report.left}")
        for paper_id, why in report.failed[:20]:
            err.print(line(("  ", ""), (paper_id, "bold"), f": {why}"))
    if report.failed:
        sys.exit(1)


# --- looking after the catalogue ----------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True)
@with_catalogue()
def stats(pt: Papertide, as_json: bool) -> None:
    """What the catalogue holds."""
    facts = pt.stats()
    if as_json:
        click.echo(orjson.dumps(facts))
        return
    labels = {
        "papers": "papers",
        "arxiv": "with an arXiv id",
        "title_only": "known only by title (no arXiv id yet)",
        "featured": "featured in the daily feed",
        "with_code": "with a code link",
        "upvotes": "upvotes carried from sources",
        "vectors": "encoded for semantic search",
        "published_from": "first published from",
        "published_until": "first published until",
        "latest_featured": "latest featured day",
        "by_source": "by source",
        "top_categories": "top categories",
        "schema": "database schema",
    }
    table = Table(show_header=False, box=None)
    for key, value in facts.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        table.add_row(labels.get(key, key.replace("_", " ")), str(value if value is not None else "-"))
    out.print(table)


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@with_catalogue()
def export(pt: Papertide, output: Path | None) -> None:
    """Write the catalogue as JSON lines that `papertide import` reads back unchanged."""
    if output is None:
        pt.export(sys.stdout.buffer)
        return
    with output.open("wb") as stream:
        pt.export(stream)


@click.command()
@click.option(
    "--repair",
    is_flag=True,
    help="First finish an interrupted bulk import, bring the keyword index up to date and rebuild a vector "
    "index that cannot catch up.",
)
@with_catalogue()
def check(pt: Papertide, repair: bool) -> None:
    """Check the database: integrity, keyword and vector indexes in step, schema up to date."""
    if repair:
        with err.status("repairing"):
            problems = pt.check(repair=True)
    else:
        problems = pt.check()
    for problem in problems:
        err.print(line(("problem ", "red"), problem))
    if problems:
        sys.exit(1)
    out.print(f"ok: {pt.count()} papers, schema {pt.schema_revision()}")


@click.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Also papers that members voted for or submitted.")
@with_catalogue()
def remove(pt: Papertide, ids: tuple[str, ...], force: bool) -> None:
    """Delete papers by id (their vectors and keyword entries go too)."""
    report = pt.remove(ids, force=force)
    out.print(f"removed {len(report.removed)}")
    for paper_id in report.missing:
        err.print(line(("not found ", "yellow"), paper_id))
    for paper_id, why in report.kept:
        err.print(line(("kept ", "yellow"), f"{paper_id}: {why}"))
    if report.missing or report.kept:
        sys.exit(1)


@click.group(name="imports")
def imports() -> None:
    """The import runs (each imported file or fetch): list them, undo one."""


@imports.command(name="list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_catalogue()
def list_imports(pt: Papertide, limit: int, as_json: bool) -> None:
    """The latest import runs first."""
    runs = pt.imports(limit)
    if as_json:
        click.echo(orjson.dumps([r.__dict__ for r in runs]))
        return
    if not runs:
        out.print("no import runs yet")
    for r in runs:
        status = "interrupted" if r.status == "running" else r.status
        counts = f"new {r.new} · updated {r.updated} · unchanged {r.unchanged} · rejected {r.rejected}"
        out.print(line((f"{r.id:>5}", "bold"), f"  {r.started_at:%Y-%m-%d %H:%M}  {status:<11} {counts}  {r.source}"))


@imports.command(name="undo")
@click.argument("run", type=int)
@with_catalogue()
def undo_import(pt: Papertide, run: int) -> None:
    """Undo import run RUN: delete the papers it added, restore those it changed. Papers changed
    since, and added papers that members voted for or submitted, stay (and are listed)."""
    report = pt.undo_import(run)
    out.print(f"run {run} undone: {report.removed} papers removed, {report.restored} restored")
    for paper_id, why in report.kept:
        err.print(line(("kept ", "yellow"), f"{paper_id}: {why}"))


COMMANDS = [init, import_, ingest, export, stats, check, remove, imports]
