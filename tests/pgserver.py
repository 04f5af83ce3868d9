"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temp dir, loopback only.

$PAPERTIDE_TEST_POSTGRES (a URL of a server where the user may CREATE DATABASE) is used instead when set.
Each test gets its own database, cloned from a template that was migrated once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from papertide.store.sql import SqlStore

TEMPLATE = "papertide_template"
BACKENDS = ("sqlite", "postgresql")


def postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_cluster_owner(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: CI runs as root, so drop to Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def local_cluster(bindir: Path) -> Iterator[str]:
    """Start a cluster on a free loopback port; yield its admin URL; stop and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="papertide-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()

    def run(*args: object) -> None:
        subprocess.run(_as_cluster_owner([str(a) for a in args]), check=True, capture_output=True)

    run(bindir / "initdb", "-D", data, "-U", "papertide", "--auth=trust", "-E", "UTF8", "--no-sync")
    # Durability off: a test database lives for seconds. Sockets in our dir, not /var/run.
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    run(bindir / "pg_ctl", "-D", data, "-l", root / "log", "-o", options, "-w", "start")
    try:
        yield f"postgresql+psycopg://papertide@127.0.0.1:{port}/postgres"
    finally:
        run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _admin(admin_url: str) -> sa.Engine:
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_template(admin_url: str) -> None:
    """A database migrated to head, to clone per test (CREATE DATABASE ... TEMPLATE is a file copy)."""
    engine = _admin(admin_url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        conn.exec_driver_sql(f"CREATE DATABASE {TEMPLATE}")
    engine.dispose()
    store = SqlStore(database_url(admin_url, TEMPLATE))
    store.migrate()
    store.close()


def database_url(admin_url: str, name: str) -> str:
    return str(sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False))


@contextmanager
def fresh_database(admin_url: str, template: str = TEMPLATE) -> Iterator[str]:
    """A database of its own for one test: migrated (cloned from the template), or empty (template0)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = _admin(admin_url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield database_url(admin_url, name)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()
