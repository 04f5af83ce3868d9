"""Capability links bound to the row they grant: a random `link_key` on members and saved searches
(signed into unsubscribe, alerts-off, digest web view, device cookie and private feed links), and
ids that are never reused.

The outside probe found a saved search's feed URL opening the next search saved under the same id:
SQLite hands a deleted largest rowid to the next row unless the table is AUTOINCREMENT, and the
signature covered only (id, generation). On SQLite the four tables whose ids reach the outside
(members, api_tokens, collections, saved_searches) are rebuilt as AUTOINCREMENT, which keeps the
highest id ever used in `sqlite_sequence`; the rebuild needs foreign keys off, which
`SqlStore.migrate` does around every upgrade (and checks `PRAGMA foreign_key_check` after).
PostgreSQL's sequences never hand an id out twice, so there only the keys are added.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"

_KEYED = ("members", "saved_searches")
_REBUILT = ("members", "api_tokens", "collections", "saved_searches")


def _random_key() -> str:
    # 128 random bits as 32 hex digits, made by the database for each existing row.
    if op.get_bind().dialect.name == "postgresql":
        return "replace(gen_random_uuid()::text, '-', '')"
    return "lower(hex(randomblob(16)))"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # A comment's HTML, rendered once when it is written (the probe's 60 comments of '$ $' * 3334
    # cost 0.4 s each on every view); older rows are rendered when read.
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("html", sa.Text))
    for table in _KEYED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("link_key", sa.String(32)))
        op.execute(f"UPDATE {table} SET link_key = {_random_key()}")
    for table in _REBUILT:
        with op.batch_alter_table(
            table, recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            if table in _KEYED:
                batch.alter_column("link_key", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("html")
    for table in _KEYED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("link_key")
