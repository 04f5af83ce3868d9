"""`papertide export` and `papertide check`: the catalogue's upkeep."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from .cli import err, main, out, sync_keywords, with_store
from .index.vectors import VectorIndex
from .settings import Settings
from .store import Store


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@with_store
def export(store: Store, settings: Settings, output: Path | None) -> None:
    """Write the catalogue as JSON lines that `papertide import` reads back unchanged."""
    stream = output.open("wb") if output else sys.stdout.buffer
    try:
        for paper in store.iter_papers():
            stream.write(orjson.dumps(paper.to_json()) + b"\n")
    finally:
        if output:
            stream.close()


@main.command()
@click.option(
    "--repair", is_flag=True, help="First finish an interrupted bulk import and bring the keyword index up to date."
)
@with_store
def check(store: Store, settings: Settings, repair: bool) -> None:
    """Check the database: integrity, keyword and vector indexes in step, schema up to date."""
    if repair:
        store.finish_bulk_load()
        sync_keywords(store)
        if any("keyword index" in problem for problem in store.check()):
            sync_keywords(store, rebuild=True)
        vectors = _vector_index(store, settings)
        if vectors is not None and not vectors.in_step(store):
            with err.status("bringing the vector index up to the stored vectors"):
                vectors.ensure(store)
                vectors.save()
    problems = store.check() + _vector_index_problems(store, settings)
    for problem in problems:
        err.print(f"[red]problem[/red] {problem}")
    if problems:
        sys.exit(1)
    out.print(f"ok: {store.count()} papers, schema {store.schema_revision()}")


def _vector_index(store: Store, settings: Settings) -> VectorIndex | None:
    """The ANN index file of the default encoder, when any paper has a vector from it."""
    from .embed import MiniLM

    if store.count_embeddings(MiniLM.name) == 0:
        return None
    return VectorIndex(settings.data_dir / "vectors.usearch", MiniLM.dim, MiniLM.name)


def _vector_index_problems(store: Store, settings: Settings) -> list[str]:
    """The vector index file, unless it can catch up from the vector log (as searches do)."""
    vectors = _vector_index(store, settings)
    if vectors is None or vectors.ensure(store, rebuild_limit=0):
        return []
    state = vectors.state
    held = "no file" if state is None else f"{len(vectors.index)} vectors through change #{state.seq}"
    return [
        f"the vector index ({held}) cannot catch up with the database's {store.count_embeddings(vectors.model)} "
        f"vectors through change #{store.vector_log_seq()} (`papertide index` or `papertide check --repair` "
        "rebuilds it; searches meanwhile use it as it is)"
    ]
