"""Discussions and their moderation: comments and replies under each paper, the count kept on the
paper, members' roles and suspensions, reports, members' claims to be a paper's author (a
moderator approves), and the log of everything a moderator does.

A deleted comment keeps its row (its replies stay in place) with its text emptied and `deleted_at`
set; an edited one records `edited_at`. `papers.member_comments` counts the visible comments and
moves in the same transaction as a comment is posted or deleted (as `member_votes` does for votes),
so every listing shows it without a join. `members.mention_mail` is the opt-out of @-mention mail.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("edited_at", sa.DateTime),
        sa.Column("deleted_at", sa.DateTime),
        sa.Column("hidden_at", sa.DateTime),  # hidden by a moderator (restorable)
        sqlite_autoincrement=True,
    )
    op.create_index("ix_comments_paper_pk", "comments", ["paper_pk"])
    op.create_index("ix_comments_member_id", "comments", ["member_id"])
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("member_comments", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("mention_mail", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
        batch.add_column(sa.Column("suspended_at", sa.DateTime))
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # comment or paper
        sa.Column("target", sa.String(64), nullable=False),  # the comment id or the paper id
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("resolution", sa.String(32)),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reports_resolved_at", "reports", ["resolved_at"])
    op.create_table(
        "author_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_key", sa.String(200), nullable=False),  # authors.name_key: "last f"
        sa.Column("name", sa.String(300), nullable=False),  # as the paper writes it
        sa.Column("paper_id", sa.String(64), nullable=False),  # the paper the claim was made from
        sa.Column("status", sa.String(10), nullable=False),  # pending, approved, rejected
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.UniqueConstraint("member_id", "author_key", name="uq_author_claims_member_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_author_claims_author_key", "author_claims", ["author_key"])
    op.create_index("ix_papers_organization", "papers", ["organization"])
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("actor", sa.String(32), nullable=False),  # the handle then (kept if the member goes)
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_index("ix_papers_organization", "papers")
    op.drop_table("author_claims")
    op.drop_table("moderation_log")
    op.drop_table("reports")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("suspended_at")
        batch.drop_column("role")
        batch.drop_column("mention_mail")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("member_comments")
    op.drop_table("comments")
