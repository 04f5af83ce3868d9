""" "Not interested" marks: a member's negative signal on a paper (recommendations move away from
it and its neighbours; For-you never shows it again). One row per member and paper, like votes.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "not_interested",
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_not_interested_paper_pk", "not_interested", ["paper_pk"])


def downgrade() -> None:
    op.drop_table("not_interested")
