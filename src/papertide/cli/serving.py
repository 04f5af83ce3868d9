"""`papertide serve` and `papertide demo`: thin shells over `papertide.web.serve`."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

import click

from papertide.cli.catalogue import encode_pending
from papertide.cli.console import out, print_hits, with_catalogue
from papertide.core import Papertide


def _server_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)(func)
    func = click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)(func)
    return click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")(func)


@click.command()
@click.option("--query", "-q", default="diffusion models", show_default=True, help="A search to show.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Then serve the web app (dev mode).")
@click.option(
    "--index/--no-index",
    default=True,
    show_default=True,
    help="Encode the papers for hybrid search and related papers first (about a minute the first time).",
)
@_server_options
@with_catalogue(create=True)
def demo(pt: Papertide, query: str, serve: bool, index: bool, host: str, port: int, workers: int) -> None:
    """Load the bundled demo corpus (538 papers from captured result pages), answer a search, and
    serve the web app on it."""
    summary = pt.load_demo()
    out.print(f"demo corpus: {summary.new} new, {summary.unchanged} already there; {pt.count()} papers")
    out.print(f"data directory: {pt.data_dir}", style="dim")
    if index:
        encode_pending(pt)
    mode = pt.search_mode()
    out.print(f"\n{mode} search: {query!r}")
    print_hits(pt.search(query, limit=10, mode=mode), query)
    if serve:
        _serve(pt, host, port, workers, dev=True)


@click.command()
@_server_options
@click.option(
    "--dev", is_flag=True, help="Development mode: a default secret, no Secure cookies, mailed links printed."
)
@with_catalogue()
def serve(pt: Papertide, host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the web app and API (needs PAPERTIDE_SECRET unless --dev)."""
    _serve(pt, host, port, workers, dev)


def _serve(pt: Papertide, host: str, port: int, workers: int, dev: bool) -> None:
    from papertide.web.config import ConfigError, WebConfig
    from papertide.web.serve import run

    try:
        WebConfig.from_env(dev=dev)  # a missing secret is said before anything else
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _port_free(host, port)
    data_dir = pt.data_dir
    pt.close()  # the server's workers open their own
    out.print(f"serving http://{host}:{port}/ ({workers} worker{'s' if workers > 1 else ''}); Ctrl+C stops")
    run(data_dir, host, port, workers, dev)


def _port_free(host: str, port: int) -> None:
    """Refuse, in words, an address that cannot be listened on (before announcing anything)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use (another server?); choose another with --port"
                ) from exc
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


COMMANDS = [demo, serve]
