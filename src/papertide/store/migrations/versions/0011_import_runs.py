"""Import runs are recorded, so one can be listed and undone; categories are stored as a JSON list.

`import_runs` holds one row per imported file or fetch (what, when, how it ended, its counts);
`import_changes` one row per paper a run added (`previous` NULL) or changed (`previous`: the paper
as it was, in the export format), so undoing a run deletes what it added and restores what it
changed (papertide/imports.py decides which papers are left alone).

Categories were joined by spaces and split on read, so a term with a space in it (arXiv's Atom
carries MSC classes like "20M20, 20M10" as category terms) came back different and the paper
re-imported as "updated" every time. They are now a JSON list of arXiv category ids; terms that are
not arXiv category ids are dropped here as they are at import.

Revision ID: 0011
Revises: 0010
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"

_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")  # papertide/ids.py's ARXIV_CATEGORY, frozen here


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "import_changes",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, primary_key=True),
        sa.Column("previous", sa.Text),
    )
    op.create_index("ix_import_changes_paper_pk", "import_changes", ["paper_pk"])
    conn = op.get_bind()
    papers = sa.table("papers", sa.column("pk", sa.Integer), sa.column("categories", sa.Text))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(papers.c.pk, papers.c.categories).where(papers.c.pk > last).order_by(papers.c.pk).limit(5000)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        updates = [
            {"key": pk, "value": json.dumps([c for c in (text or "").split() if _CATEGORY.match(c)])}
            for pk, text in rows
        ]
        conn.execute(
            papers.update().where(papers.c.pk == sa.bindparam("key")).values(categories=sa.bindparam("value")),
            updates,
        )
