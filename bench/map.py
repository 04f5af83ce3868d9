"""The map: what laying it out costs, and how smoothly Chromium draws it.

    python bench/map.py [--sizes 5000,20000,100000] [--workdir /tmp/scifact-wd] [--out bench/results/map.json]

For each size, on vectors shaped like a real catalogue's (each a real SciFact MiniLM vector from
--workdir plus noise, so neighbourhoods look like papers'; without --workdir, a mixture of 300
topics on the sphere): the HNSW index build (what `papertide index` already has; not the map's
cost), the t-SNE fit (`index.layout.project`, on at most FIT_SAMPLE papers), placing the others by
their nearest fitted papers (`_place` over `GraphNeighbours.of` the sample), k-means
regions, the JSON the browser gets (raw and gzipped), and an incremental update of 1% new papers.
Phrases for the region names cost `keywords.candidates` on the fitted sample: measured per paper on
--workdir's texts.

Then the largest map is served by the real app (uvicorn on 127.0.0.1) and opened in headless
Chromium: time from navigation to the map drawn, and the draw time per frame (ms, median and p95)
over a bounded run of zooms and pans. Prints a table and writes JSON; peak RSS of this process.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime  # noqa: F401  (before usearch: the other order crashes, see index/vectors.py)
import orjson
from rich.console import Console
from rich.table import Table
from usearch.index import Index

from papertide.index import key_phrases as keywords
from papertide.index import maps
from papertide.index.layout import FIT_SAMPLE, GraphNeighbours, Layout, MapFile, _place, _regions, project

CHROMIUM = "/usr/bin/chromium"


def vectors_like_papers(n: int, base: npt.NDArray[np.float32] | None, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    if base is None:
        base = rng.normal(size=(300, 384)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        rows = min(100_000, n - start)
        picked = base[rng.integers(0, len(base), rows)]
        noisy = picked + rng.normal(scale=0.6 / np.sqrt(base.shape[1]), size=picked.shape).astype(np.float32)
        out[start : start + rows] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def lay_out(matrix: npt.NDArray[np.float32]) -> tuple[Layout, dict[str, float], Index]:
    n = len(matrix)
    keys = np.arange(1, n + 1, dtype=np.int64)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    index = Index(ndim=matrix.shape[1], metric="cos", dtype="i8")
    index.add(keys.astype(np.uint64), matrix)
    timings["hnsw_build_s"] = time.perf_counter() - start
    rng = np.random.default_rng(0)
    chosen = np.sort(rng.choice(n, FIT_SAMPLE, replace=False)) if n > FIT_SAMPLE else np.arange(n)
    start = time.perf_counter()
    fitted = project(matrix[chosen])
    timings["tsne_fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    centres, _ = _regions(fitted, maps.cluster_count(len(chosen)), 0)
    timings["kmeans_s"] = time.perf_counter() - start
    placed = {int(keys[i]): fitted[j] for j, i in enumerate(chosen)}
    rest = np.setdiff1d(np.arange(n), chosen)
    start = time.perf_counter()
    _place(placed, keys[rest], matrix[rest], GraphNeighbours.of(keys[chosen], matrix[chosen]))
    timings["place_rest_s"] = time.perf_counter() - start
    timings["placed_per_s"] = len(rest) / timings["place_rest_s"] if len(rest) else 0.0
    xy = np.stack([placed[int(k)] for k in keys]).astype(np.float32)
    layout = Layout(
        model="all-MiniLM-L6-v2-int8",
        seq=0,
        fitted=n,
        changed=0,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        pks=keys,
        ids=[f"b{k:07d}" for k in keys],
        xy=xy,
        cluster=maps.nearest_centre(xy, centres),
        centres=centres,
        labels=[[f"region {i + 1}"] for i in range(len(centres))],
    )
    return layout, timings, index


def incremental(layout: Layout, index: Index, new: npt.NDArray[np.float32]) -> float:
    """Seconds to place `new` papers on an existing map (what each `papertide index` does)."""
    keys = np.arange(len(layout) + 1, len(layout) + 1 + len(new), dtype=np.int64)
    index.add(keys.astype(np.uint64), new)
    placed = {int(p): xy for p, xy in zip(layout.pks, layout.xy, strict=True)}
    start = time.perf_counter()
    _place(placed, keys, new, GraphNeighbours(index))
    maps.nearest_centre(np.stack([placed[int(k)] for k in keys]), layout.centres)
    return time.perf_counter() - start


def phrase_cost(workdir: Path | None) -> float | None:
    """Seconds per paper for `keywords.candidates` on real titles and abstracts."""
    if workdir is None:
        return None
    from papertide import Papertide

    with Papertide.open(workdir, create=False) as pt:
        papers = list(pt.iter_papers())[:3000]
    keywords._norm.cache_clear()
    start = time.perf_counter()
    for p in papers:
        keywords.candidates(p.title, p.abstract)
    return (time.perf_counter() - start) / len(papers)


def browser_frames(layout: Layout, moves: int) -> dict[str, Any]:
    """Serve `layout` with the real app and draw it in Chromium: load time and draw ms per frame."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from papertide import Papertide
    from papertide.web.app import create_app
    from papertide.web.config import WebConfig

    with tempfile.TemporaryDirectory() as tmp:
        pt = Papertide.open(tmp)
        MapFile(Path(tmp) / "map.npz", layout.model).save(layout)
        app = create_app(pt, WebConfig.from_env({}, dev=True))
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                start = time.perf_counter()
                page.goto(url + "/map")
                page.wait_for_selector("canvas[data-ready=true]", timeout=120_000)
                loaded = time.perf_counter() - start
                box = page.locator("#map").bounding_box()
                assert box is not None
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.evaluate("papertideMap.times.length = 0")
                for i in range(moves):  # bounded: zoom in and out around the middle, pan a little
                    page.mouse.wheel(0, -120 if (i // 10) % 2 == 0 else 120)
                    page.keyboard.press("ArrowLeft" if i % 2 else "ArrowUp")
                    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                times = page.evaluate("papertideMap.times.slice()")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            pt.close()
    ordered = sorted(times)
    return {
        "points": len(layout),
        "load_s": loaded,
        "frames": len(times),
        "draw_ms_p50": statistics.median(times),
        "draw_ms_p95": ordered[int(0.95 * (len(ordered) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,20000,100000")
    parser.add_argument("--workdir", type=Path, help="an encoded data directory (bench/relevance.py --workdir)")
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "map.json")
    args = parser.parse_args()
    base = None
    if args.workdir:
        saved = Index.restore(str(args.workdir / "vectors.usearch"))
        base = np.asarray(saved.get(np.asarray(saved.keys)), dtype=np.float32)
    rows, last = [], None
    for n in (int(s) for s in args.sizes.split(",")):
        matrix = vectors_like_papers(n, base)
        layout, timings, index = lay_out(matrix)
        body = orjson.dumps(
            {"ids": layout.ids, "x": maps.to_grid(layout.xy)[:, 0].copy(), "y": maps.to_grid(layout.xy)[:, 1].copy()},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        new = vectors_like_papers(max(n // 100, 1), base, seed=1)
        timings |= {
            "papers": n,
            "fitted_on": min(n, FIT_SAMPLE),
            "json_mb": len(body) / 1e6,
            "json_gzip_mb": len(gzip.compress(body, 6)) / 1e6,
            "update_1pct_s": incremental(layout, index, new),
        }
        rows.append(timings)
        last = layout
    per_paper = phrase_cost(args.workdir)
    browser = browser_frames(last, args.moves) if last is not None and Path(CHROMIUM).exists() else None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = Table(title="map layout (2 cores)")
    for col in (
        "papers",
        "fit on",
        "HNSW build s",
        "t-SNE s",
        "place rest s",
        "placed/s",
        "k-means s",
        "+1% update s",
        "JSON MB",
        "gzip MB",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            f"{r['papers']:,}",
            f"{r['fitted_on']:,}",
            f"{r['hnsw_build_s']:.1f}",
            f"{r['tsne_fit_s']:.1f}",
            f"{r['place_rest_s']:.1f}",
            f"{r['placed_per_s']:,.0f}",
            f"{r['kmeans_s']:.2f}",
            f"{r['update_1pct_s']:.2f}",
            f"{r['json_mb']:.1f}",
            f"{r['json_gzip_mb']:.1f}",
        )
    console = Console(width=160)
    console.print(table)
    if per_paper is not None:
        console.print(
            f"region names: candidates {per_paper * 1000:.2f} ms a paper → {per_paper * FIT_SAMPLE:.0f} s "
            f"for a {FIT_SAMPLE:,}-paper fit"
        )
    if browser:
        console.print(
            f"Chromium, {browser['points']:,} points: drawn {browser['load_s']:.1f} s after navigation; "
            f"draw {browser['draw_ms_p50']:.1f} ms p50, {browser['draw_ms_p95']:.1f} ms p95 "
            f"over {browser['frames']} frames"
        )
    console.print(f"peak RSS {peak_mb:,.0f} MiB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {"sizes": rows, "phrases_s_per_paper": per_paper, "browser": browser, "peak_rss_mib": peak_mb},
            option=orjson.OPT_INDENT_2,
        )
    )


if __name__ == "__main__":
    main()
