"""Commands that find papers — search, related — and the one that keeps the indexes they read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
import orjson

from papertide.cli.catalogue import encode_pending
from papertide.cli.console import err, hits_json, print_hits, with_catalogue
from papertide.core import Papertide
from papertide.query import SORTS, Filters
from papertide.search.retrieval import MODES, Hit


@click.command()
@click.argument("query", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "--mode", type=click.Choice(MODES), help="Default: hybrid once `papertide index` has made vectors, else keyword."
)
@click.option("--offset", type=click.IntRange(0, 100_000), default=0, help="Skip this many results (paging).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First published on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="First published on or before (YYYY-MM-DD).")
@click.option("--has-code", is_flag=True, help="Only papers with a code link.")
@click.option("--min-upvotes", type=click.IntRange(0), help="Only papers with at least this many upvotes.")
@click.option("--batch", "batch_file", type=click.File("rb"), help='JSON lines {"id", "text"}: one answer line each.')
@click.option("--json", "as_json", is_flag=True, help="Print [{id, title, score}, ...].")
@with_catalogue()
def search(
    pt: Papertide,
    query: str | None,
    limit: int,
    mode: str | None,
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
    chosen = pt.search_mode(mode)
    if mode in ("hybrid", None) and chosen == "keyword" and pt.indexes.vectors is not None:
        err.print("no vectors yet (run `papertide index`): keyword search only", style="yellow")
    elif mode == "semantic" and chosen != "semantic":
        raise click.ClickException("no paper has a vector yet: run `papertide index` first")
    filters = Filters(since.date() if since else None, until.date() if until else None, has_code, min_upvotes)

    def run(text: str) -> Any:
        return pt.search(text, limit=limit, offset=offset, mode=chosen, filters=filters, sort=sort)

    if batch_file is None:
        hits = run(query or "")
        if as_json:
            click.echo(orjson.dumps(hits_json(hits)))
        else:
            print_hits(hits, query or "")
        return
    for number, line in enumerate(batch_file, start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            hits = run(str(item["text"]))
            click.echo(orjson.dumps({"id": item.get("id"), "results": hits_json(hits)}))
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise click.ClickException(f'--batch line {number}: expected {{"id", "text"}} ({exc})') from exc


@click.command()
@click.argument("paper_id")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_catalogue()
def related(pt: Papertide, paper_id: str, limit: int, as_json: bool) -> None:
    """Papers nearest in meaning to PAPER_ID."""
    hits = pt.related(paper_id, limit)
    if as_json:
        click.echo(orjson.dumps(hits_json(hits)))
    else:
        print_hits(hits, paper_id)


@click.command()
@click.option(
    "--rebuild", is_flag=True, help="Rebuild the keyword index, and the ANN index from the stored vectors, first."
)
@click.option("--batch-size", type=click.IntRange(1, 4096), default=64, show_default=True)
@with_catalogue()
def index(pt: Papertide, rebuild: bool, batch_size: int) -> None:
    """Bring the keyword index up to date, encode papers that have no vector yet and update the ANN
    index (resumable: a killed run continues where it stopped)."""
    encode_pending(pt, rebuild, batch_size)


@click.command()
@click.option("--like", "likes", multiple=True, metavar="ID", help="A paper the reader likes (repeat).")
@click.option("--dislike", "dislikes", multiple=True, metavar="ID", help="A paper the reader does not want (repeat).")
@click.option("--member", "handle", help="Use this member's own signals (their upvotes) as likes.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print [{id, title, score}, ...], best first.")
@with_catalogue()
def recommend(
    pt: Papertide, likes: tuple[str, ...], dislikes: tuple[str, ...], handle: str | None, limit: int, as_json: bool
) -> None:
    """Papers for a reader who likes some papers and not others, best first, never a given id."""
    if handle is not None:
        likes = (*likes, *pt.member_likes(handle))
        if not likes:
            raise click.ClickException(f"{handle} has no signals yet (no upvotes): nothing to learn from")
    if not likes:
        raise click.UsageError("give at least one --like ID, or --member HANDLE")
    suggestions = pt.recommend(likes, dislikes, limit)
    hits = [Hit(s.paper, s.score) for s in suggestions]
    if as_json:
        click.echo(orjson.dumps(hits_json(hits)))
    else:
        print_hits(hits, "these likes")


COMMANDS = [search, related, index, recommend]
