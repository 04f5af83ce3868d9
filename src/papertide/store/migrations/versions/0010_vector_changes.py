"""A log of vector writes, so the ANN index catches up instead of being rebuilt.

The index file beside the database recorded the `vectors` counter it was built at; any vector
written elsewhere (a paper whose abstract changed: its vector is dropped; another process encoding)
moved the counter, and the only way back in step was rebuilding the HNSW graph from every stored
vector — over 25 minutes at a million papers here, in `papertide index` after each such change.
Now triggers log the pk of every insert, update or delete on `paper_vectors` (cascaded deletes
too), the index records the last seq it holds, and catching up replays the pks logged since: the
stored vector if there is one, else removal.

PostgreSQL takes the advisory lock of 0009 before logging, so seqs commit in order; the store
takes it first in `save_embeddings` as `apply()` does.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

_LOCK = 7_303_265  # 0009's; store/changelog.py's CHANGE_LOG_LOCK

_SQLITE = [
    f"""CREATE TRIGGER paper_vectors_log_{event.lower()} AFTER {event} ON paper_vectors BEGIN
           INSERT INTO vector_changes(pk) VALUES ({row}.pk);
       END"""
    for event, row in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old"))
]

_POSTGRESQL = [
    f"""CREATE FUNCTION paper_vectors_log() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({_LOCK});
            IF TG_OP = 'DELETE' THEN
                INSERT INTO vector_changes(pk) VALUES (OLD.pk);
            ELSE
                INSERT INTO vector_changes(pk) VALUES (NEW.pk);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER paper_vectors_log AFTER INSERT OR UPDATE OR DELETE ON paper_vectors
       FOR EACH ROW EXECUTE FUNCTION paper_vectors_log()""",
]


def upgrade() -> None:
    op.create_table(
        "vector_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pk", sa.Integer, nullable=False),
        sqlite_autoincrement=True,  # a seq is never reused, even after the log is pruned
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('vector_log_pruned', 0)")
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialect, []):
        op.execute(statement)
