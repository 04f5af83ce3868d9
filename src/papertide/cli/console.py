"""What every command shares: opening the catalogue from --data-dir, turning library errors into
exit 1, progress bars, and printing records.

Record text is data, never markup: both consoles interpret no Rich markup and no emoji codes, and
styling is applied to `rich.text.Text` pieces, so a title holding "[/math]" or ":100:" prints as
it is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from papertide.catalogue.reports import Summary
from papertide.core import NotFound, Papertide
from papertide.query import QueryError
from papertide.search.retrieval import Hit, RetrievalError
from papertide.sources import SourceError

# soft_wrap: a long line (a path, a reason) stays one line that the terminal folds, so it can be
# copied and searched whole.
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)
out = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)

# Errors a reader of the command's output can act on: printed as "Error: ..." with exit status 1.
USER_ERRORS = (SourceError, QueryError, RetrievalError, NotFound, LookupError)

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PAPERTIDE_DATA",
    help="Where the catalogue lives (default: $PAPERTIDE_DATA or ~/.local/share/papertide).",
)


def with_catalogue(create: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command --data-dir and an open `Papertide` (`pt`); turn library errors into exit 1.
    Only commands that create a catalogue (`create`) accept a data directory that does not exist."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @DATA_DIR
        @functools.wraps(func)
        def wrapper(data_dir: Path | None, **kwargs: Any) -> Any:
            try:
                pt = Papertide.open(data_dir, create=create)
            except NotFound as exc:
                raise click.ClickException(str(exc)) from exc
            except Exception as exc:  # a database we cannot open or migrate is the operator's to fix
                where = data_dir or "the default data directory"
                raise click.ClickException(f"cannot open the catalogue in {where}: {exc}") from exc
            try:
                return func(pt=pt, **kwargs)
            except USER_ERRORS as exc:
                raise click.ClickException(str(exc)) from exc
            finally:
                pt.close()

        return wrapper

    return decorate


def line(*parts: str | tuple[str, str]) -> Text:
    """A line of plain text pieces, some (text, style) pairs; nothing in them is read as markup."""
    return Text.assemble(*parts)


def print_summary(summary: Summary) -> None:
    s = summary
    out.print(f"new {s.new} · updated {s.updated} · unchanged {s.unchanged} · rejected {s.rejected}")
    for rejection in s.rejections[:20]:
        err.print(line(("rejected ", "red"), str(rejection)))
    if s.rejected > 20:
        err.print(f"... and {s.rejected - 20} more rejected records")


def byte_progress(label: str, total: int | None) -> Progress:
    columns = [TextColumn(label), BarColumn(), DownloadColumn(), TextColumn("{task.fields[summary]}")]
    if total:
        columns.append(TimeRemainingColumn(elapsed_when_finished=True))  # done: how long it took, not 0:00:00
    return Progress(*columns, console=err, transient=False)


def count_progress(label: str, unit: str, total: int | None = None) -> Progress:
    columns: list[Any] = [TextColumn(label), BarColumn()]
    counter = f"{{task.completed:,}}/{{task.total:,}} {unit}" if total else f"{{task.completed:,}} {unit}"
    columns.append(TextColumn(counter))
    if total:
        columns.append(TimeRemainingColumn(elapsed_when_finished=True))
    return Progress(*columns, console=err, transient=True)


def show_batches(progress: Progress, task: TaskID) -> Callable[[Summary], None]:
    def update(s: Summary) -> None:
        indexing = "; building the browsing indexes" if s.indexing else ""
        progress.update(task, summary=f"{s.seen:,} records: {s.new:,} new, {s.updated:,} updated{indexing}")

    return update


def hits_json(hits: Iterable[Hit]) -> list[dict[str, object]]:
    return [{"id": h.paper.id, "title": h.paper.title, "score": h.score} for h in hits]


def print_hits(hits: list[Hit], query: str) -> None:
    from papertide.feeds.cards import byline

    if not hits:
        out.print(f"no papers match {query!r}")
    for rank, hit in enumerate(hits, start=1):
        p = hit.paper
        date = f"{p.published:%b} {p.published.day}, {p.published.year}" if p.published else None
        meta = " · ".join(filter(None, (p.id, byline(p), date)))
        # A hanging indent: a long title (and the line under it) wraps under the title, not the rank.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=3, justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(line((f"{rank}.", "bold")), line((p.title, "bold")))
        grid.add_row("", line(meta, "  ", (f"(score {hit.score:.3f})", "dim")))
        out.print(grid)
