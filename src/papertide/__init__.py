"""papertide: a self-hosted research-paper discovery service, as a Python library.

    from papertide import Papertide

    with Papertide.open("data/") as pt:
        pt.import_files(["snapshot.jsonl.gz"])
        for hit in pt.search("score matching", limit=10):
            print(hit.paper.id, hit.paper.title, hit.score)

The command line (`papertide ...`), the web app (`papertide.web.create_app`) and the digest worker
are thin shells over `Papertide`.
"""

from __future__ import annotations

from papertide.core import FileResult, ImportReport, NotFound, Papertide, RemoveReport, UndoReport
from papertide.model import Author, Paper
from papertide.query import Filters, QueryError
from papertide.search.retrieval import Hit, Results, RetrievalError
from papertide.sources import Rejected, SourceError

__all__ = [
    "Author",
    "FileResult",
    "Filters",
    "Hit",
    "ImportReport",
    "NotFound",
    "Paper",
    "Papertide",
    "QueryError",
    "Rejected",
    "RemoveReport",
    "Results",
    "RetrievalError",
    "SourceError",
    "UndoReport",
]
