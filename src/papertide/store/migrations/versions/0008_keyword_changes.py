"""Keyword search moves out of the database into a tantivy index beside it; the database logs changes.

FTS5 scores every paper that matches any query word, so at a million papers a real query took
seconds (p50 3.1 s); tantivy prunes to the top k (21 ms on the same catalogue). The index is
derived, like the vector index: it remembers the highest `pk` and the last `keyword_changes.seq` it
holds, and catches up with new papers (pk above its mark) and with the papers in this log.

The log gets a row when a paper's searchable fields change or it is deleted (new papers need none:
they are found by pk). A trigger's WHEN clause compares old and new values, because the store's
UPDATE sets every column and an unchanged paper must cost nothing. Dropped here: the FTS5 table and
its triggers (SQLite), the tsvector column and its index (PostgreSQL), and the FTS5 watermark.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

_FIELDS = ("title", "abstract", "author_names", "categories", "published", "code_url")
_CHANGED = " OR ".join(f"old.{f} IS NOT new.{f}" for f in _FIELDS)
_PG_CHANGED = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in _FIELDS)

_SQLITE = [
    "DROP TRIGGER IF EXISTS papers_fts_delete",
    "DROP TRIGGER IF EXISTS papers_fts_update",
    "DROP TABLE IF EXISTS papers_fts",
    f"""CREATE TRIGGER papers_keyword_update AFTER UPDATE ON papers WHEN {_CHANGED} BEGIN
           INSERT INTO keyword_changes(pk) VALUES (new.pk);
       END""",
    """CREATE TRIGGER papers_keyword_delete AFTER DELETE ON papers BEGIN
           INSERT INTO keyword_changes(pk) VALUES (old.pk);
       END""",
]

_POSTGRESQL = [
    "DROP INDEX IF EXISTS ix_papers_search_vector",
    "ALTER TABLE papers DROP COLUMN IF EXISTS search_vector",
    f"""CREATE FUNCTION papers_keyword_log() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO keyword_changes(pk) VALUES (OLD.pk);
            ELSIF {_PG_CHANGED} THEN
                INSERT INTO keyword_changes(pk) VALUES (NEW.pk);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER papers_keyword_log AFTER UPDATE OR DELETE ON papers
       FOR EACH ROW EXECUTE FUNCTION papers_keyword_log()""",
]


def upgrade() -> None:
    op.create_table(
        "keyword_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pk", sa.Integer, nullable=False),
        sqlite_autoincrement=True,  # a seq is never reused, even after the log is pruned
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialect, []):
        op.execute(statement)
    op.execute("DELETE FROM counters WHERE name = 'keyword_indexed'")
