"""Property-based fuzzing (hypothesis), bounded so CI stays quick (issue 16): whatever bytes a parser
is given, it answers records, rejections or a SourceError, nothing else; whatever records reach the
catalogue, they are stored or rejected; whatever a public route is asked, it never answers 5xx."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertide import Papertide
from papertide.model import Paper
from papertide.sources import Rejected, SourceError
from papertide.sources.files import read_path
from papertide.sources.formats import FORMATS
from papertide.sources.records import clean_paper
from papertide.store.sql import SqlStore

from conftest import LiveApp

pytestmark = pytest.mark.slow  # real Chromium / many generated requests / real server processes

# CI runs a bounded number of examples; PAPERTIDE_FUZZ_EXAMPLES=2000 digs deeper by hand.
EXAMPLES = int(os.environ.get("PAPERTIDE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# Text that reaches the corners: controls, surrogates cannot be encoded, so XML-hostile code points
# and bidi controls stand in for them; markup and LaTeX; long runs.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x01", "\x0b", "\x7f", "\x85", "\u202e", "\ufffe", "<", "&", "$", "\\", '"', "{"]),
    ),
    max_size=200,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12,
)
FIELDS = ["id", "_id", "title", "abstract", "text", "authors", "date", "published", "updated", "featured_date",
          "categories", "primary_category", "upvotes", "version", "author_count", "code_url", "project_url",
          "comments", "doi", "organization", "submitted_by", "source"]  # fmt: skip


def check_items(items: list[object]) -> None:
    for item in items:
        assert isinstance(item, (Paper, Rejected))
        if isinstance(item, Paper):  # what a parser lets through, the catalogue's check takes or refuses
            with contextlib.suppress(TypeError, ValueError):
                clean_paper(item)


def read(path: Path, fmt: str) -> None:
    with contextlib.suppress(SourceError):
        check_items(list(read_path(path, fmt, capture_year=2025)))


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from([f.name for f in FORMATS] + ["auto"]))
def test_any_bytes_in_any_format_are_records_rejections_or_a_source_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, fmt: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "input"
    path.write_bytes(data)
    read(path, fmt)


@FUZZ
@given(records=st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10), max_size=5))
def test_json_lines_of_any_shape(tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8", errors="surrogatepass")
    read(path, "jsonl")
    read(path, "snapshot")


@FUZZ
@given(entries=st.lists(st.one_of(json_values, st.fixed_dictionaries({"paper": json_values})), max_size=5))
def test_hf_daily_of_any_shape(tmp_path_factory: pytest.TempPathFactory, entries: list[object]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "daily.json"
    path.write_text(json.dumps(entries), encoding="utf-8", errors="surrogatepass")
    read(path, "hf-daily")


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


@FUZZ
@given(fields=st.lists(st.tuples(hostile_text, hostile_text, hostile_text, hostile_text), max_size=4))
def test_atom_and_oai_with_any_text_in_their_fields(
    tmp_path_factory: pytest.TempPathFactory, fields: list[tuple[str, str, str, str]]
) -> None:
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{xml_escape(i)}</id><title>{xml_escape(t)}</title>"
        f"<summary>{xml_escape(s)}</summary><published>{xml_escape(d)}</published>"
        f'<category term="{xml_escape(t).replace(chr(34), "")}"/></entry>'
        for i, t, s, d in fields
    )
    records = "".join(
        f"<record><header/><metadata><arXiv xmlns='http://arxiv.org/OAI/arXiv/'><id>{xml_escape(i)}</id>"
        f"<title>{xml_escape(t)}</title><abstract>{xml_escape(s)}</abstract><created>{xml_escape(d)}</created>"
        "</arXiv></metadata></record>"
        for i, t, s, d in fields
    )
    folder = tmp_path_factory.mktemp("fuzz")
    atom, oai = folder / "feed.xml", folder / "oai.xml"
    atom.write_text(f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>', errors="surrogatepass")
    oai.write_text(
        f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{records}</ListRecords></OAI-PMH>',
        errors="surrogatepass",
    )
    read(atom, "auto")
    read(oai, "auto")


@FUZZ
@given(lines=st.lists(hostile_text, max_size=20), header=st.booleans())
def test_result_pages_of_any_lines(tmp_path_factory: pytest.TempPathFactory, lines: list[str], header: bool) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "page.txt"
    text = "\n".join((["Daily Papers", "byAK and the research community"] if header else []) + lines)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    read(path, "page")
    read(path, "auto")


@settings(max_examples=max(EXAMPLES * 2 // 3, 1), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(records=st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8), min_size=1, max_size=6))
def test_whatever_reaches_the_catalogue_is_stored_or_rejected(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    store = SqlStore(f"sqlite:///{folder / 'f.sqlite3'}")
    store.migrate()
    pt = Papertide(store, folder, encoder=None)
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8", errors="surrogatepass")
    try:
        report = pt.import_files([path])
        total = report.total
        assert total.new + total.updated + total.unchanged + total.rejected <= len(records)
        for paper in store.iter_papers():  # what is stored reads back as it was cleaned
            assert clean_paper(paper) == paper
        again = pt.import_files([path]).total
        assert again.new == 0 and again.updated == 0  # re-importing changes nothing
    finally:
        store.close()


# --- the public routes -------------------------------------------------------------------------------
ROUTES = {
    "/": ["date", "week", "month", "sort"],
    "/papers": ["date", "week", "month", "sort"],
    "/search": ["q", "mode", "sort", "since", "until", "has_code", "min_upvotes", "p"],
    "/feeds/search": ["q", "mode", "sort", "since", "until", "has_code", "min_upvotes", "p"],
    "/api/papers/search": ["q", "mode", "sort", "since", "until", "has_code", "min_upvotes", "p", "limit"],
    "/api/daily_papers": ["date", "week", "month", "sort", "p", "limit"],
    "/api/trending": ["limit"],
    "/unsubscribe": ["m", "sig"],
    "/digest": ["m", "d", "sig"],
    "/verify": ["t"],
    "/reset/confirm": ["t"],
    "/signin": ["next"],
}
param_values = st.one_of(
    hostile_text,
    st.integers().map(str),
    st.sampled_from(["9999-12-31", "0000-01-01", "2025-W53", "2025-W00", "2025-13", "-1", "1e309", "NaN", "2.0"]),
)


def test_no_public_route_answers_5xx(live_app: LiveApp) -> None:
    failures: list[str] = []
    with live_app.client() as client:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(
            route=st.sampled_from(sorted(ROUTES)),
            data=st.data(),
        )
        def ask(route: str, data: st.DataObject) -> None:
            names = data.draw(st.lists(st.sampled_from(ROUTES[route]), max_size=4, unique=True))
            params = {n: data.draw(param_values) for n in names}
            response = client.get(route, params=params)
            if response.status_code >= 500:
                failures.append(f"{route} {params!r} -> {response.status_code}")

        ask()

        @settings(
            max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(segment=hostile_text.filter(lambda s: s.strip("/.") != ""))
        def ask_paths(segment: str) -> None:
            for prefix in ("/papers/", "/u/", "/api/papers/"):
                response = client.get(prefix + quote(segment, safe=""))
                if response.status_code >= 500:
                    failures.append(f"{prefix}{segment!r} -> {response.status_code}")

        ask_paths()
    assert failures == []


# --- every route, signed in, with the numbers, ids and names that broke routes before (issue 24) ----------
NASTY = [
    "²", "١٢", "１２", "99999999999999999999", str(2**63), str(2**31), "-1", "0", "1.0", " 1", "+1", "1_0", "0x1",
    "../papers/local-fa12f08e99cd", "..%2Fpapers", "%00", "a" * 300, "/\t/evil.example", "//evil.example",
    "javascript:alert(1)", "<b>x</b>",
]  # fmt: skip


def _fields(dependant: object) -> tuple[list[str], list[str], list[str]]:
    """Path, query and form/body field names a route reads (its dependencies' too)."""
    path, query, body = [], [], []
    stack = [dependant]
    while stack:
        d = stack.pop()
        path += [p.alias for p in d.path_params]  # type: ignore[attr-defined]
        query += [p.alias for p in d.query_params]  # type: ignore[attr-defined]
        for p in d.body_params:  # type: ignore[attr-defined]
            model = getattr(p.field_info.annotation, "model_fields", None)
            body += list(model) if model else [p.alias]
        stack += d.dependencies  # type: ignore[attr-defined]
    return path, query, body


def _routes(app: object) -> list[tuple[str, set[str], object]]:
    """(path, methods, dependant) of every route of the app, those of included routers too (FastAPI
    0.165 keeps an included router's routes behind one `_IncludedRouter` entry)."""
    out = []
    for route in app.routes:  # type: ignore[attr-defined]
        candidates = getattr(route, "effective_candidates", None)
        for r in candidates() if callable(candidates) else [route]:
            if getattr(r, "dependant", None) is not None and getattr(r, "methods", None):
                out.append((r.path, set(r.methods), r.dependant))
    return out


def test_no_route_answers_5xx_to_hostile_numbers_ids_and_names(live_app: LiveApp) -> None:
    """Every route of the app, as a signed-in member with a valid CSRF token, planted cookies
    included: each value above in every path parameter, query parameter and form or JSON field."""
    import re

    from test_web import CSRF, signed_up

    limits = live_app.app.state.services.accounts.rate_limits  # this app's own copy
    for action, (_, window) in list(limits.items()):
        limits[action] = (10**9, window)  # every request reaches its route, none stops at a 429
    member = signed_up(live_app, "fuzzer")
    statuses: dict[int, int] = {}
    token = CSRF.search(member.get("/settings/digest").text)
    assert token
    csrf = token.group(1)
    failures: list[str] = []
    routes = _routes(live_app.app)
    assert len(routes) > 60
    for route_path, methods, dependant in routes:
        if route_path == "/signout":  # would end the member's session: the rest would be asked anonymously
            continue
        _, query_names, body_names = _fields(dependant)
        for value in NASTY:
            path = re.sub(r"\{[^}]+\}", quote(value, safe="") or "x", route_path)
            params = {n: value for n in query_names}
            for method in sorted(methods - {"HEAD"}):
                if method == "GET":
                    response = member.get(path, params=params)
                elif route_path.startswith("/api/"):
                    body = {n: value for n in body_names}
                    response = member.request(method, path, params=params, json=body, headers={"X-CSRF-Token": csrf})
                else:
                    form = {**{n: value for n in body_names}, "csrf": csrf}
                    response = member.request(method, path, params=params, data=form)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {value!r} -> {response.status_code}")
    with live_app.client() as stranger:  # cookies planted by someone else, as raw UTF-8 header bytes
        page = stranger.get("/signin")
        found = CSRF.search(page.text)
        assert found
        anon = stranger.cookies.get("pt_anon", "")
        for value in NASTY:
            for name in ("pt_device", "pt_session", "pt_anon"):
                cookie = f"pt_anon={anon}; {name}={value}.abc".encode()
                form = {"email": "fuzzer@example.org", "password": "correct horse", "csrf": found.group(1)}
                signin = stranger.post("/signin", data=form, headers={"Cookie": cookie})
                again = stranger.get("/", headers={"Cookie": cookie})
                # A planted device or session cookie never stops the owner signing in with the password.
                if (name != "pt_anon" and signin.status_code != 303) or again.status_code >= 500:
                    failures.append(f"cookie {name}={value!r} -> {signin.status_code}/{again.status_code}")
    assert member.get("/api/me/signals").status_code == 200  # still signed in: every route was asked as a member
    assert statuses.get(400, 0) > 500  # most values are refused in words, not reached past
    assert failures == []
