"""Discussions: comments and replies under each paper, and the count kept on the paper.

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
        sqlite_autoincrement=True,
    )
    op.create_index("ix_comments_paper_pk", "comments", ["paper_pk"])
    op.create_index("ix_comments_member_id", "comments", ["member_id"])
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("member_comments", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("mention_mail", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("mention_mail")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("member_comments")
    op.drop_table("comments")
