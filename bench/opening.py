"""Benches that measure the storage itself (bulk-made members, stored vectors, the alert log) hold
the store they measure: they open it and pass it to `Papertide`, as any caller may (dependencies
are passed in); nothing reaches into the catalogue's own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from papertide import Papertide
from papertide.settings import Settings
from papertide.store import Store
from papertide.store.backends import open_store


def open_catalogue(
    location: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, **options: Any
) -> tuple[Papertide, Store]:
    """The catalogue at `location` (a data directory, or a database URL with `data_dir`) and its store."""
    text = os.fspath(location)
    settings = Settings(Path(data_dir or text), text) if "://" in text else Settings.load(text)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.database_url)
    return Papertide(store, settings.data_dir, **options), store
