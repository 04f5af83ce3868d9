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
