"""The paper catalogue.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("title_key", sa.Text, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False, server_default=""),
        sa.Column("authors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("author_names", sa.Text, nullable=False, server_default=""),
        sa.Column("author_count", sa.Integer),
        sa.Column("organization", sa.Text),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("categories", sa.Text, nullable=False, server_default=""),
        sa.Column("published", sa.DateTime),
        sa.Column("updated", sa.DateTime),
        sa.Column("featured_date", sa.Date),
        sa.Column("submitted_by", sa.Text),
        sa.Column("upvotes", sa.Integer),
        sa.Column("comments", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("code_url", sa.Text),
        sa.Column("project_url", sa.Text),
        sa.Column("source", sa.String(32), nullable=False, server_default=""),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    for column in ("title_key", "primary_category", "published", "featured_date"):
        op.create_index(f"ix_papers_{column}", "papers", [column])
