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

from .library import FileResult, ImportReport, NotFound, Papertide, RemoveReport, UndoReport
from .model import Author, Paper
from .query import Filters, QueryError
from .retrieval import Hit, Results, RetrievalError
from .sources import Rejected, SourceError

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
