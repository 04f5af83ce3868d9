"""What the two change logs (`keyword_changes`, `vector_changes`) share: commit order and pruning.

Each index beside the database (tantivy for keywords, usearch for vectors) remembers the last seq of
its log that it holds and catches up by replaying the entries after it. That needs two things:
no seq may commit after a higher one (SQLite has one writer; PostgreSQL writers take an advisory
lock first, migrations 0009 and 0010), and an index must know when the entries it needs are gone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from papertide.store.schema import counters

# PostgreSQL: the advisory lock that keeps new pks and both logs' seqs in commit order. The triggers
# take it too; a writer takes it first, before any row lock, and holds it to its commit.
CHANGE_LOG_LOCK = 7_303_265


def take_order_lock(conn: sa.Connection, dialect: str) -> None:
    """First thing in a transaction that writes papers or vectors (PostgreSQL; SQLite needs none)."""
    if dialect == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CHANGE_LOG_LOCK)))


def pruned_through(counter: str) -> sa.Select[Any]:
    """How far the log was pruned (0: never), as a statement."""
    value = sa.select(counters.c.value).where(counters.c.name == counter).scalar_subquery()
    return sa.select(sa.func.coalesce(value, 0))


def prune(engine: sa.Engine, log: sa.Table, counter: str, through: int) -> None:
    """Delete the log's entries up to seq `through`, recording it in `counter` in the same
    transaction (an index whose mark is below it can no longer catch up, and rebuilds)."""
    with engine.begin() as conn:
        moved = conn.execute(
            counters.update().where(counters.c.name == counter, counters.c.value < through).values(value=through)
        ).rowcount
        if moved == 1:
            conn.execute(log.delete().where(log.c.seq <= through))
