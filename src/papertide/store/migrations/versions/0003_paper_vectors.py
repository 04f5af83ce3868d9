"""Paper vectors for semantic search, kept in the database so the ANN index can be rebuilt
without re-encoding, and a counter the ANN index file is checked against.

On SQLite a trigger drops a paper's vector when its title or abstract changes (a new arXiv
version), so `papertide index` encodes it again; every vector change moves the counter.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "paper_vectors",
        sa.Column("pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(counters, [{"name": "vectors", "value": 0}])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            """CREATE TRIGGER paper_vectors_stale AFTER UPDATE OF title, abstract ON papers
               WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract BEGIN
                   DELETE FROM paper_vectors WHERE pk = new.pk;
                   UPDATE counters SET value = value + 1 WHERE name = 'vectors';
               END"""
        )
