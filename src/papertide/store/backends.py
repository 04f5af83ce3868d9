"""Opening a store: the backend for a database URL."""

from __future__ import annotations

from papertide.store import Store
from papertide.store.sql import SqlStore


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store at `url` (sqlite:///path or postgresql+psycopg://...), migrated to the code's schema."""
    store = SqlStore(url)
    if migrate:
        store.migrate()
    return store
