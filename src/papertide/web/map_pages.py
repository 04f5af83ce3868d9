"""The map of the catalogue: /map (the page, a search's hits listed and highlighted), its layout as
JSON (the same for every reader: encoded once per layout, revalidated by ETag, gzipped), and a
member's own papers (library and upvotes) to highlight."""

from __future__ import annotations

import gzip
from dataclasses import dataclass

import numpy as np
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from papertide.index import Layout, maps
from papertide.query import Filters, QueryError
from papertide.web import views
from papertide.web.context import context, render, services, visitor
from papertide.web.deps import Svc
from papertide.web.params import Text

router = APIRouter(include_in_schema=False)

HITS = 100  # a search's papers highlighted and listed under the map


@dataclass(frozen=True)
class Region:
    label: str
    phrases: list[str]
    papers: int
    x: int  # where the label goes: the median of the region's points, on the grid
    y: int


def regions(layout: Layout, grid: np.ndarray) -> list[Region]:
    """Every region in its number's place (a region that lost all its papers stays, empty)."""
    out = []
    for number, phrases in enumerate(layout.labels):
        inside = grid[layout.cluster == number]
        x, y = np.median(inside, axis=0) if len(inside) else (0, 0)
        out.append(Region(" · ".join(phrases) or f"Region {number + 1}", phrases, len(inside), int(x), int(y)))
    return out


@dataclass(frozen=True)
class Prepared:
    """A layout as pages read it, made once per layout and process: its grid and each id's row."""

    layout: Layout
    grid: np.ndarray
    row_of: dict[str, int]
    regions: list[Region]  # a median per region over every point: at 1M, not work for each request

    def points(self, ids: list[str]) -> list[list[object]]:
        """[id, x, y, region] of each of `ids` on the map (those not on it are left out)."""
        rows = [(i, self.row_of[i]) for i in dict.fromkeys(ids) if i in self.row_of]
        return [[i, int(self.grid[r, 0]), int(self.grid[r, 1]), int(self.layout.cluster[r])] for i, r in rows]


def etag_of(layout: Layout) -> str:
    return f'"map-{layout.built_at}-{layout.seq}-{len(layout)}-{maps.SHOWN}"'


def prepared(request: Request) -> Prepared | None:
    svc = services(request)
    layout = svc.pt.map_layout()
    if layout is None:
        return None
    key = ("map-prepared", etag_of(layout))
    found: Prepared | None = svc.page_cache.get(key)
    if found is None:
        grid = maps.to_grid(layout.xy)
        found = Prepared(layout, grid, {i: r for r, i in enumerate(layout.ids)}, regions(layout, grid))
        svc.page_cache.put(key, found)
    return found


def encoded(ready: Prepared) -> bytes:
    """The layout as the browser reads it: ids and integer coordinates in parallel lists, for every
    paper up to `maps.SHOWN`, else for a fixed sample of that many."""
    layout, grid = ready.layout, ready.grid
    rows = maps.shown_rows(len(layout))
    return orjson.dumps(
        {
            "papers": len(layout),
            "shown": len(rows),
            "built_at": layout.built_at,
            "grid": maps.GRID,
            "clusters": [
                {"label": r.label, "phrases": r.phrases, "papers": r.papers, "x": r.x, "y": r.y} for r in ready.regions
            ],
            "ids": [layout.ids[r] for r in rows],
            "x": np.ascontiguousarray(grid[rows, 0]),
            "y": np.ascontiguousarray(grid[rows, 1]),
            "cluster": np.ascontiguousarray(layout.cluster[rows]),
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )


def _hits(ctx: views.Context, query: str) -> tuple[list[views.Item], int, str | None]:
    """The papers a map search rings, how many hold the words, and why the query is unusable (or None)."""
    try:
        result = views.search_view(ctx, query, None, "relevance", Filters(), 1, HITS)
    except QueryError as exc:
        return [], 0, str(exc)
    # Papers that hold the words, when some do (the search page lists those close in meaning after
    # them; on the map they would ring half the catalogue).
    hits = result.papers[: result.matched] if result.matched else result.papers
    return hits, max(result.matched or 0, len(hits)), None


@router.get("/map")
def map_page(request: Request, q: Text = None) -> Response:
    ctx = context(request)
    ready = prepared(request)
    layout = ready.layout if ready is not None else None
    query = (q or "").strip()[:500]
    hits, matched, error = _hits(ctx, query) if layout is not None and query else ([], 0, None)
    found = ready.regions if ready is not None else []
    return render(
        request,
        "map.html",
        status_code=400 if error else 200,
        papers=len(layout) if layout is not None else 0,
        shown=min(len(layout), maps.SHOWN) if layout is not None else 0,
        regions=found,
        q=query,
        hits=hits,
        matched=matched,
        error=error,
    )


@router.get("/map/layout.json")
def layout_json(request: Request) -> Response:
    svc = services(request)
    ready = prepared(request)
    if ready is None:
        return JSONResponse({"error": "no map yet: `papertide index` draws it once papers are encoded"}, 404)
    etag = etag_of(ready.layout)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    key = ("map-layout", etag)
    body = svc.page_cache.get(key)
    if body is None:
        raw = encoded(ready)
        body = (raw, gzip.compress(raw, 6))
        svc.page_cache.put(key, body)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body[1], media_type="application/json", headers=headers | {"Content-Encoding": "gzip"})
    return Response(body[0], media_type="application/json", headers=headers)


@router.get("/map/points.json")
def points_json(request: Request, ids: Text = None) -> Response:
    """Where given papers are (a search's hits on a map sent as a sample): `ids` separated by
    commas, at most 200."""
    wanted = [i for i in (ids or "").split(",") if i][:200]
    ready = prepared(request)
    return JSONResponse({"points": ready.points(wanted) if ready is not None else []})


@router.get("/map/mine.json")
def mine_json(request: Request, svc: Svc) -> Response:
    """The signed-in member's saved and upvoted papers (their own data: never cached)."""
    member = visitor(request).member
    if member is None:
        return JSONResponse({"error": "sign in to see your papers on the map"}, 401)
    signals = svc.pt.personal.signals(member.id)
    ready = prepared(request)
    points = ready.points(signals.saved + signals.upvoted) if ready is not None else []
    return JSONResponse(
        {"saved": signals.saved, "upvoted": signals.upvoted, "points": points},
        headers={"Cache-Control": "private, no-store"},
    )
