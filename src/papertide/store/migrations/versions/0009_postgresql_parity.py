"""PostgreSQL catches up with what SQLite's schema already does: pks and log seqs in commit order,
and a paper's vector dropped when its text changes. And on every dialect, a counter of how far the
keyword log has been pruned.

Commit order. The keyword index catches up by marks: the highest pk and the last `keyword_changes.seq` it holds.
That is only sound if a number is never committed after a higher one. SQLite has one writer at a
time, so it holds there. On PostgreSQL a sequence hands out numbers when a row is written, not when
its transaction commits: a slow import holding pk 100 could commit after a fast one with pk 101 was
indexed, and pk 100 would never be indexed.

So every transaction that adds papers or logs a change first takes one transaction-level advisory
lock, held to its commit: a statement-level trigger before any INSERT into `papers` (before the row
defaults draw their pks) and the logging trigger before it draws a seq. Votes change neither a pk nor
a searchable field and take no lock. The store also takes the lock first thing in `apply()`, before
any row lock, so two writers cannot hold a row each and wait on the lock the other holds.

Stale vectors. 0003 gave SQLite a trigger that drops a paper's vector (and moves the vectors counter)
when its title or abstract changes, so `papertide index` encodes it again; PostgreSQL had none.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"

# Also in store/changelog.py (CHANGE_LOG_LOCK): the key of the advisory lock.
_LOCK = 7_303_265

_FIELDS = ("title", "abstract", "author_names", "categories", "published", "code_url")
_PG_CHANGED = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in _FIELDS)

_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION papers_keyword_log() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_advisory_xact_lock({_LOCK});
                INSERT INTO keyword_changes(pk) VALUES (OLD.pk);
            ELSIF {_PG_CHANGED} THEN
                PERFORM pg_advisory_xact_lock({_LOCK});
                INSERT INTO keyword_changes(pk) VALUES (NEW.pk);
            END IF;
            RETURN NULL;
        END $$""",
    f"""CREATE FUNCTION papers_pk_order() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({_LOCK});
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER papers_pk_order BEFORE INSERT ON papers
       FOR EACH STATEMENT EXECUTE FUNCTION papers_pk_order()""",
    """CREATE FUNCTION paper_vectors_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM paper_vectors WHERE pk = NEW.pk;
            UPDATE counters SET value = value + 1 WHERE name = 'vectors';
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER paper_vectors_stale AFTER UPDATE OF title, abstract ON papers FOR EACH ROW
       WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract)
       EXECUTE FUNCTION paper_vectors_stale()""",
]


def upgrade() -> None:
    # Every dialect: how far `keyword_changes` has been pruned (store.sql.KEYWORD_LOG_KEEP).
    op.execute("INSERT INTO counters (name, value) VALUES ('keyword_log_pruned', 0)")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL:
            op.execute(statement)
