"""Thumbnails (issue 19, item 5): a real PDF's first page rendered to WebP by pypdfium2, fetched by
`papertide ingest pdf` from a local stand-in for arXiv serving PDF files, served with caching
headers, and shown on cards and the paper page."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from PIL import Image

from papertide import Papertide
from papertide.catalogue.thumbnails import ThumbnailError, file_name, render_first_page
from papertide.cli import main

from conftest import FIXTURES, LiveApp, LocalServer

PDF = (FIXTURES / "pdf" / "2011.13456.pdf").read_bytes()


def test_the_first_page_becomes_a_small_webp() -> None:
    webp = render_first_page(PDF)
    image = Image.open(io.BytesIO(webp))
    assert (image.format, image.size) == ("WEBP", (360, 466))
    # the page is not blank: the title's dark text is there
    assert image.convert("L").getextrema()[0] < 100


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<html>captcha</html>", "not a PDF"),
        (b"%PDF-1.4\ngarbage", "PDFium cannot read it"),
        (b"", "not a PDF"),
    ],
)
def test_what_is_not_a_pdf_is_refused_with_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(ThumbnailError, match=why):
        render_first_page(data)


def test_old_style_ids_make_safe_file_names() -> None:
    assert file_name("hep-th/9901001") == "hep-th_9901001.webp"


def arxiv_pdfs(server: LocalServer, requests: list[str]) -> None:
    def answer(paper_id: str):  # type: ignore[no-untyped-def]
        def respond(_query: dict[str, str]):  # type: ignore[no-untyped-def]
            requests.append(paper_id)
            if paper_id == "2011.13456":
                return 200, {"Content-Type": "application/pdf"}, PDF
            return 200, {"Content-Type": "text/html"}, b"<html>not here</html>"

        return respond

    for paper_id in ("2011.13456", "2212.04356"):
        server.route(f"/pdf/{paper_id}", answer(paper_id))


def test_ingest_pdf_makes_each_thumbnail_once(tmp_path: Path, local_server: LocalServer) -> None:
    requests: list[str] = []
    arxiv_pdfs(local_server, requests)
    with Papertide.open(tmp_path, encoder=None) as pt:
        path = tmp_path / "p.jsonl"
        path.write_bytes(
            b"".join(orjson.dumps({"id": i, "title": f"Paper {i}"}) + b"\n" for i in ("2011.13456", "2212.04356"))
        )
        pt.import_files([path])
    args = ["ingest", "pdf", "--base-url", local_server.url + "/pdf", "--delay", "0", "--retries", "0", "--json"]
    first = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path)])
    assert first.exit_code == 1  # one paper's "PDF" was a web page
    assert orjson.loads(first.stdout) == {
        "made": 1, "failed": [["2212.04356", "not a PDF (it does not start with %PDF-)"]], "left": 0,
    }  # fmt: skip
    assert (tmp_path / "thumbnails" / "2011.13456.webp").read_bytes()[8:12] == b"WEBP"
    assert sorted(requests) == ["2011.13456", "2212.04356"]
    requests.clear()
    CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path)])
    assert requests == ["2212.04356"]  # made once; only the failed one is tried again


def test_cards_and_the_paper_page_show_it_with_caching_headers(live_app: LiveApp) -> None:
    directory = live_app.pt.thumbnails_dir
    directory.mkdir(parents=True)
    (directory / "2511.00003.webp").write_bytes(render_first_page(PDF))
    with live_app.client() as c:
        home = c.get("/papers?week=2025-W45").text
        assert '<img src="/thumbnails/2511.00003.webp" alt="" width="96" height="124" loading="lazy">' in home
        assert '<span class="thumb placeholder" aria-hidden="true"></span>' in home  # the others
        image = c.get("/thumbnails/2511.00003.webp")
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        assert image.headers["cache-control"] == "public, max-age=86400"
        assert 'alt="First page of the paper"' in c.get("/papers/2511.00003").text
        for bad in ("/thumbnails/..%2Fpapertide.sqlite3", "/thumbnails/nope.webp", "/thumbnails/2511.00003.png"):
            assert c.get(bad).status_code == 404, bad
