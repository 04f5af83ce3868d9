"""Where papertide keeps its data: a data directory, and the database URL inside it by default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "papertide"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> Settings:
        """`data_dir` (the CLI's --data-dir) wins over $PAPERTIDE_DATA, which wins over the default;
        $PAPERTIDE_DATABASE_URL points at another database (PostgreSQL) instead of the SQLite file."""
        directory = Path(data_dir or os.environ.get("PAPERTIDE_DATA") or default_data_dir()).expanduser()
        url = os.environ.get("PAPERTIDE_DATABASE_URL") or f"sqlite:///{directory.resolve() / 'papertide.sqlite3'}"
        return cls(data_dir=directory, database_url=url)
