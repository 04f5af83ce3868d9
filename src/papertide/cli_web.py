"""`papertide serve` and `papertide demo`: thin shells over `papertide.web.serve`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from . import catalogue
from .cli import _encode_pending, _print_hits, main, out, sync_keywords, with_store
from .settings import Settings
from .store import Store


def _server_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)(func)
    func = click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)(func)
    return click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")(func)


@main.command()
@click.option("--query", "-q", default="diffusion models", show_default=True, help="A search to show.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Then serve the web app (dev mode).")
@click.option(
    "--index/--no-index",
    default=True,
    show_default=True,
    help="Encode the papers for hybrid search and related papers first (about a minute the first time).",
)
@_server_options
@with_store
def demo(
    store: Store, settings: Settings, query: str, serve: bool, index: bool, host: str, port: int, workers: int
) -> None:
    """Load the bundled demo corpus (538 papers from captured result pages), answer a search, and
    serve the web app on it."""
    summary = catalogue.load_demo(store)
    out.print(f"demo corpus: {summary.new} new, {summary.unchanged} already there; {store.count()} papers")
    out.print(f"[dim]data directory: {settings.data_dir}[/dim]")
    sync_keywords(store)
    semantic = None
    if index:
        _encode_pending(store, settings)
        semantic = catalogue.Semantic.open(settings.data_dir)
    mode = "hybrid" if semantic else "keyword"
    out.print(f"\n{mode} search: {query!r}")
    _print_hits(catalogue.search(store, query, limit=10, mode=mode, semantic=semantic), query)
    if serve:
        _serve(settings, host, port, workers, dev=True)


@main.command()
@_server_options
@click.option("--dev", is_flag=True, help="Development mode: a default secret, no Secure cookies.")
@with_store
def serve(store: Store, settings: Settings, host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the web app and API (needs PAPERTIDE_SECRET unless --dev)."""
    _serve(settings, host, port, workers, dev)


def _serve(settings: Settings, host: str, port: int, workers: int, dev: bool) -> None:
    from .web.config import ConfigError
    from .web.serve import run

    out.print(f"serving http://{host}:{port}/ ({workers} worker{'s' if workers > 1 else ''}); Ctrl+C stops")
    try:
        run(settings.data_dir, host, port, workers, dev)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
