"""The record of import runs: one row per imported file or fetch, and the papers each added or
changed (with what they were before), written in the same transaction as the papers themselves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from papertide.model import Paper
from papertide.store import ImportRun
from papertide.store.schema import import_changes, import_runs


def record_changes(conn: sa.Connection, run: int, papers: Mapping[int, Paper | None], previous: bool) -> None:
    """Note that `run` added (`previous` False) or changed these papers (pk -> the paper before).
    The first note of a paper in a run stands: what it was before the run began."""
    if not papers:
        return
    rows = [
        {"run_id": run, "paper_pk": pk, "previous": orjson.dumps(p.to_json()).decode() if previous and p else None}
        for pk, p in papers.items()
    ]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(import_changes).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(import_changes).on_conflict_do_nothing(), rows)


def _run(row: Any) -> ImportRun:
    m = row._mapping
    return ImportRun(**{k: m[k] for k in ImportRun.__dataclass_fields__})


class SqlImportLog:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def start(self, source: str, fmt: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                import_runs.insert().values(source=source[:2000], format=fmt, status="running", started_at=now)
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def finish(self, run: int, status: str, counts: Mapping[str, int], now: datetime, error: str | None = None) -> None:
        values = {k: counts.get(k, 0) for k in ("new", "updated", "unchanged", "rejected")}
        with self.engine.begin() as conn:
            conn.execute(
                import_runs.update()
                .where(import_runs.c.id == run)
                .values(status=status, finished_at=now, error=error, **values)
            )

    def runs(self, limit: int = 50) -> list[ImportRun]:
        """The latest runs first."""
        stmt = sa.select(import_runs).order_by(import_runs.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(stmt)]

    def run(self, run: int) -> ImportRun | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(import_runs).where(import_runs.c.id == run)).first()
        return _run(row) if row else None

    def changes(self, run: int) -> dict[int, Paper | None]:
        """{pk: the paper before the run, or None when the run added it}."""
        stmt = sa.select(import_changes.c.paper_pk, import_changes.c.previous).where(import_changes.c.run_id == run)
        with self.engine.connect() as conn:
            return {pk: Paper.from_json(orjson.loads(prev)) if prev else None for pk, prev in conn.execute(stmt)}

    def touched_later(self, run: int, pks: list[int]) -> set[int]:
        """Those among `pks` that a later run (not undone) added or changed."""
        found: set[int] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(pks), 500):
                stmt = (
                    sa.select(import_changes.c.paper_pk)
                    .join(import_runs, import_runs.c.id == import_changes.c.run_id)
                    .where(
                        import_changes.c.run_id > run,
                        import_runs.c.status != "undone",
                        import_changes.c.paper_pk.in_(pks[i : i + 500]),
                    )
                )
                found.update(r[0] for r in conn.execute(stmt))
        return found
