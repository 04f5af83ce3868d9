"""Import throughput and peak memory for metadata-snapshot files of growing size.

    python bench/ingest.py [--sizes 100000,1000000] [--repeat 1] [--out bench/results/ingest.json]

For each size it writes a synthetic snapshot (bench/gen_snapshot.py, ~1.7 kB a line), then runs
`papertide import` on it in a fresh process and a fresh data directory, and reads that process's
peak RSS from wait4(). Two baselines run on the same file in the same run:
- parse only: papertide's snapshot parser with no database (the cost of reading the format);
- bare insert: orjson + executemany into an SQLite table with no merge logic and no search index.
Memory is flat when peak RSS stays the same as the file grows.
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


def run_import(snapshot: Path, data_dir: Path) -> tuple[float, int, dict[str, int]]:
    """Seconds, peak RSS in kB, and the import summary of one `papertide import` process."""
    command = [sys.executable, "-m", "papertide.cli", "import", str(snapshot), "--data-dir", str(data_dir), "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss, orjson.loads(out)


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
        )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    args.out.write_bytes(orjson.dumps({"machine": machine, "results": rows}, option=orjson.OPT_INDENT_2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
