"""Keyword index over title, abstract and author names.

On SQLite: an FTS5 table with the papers table as external content. Updates and deletes keep it in
step by triggers; new rows are indexed by the store in the same transaction with one
INSERT ... SELECT per batch, which measured twice as fast as a per-row insert trigger. Upgrading a
database that already holds papers builds the index from them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"

_SQLITE = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
           title, abstract, author_names,
           content='papers', content_rowid='pk', tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
           INSERT INTO papers_fts(papers_fts, rowid, title, abstract, author_names)
           VALUES ('delete', old.pk, old.title, old.abstract, old.author_names);
       END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, author_names ON papers BEGIN
           INSERT INTO papers_fts(papers_fts, rowid, title, abstract, author_names)
           VALUES ('delete', old.pk, old.title, old.abstract, old.author_names);
           INSERT INTO papers_fts(rowid, title, abstract, author_names)
           VALUES (new.pk, new.title, new.abstract, new.author_names);
       END""",
    "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')",
]

_POSTGRESQL = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
           setweight(to_tsvector('simple', coalesce(author_names, '')), 'B') ||
           setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialect, []):
        op.execute(statement)
