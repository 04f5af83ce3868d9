"""GitHub stars and key phrases: each repository papers link to (its last count, ETag and check
time), a daily history of its counts (what "trending on GitHub" ranks by), the count copied onto
its papers (`papers.github_stars`, so every listing shows it without a join); and each paper's key
phrases (`papers.keywords`, JSON), computed at index time, with the version they were made for
(`keywords_at` = the paper's `changed_at` then: a paper changed since is done again).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.create_table(
        "github_repos",
        sa.Column("repo", sa.String(200), primary_key=True),  # owner/name, lower case
        sa.Column("stars", sa.Integer),
        sa.Column("etag", sa.String(200)),
        sa.Column("gone", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_github_repos_checked_at", "github_repos", ["checked_at"])
    op.create_table(
        "github_stars",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("stars", sa.Integer, nullable=False),
    )
    op.create_index("ix_github_stars_day", "github_stars", ["day"])
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("github_stars", sa.Integer))
        batch.add_column(sa.Column("keywords", sa.Text))
        batch.add_column(sa.Column("keywords_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("keywords_at")
        batch.drop_column("keywords")
        batch.drop_column("github_stars")
    op.drop_table("github_stars")
    op.drop_table("github_repos")
