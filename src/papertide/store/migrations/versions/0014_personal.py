"""A member's own things: collections of saved papers (with notes), saved searches and their alerts,
the papers they opened (to hide what they have seen), their private "more like this" marks (a like
nobody else sees, unlike an upvote), and the alert log that sends each paper once.

`alert_papers` holds one row per (member, paper) ever put in an alert or a digest's saved-search
section: its key is what stops a paper being sent twice. `via` names the message that carried it
("alert-<batch id>" or "digest-<date>"), so a message rebuilt after a crash carries the same papers.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def _member_fk() -> sa.ForeignKey:
    return sa.ForeignKey("members.id", ondelete="CASCADE")


def _paper_fk() -> sa.ForeignKey:
    return sa.ForeignKey("papers.pk", ondelete="CASCADE")


def upgrade() -> None:
    # Digests find the papers that arrived in their window by this (a saved-search section).
    op.create_index("ix_papers_ingested_at", "papers", ["ingested_at"])
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, _member_fk(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("member_id", "name", name="uq_collections_member_name"),
    )
    op.create_table(
        "collection_papers",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, _paper_fk(), primary_key=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("note_at", sa.DateTime),
    )
    op.create_index("ix_collection_papers_paper_pk", "collection_papers", ["paper_pk"])
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, _member_fk(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("filters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("alert", sa.String(10), nullable=False, server_default="off"),
        sa.Column("since_pk", sa.Integer, nullable=False, server_default="0"),
        sa.Column("feed_generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_saved_searches_member_id", "saved_searches", ["member_id"])
    op.create_index("ix_saved_searches_alert", "saved_searches", ["alert"])
    op.create_table(
        "alert_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, _member_fk(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_alert_batches_status", "alert_batches", ["status"])
    op.create_table(
        "alert_papers",
        sa.Column("member_id", sa.Integer, _member_fk(), primary_key=True),
        sa.Column("paper_pk", sa.Integer, _paper_fk(), primary_key=True),
        sa.Column("via", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_alert_papers_via", "alert_papers", ["via"])
    op.create_table(
        "seen_papers",
        sa.Column("member_id", sa.Integer, _member_fk(), primary_key=True),
        sa.Column("paper_pk", sa.Integer, _paper_fk(), primary_key=True),
        sa.Column("first_at", sa.DateTime, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_seen_papers_paper_pk", "seen_papers", ["paper_pk"])
    op.create_table(
        "more_like_this",
        sa.Column("member_id", sa.Integer, _member_fk(), primary_key=True),
        sa.Column("paper_pk", sa.Integer, _paper_fk(), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_more_like_this_paper_pk", "more_like_this", ["paper_pk"])
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("hide_seen", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_index("ix_papers_ingested_at", "papers")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("hide_seen")
    tables = ("more_like_this", "seen_papers", "alert_papers", "alert_batches", "saved_searches")
    for table in (*tables, "collection_papers", "collections"):
        op.drop_table(table)
