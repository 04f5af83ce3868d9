"""Import throughput and peak memory for metadata-snapshot files of growing size.

    python bench/ingest.py [--sizes 100000,1000000] [--repeat 1] [--out bench/results/ingest.json]

For each size it writes a synthetic snapshot (bench/gen_snapshot.py, ~1.7 kB a line), then runs
`papertide import` on it in a fresh process and a fresh data directory, and reads that process's
peak RSS from wait4(). Two baselines run on the same file in the same run:
- parse only: papertide's snapshot parser with no database (the cost of reading the format);
- bare insert: orjson + executemany into an SQLite table with no merge logic and no search index.
Memory is flat when peak RSS stays the same as the file grows.

With `--postgres ADMIN_URL` (a server where that user may CREATE DATABASE, e.g.
postgresql+psycopg://papertide@127.0.0.1:5432/postgres) the same import also runs into a fresh
PostgreSQL database (PAPERTIDE_DATABASE_URL, as an operator sets it), dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from papertide.sources.snapshot import parse_snapshot

from gen_snapshot import write as write_snapshot


def run_import(snapshot: Path, data_dir: Path, database_url: str | None = None) -> tuple[float, int, dict[str, int]]:
    """Seconds, peak RSS in kB, and the import summary of one `papertide import` process."""
    command = [sys.executable, "-m", "papertide.cli", "import", str(snapshot), "--data-dir", str(data_dir), "--json"]
    env = {**os.environ, "PAPERTIDE_DATABASE_URL": database_url} if database_url else None
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss, orjson.loads(out)


def postgres_import(admin_url: str, snapshot: Path, data_dir: Path) -> tuple[float, float]:
    """(seconds, database MB) of `papertide import` into a fresh PostgreSQL database."""
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = "papertide_bench_ingest"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        shutil.rmtree(data_dir, ignore_errors=True)
        elapsed, _, _ = run_import(snapshot, data_dir, url)
        with admin.connect() as conn:
            size = conn.exec_driver_sql(f"SELECT pg_database_size('{name}')").scalar_one()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
    return elapsed, size / 1e6


def parse_only(snapshot: Path) -> float:
    start = time.perf_counter()
    with snapshot.open("rb") as f:
        for _ in parse_snapshot(f):
            pass
    return time.perf_counter() - start


def bare_insert(snapshot: Path, db: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE papers (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT)")
    batch: list[tuple[str, str, str, str]] = []
    with snapshot.open("rb") as f:
        for line in f:
            r = orjson.loads(line)
            batch.append((r["id"], r["title"], r["abstract"], r["authors"]))
            if len(batch) == 1000:
                with conn:
                    conn.executemany("INSERT INTO papers VALUES (?, ?, ?, ?)", batch)
                batch.clear()
    with conn:
        conn.executemany("INSERT INTO papers VALUES (?, ?, ?, ?)", batch)
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated record counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (the median is reported)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    parser.add_argument("--workdir", type=Path, help="where the generated files go (default: a temp dir)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also import into a fresh PostgreSQL database")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="papertide-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    console = Console(width=150)
    rows = []
    for n in sizes:
        snapshot = workdir / f"snapshot-{n}.jsonl"
        if not snapshot.exists():
            console.print(f"writing {n:,} records to {snapshot}")
            write_snapshot(snapshot, n)
        runs = []
        for r in range(args.repeat):
            data_dir = workdir / f"data-{n}-{r}"
            shutil.rmtree(data_dir, ignore_errors=True)  # a kept --workdir may hold an earlier run's
            elapsed, rss_kb, summary = run_import(snapshot, data_dir)
            assert summary["new"] == n, summary
            runs.append((elapsed, rss_kb))
            db_bytes = sum(p.stat().st_size for p in data_dir.iterdir())
        elapsed = statistics.median(e for e, _ in runs)
        parse_s = parse_only(snapshot)
        bare_db = workdir / f"bare-{n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{bare_db}{suffix}").unlink(missing_ok=True)
        bare_s = bare_insert(snapshot, bare_db)
        postgres: dict[str, float] = {}
        if args.postgres:
            pg_s, pg_mb = postgres_import(args.postgres, snapshot, workdir / f"data-{n}-postgres")
            postgres = {
                "postgres_import_s": round(pg_s, 2),
                "postgres_per_s": round(n / pg_s),
                "postgres_mb": round(pg_mb, 1),
            }
        rows.append(
            {
                "records": n,
                "file_mb": round(snapshot.stat().st_size / 1e6, 1),
                "import_s": round(elapsed, 2),
                "records_per_s": round(n / elapsed),
                "peak_rss_mb": round(max(m for _, m in runs) / 1024, 1),
                "db_mb": round(db_bytes / 1e6, 1),
                "parse_only_per_s": round(n / parse_s),
                "bare_insert_per_s": round(n / bare_s),
                "runs": args.repeat,
                **postgres,
            }
        )
    table = Table(title="papertide import: synthetic arXiv snapshot")
    for column in (
        "records",
        "file MB",
        "import s",
        "records/s",
        "peak RSS MB",
        "DB MB",
        "parse-only/s",
        "bare insert/s",
        "vs bare",
        "PostgreSQL/s",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['records']:,}",
            str(row["file_mb"]),
            str(row["import_s"]),
            f"{row['records_per_s']:,}",
            str(row["peak_rss_mb"]),
            str(row["db_mb"]),
            f"{row['parse_only_per_s']:,}",
            f"{row['bare_insert_per_s']:,}",
            f"{row['records_per_s'] / row['bare_insert_per_s']:.2f}x",
            f"{row['postgres_per_s']:,}" if "postgres_per_s" in row else "-",
        )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    args.out.write_bytes(orjson.dumps({"machine": machine, "results": rows}, option=orjson.OPT_INDENT_2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
