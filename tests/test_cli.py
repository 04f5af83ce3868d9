import contextlib
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import pgserver
from papertide.cli import main
from papertide.store.sql import SqlStore
from pgserver import BACKENDS

from conftest import FIXTURES, LocalServer, serve_file

COMMANDS = [
    [],
    ["init"],
    ["import"],
    ["ingest"],
    ["ingest", "arxiv"],
    ["ingest", "oai"],
    ["ingest", "hf-daily"],
    ["demo"],
    ["stats"],
    ["search"],
    ["export"],
    ["check"],
    ["serve"],
    ["digest", "send"],
    ["worker"],
]


@pytest.fixture
def run(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI on a data dir of the test's own; parametrized with "postgresql", the database
    is an empty PostgreSQL one named by $PAPERTIDE_DATABASE_URL, as an operator would set it."""
    if getattr(request, "param", "sqlite") == "postgresql":
        dropped_at_teardown = contextlib.ExitStack()
        request.addfinalizer(dropped_at_teardown.close)
        empty = pgserver.fresh_database(request.getfixturevalue("postgres_admin_url"), "template0")
        monkeypatch.setenv("PAPERTIDE_DATABASE_URL", dropped_at_teardown.enter_context(empty))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(
            main,
            [*args, "--data-dir", str(tmp_path / "data")] if args and args[0] != "--help" else list(args),
            catch_exceptions=False,
        )
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: main" in result.output or "Usage: papertide" in result.output
    if command and command != ["ingest"]:
        assert "--data-dir" in result.output


@pytest.mark.parametrize("run", BACKENDS, indirect=True)
def test_import_twice_then_stats(run) -> None:
    first = run("import", str(FIXTURES / "arxiv/query_page1.xml"), str(FIXTURES / "pages/pairs.txt"), "--json")
    summary = orjson.loads(first.stdout)
    files = summary.pop("files")
    assert summary == {"new": 4, "updated": 0, "unchanged": 1, "rejected": 0, "rejections": []}
    assert [(f["file"].rsplit("/", 1)[1], f["run"], f["new"], f["error"]) for f in files] == [
        ("query_page1.xml", 1, 2, None),
        ("pairs.txt", 2, 2, None),
    ]
    second = run("import", str(FIXTURES / "arxiv/query_page1.xml"), str(FIXTURES / "pages/pairs.txt"), "--json")
    assert orjson.loads(second.stdout)["unchanged"] == 5
    facts = orjson.loads(run("stats", "--json").stdout)
    assert (facts["papers"], facts["arxiv"], facts["title_only"], facts["schema"]) == (4, 2, 2, "0017")


def test_rejected_records_exit_1_after_importing_the_rest(run) -> None:
    result = run("import", str(FIXTURES / "jsonl/malformed.jsonl"), "--json", code=1)
    summary = orjson.loads(result.stdout)
    assert (summary["new"], summary["rejected"]) == (2, 6)
    assert summary["rejections"][1].endswith("malformed.jsonl:3 (record doc-4): missing field 'title'")


def test_unreadable_file_is_exit_1_with_file_and_line(run) -> None:
    result = run("import", str(FIXTURES / "arxiv/truncated.xml"), code=1)
    assert "truncated.xml: not well-formed XML at line 13" in result.output
    assert orjson.loads(run("stats", "--json").stdout)["papers"] == 0


def test_a_file_in_no_known_format_is_refused_and_nothing_is_imported(run, tmp_path: Path) -> None:
    saved_with_headers = tmp_path / "feed.xml"
    saved_with_headers.write_bytes(b"HTTP/1.1 200 OK\r\n\r\n" + (FIXTURES / "arxiv/query_page1.xml").read_bytes())
    result = run("import", str(saved_with_headers), code=1)
    assert "HTTP status line" in result.output and "--format" in result.output
    assert orjson.loads(run("stats", "--json").stdout)["papers"] == 0


def test_usage_errors_exit_2(run) -> None:
    run("import", str(FIXTURES / "pages/pairs.txt"), "--format", "pdf", code=2)
    run("import", "/no/such/file.jsonl", code=2)
    run("ingest", "arxiv", code=2)  # neither --category nor --id
    run("search", code=2)


def test_search_json(run) -> None:
    run("import", str(FIXTURES / "arxiv/query_page1.xml"), str(FIXTURES / "arxiv/query_page2.xml"))
    hits = orjson.loads(run("search", "score distillation", "--json", "--limit", "5").stdout)
    assert [h["id"] for h in hits] == ["2510.25021", "2510.26001"]
    assert set(hits[0]) == {"id", "title", "score"} and hits[0]["score"] > hits[1]["score"] > 0
    assert orjson.loads(run("search", "the of and", "--json").stdout) == []
    assert "query is too long" in run("search", "x" * 5000, code=1).output
    assert "no papers match" in run("search", "nonexistentword").output


def test_ingest_arxiv_category_window(run, local_server: LocalServer) -> None:
    pages = {"0": "arxiv/query_page1.xml", "2": "arxiv/query_page2.xml"}
    local_server.route("/api/query", lambda q: serve_file(pages[q["start"]])(q))
    result = run(
        "ingest",
        "arxiv",
        "--category",
        "cs.LG",
        "--from",
        "2025-10-27",
        "--until",
        "2025-10-29",
        "--page-size",
        "2",
        "--base-url",
        local_server.url + "/api/query",
        "--delay",
        "0",
        "--json",
    )
    assert orjson.loads(result.stdout)["new"] == 3
    assert local_server.requests[0][1]["search_query"] == "cat:cs.LG AND submittedDate:[202510270000 TO 202510292359]"


def test_ingest_arxiv_by_id_updates_version(run, local_server: LocalServer) -> None:
    run("import", str(FIXTURES / "arxiv/query_page1.xml"))
    local_server.route("/api/query", serve_file("arxiv/id_2510.25021v3.xml"))
    result = run(
        "ingest", "arxiv", "--id", "2510.25021", "--base-url", local_server.url + "/api/query", "--delay", "0", "--json"
    )
    assert orjson.loads(result.stdout)["updated"] == 1
    assert local_server.requests[0][1]["id_list"] == "2510.25021"


def test_ingest_oai_and_hf_daily(run, local_server: LocalServer) -> None:
    local_server.route(
        "/oai",
        lambda q: serve_file("oai/arxiv_page2.xml" if "resumptionToken" in q else "oai/arxiv_page1.xml", "text/xml")(q),
    )
    local_server.route("/api/daily_papers", serve_file("hf/daily_2025-10-29.json", "application/json"))
    oai = run(
        "ingest",
        "oai",
        "--set",
        "cs",
        "--from",
        "2025-10-01",
        "--base-url",
        local_server.url + "/oai",
        "--delay",
        "0",
        "--json",
    )
    assert orjson.loads(oai.stdout)["new"] == 2
    daily = run(
        "ingest",
        "hf-daily",
        "--date",
        "2025-10-29",
        "--base-url",
        local_server.url + "/api/daily_papers",
        "--delay",
        "0",
        "--json",
        code=1,
    )  # one entry in the fixture has no paper id
    assert orjson.loads(daily.stdout)["new"] == 2


def test_ingest_reports_an_unreachable_source(run) -> None:
    result = run(
        "ingest",
        "arxiv",
        "--id",
        "2510.25021",
        "--base-url",
        "http://127.0.0.1:9/api/query",
        "--delay",
        "0",
        "--retries",
        "1",
        code=1,
    )
    assert "Error: GET http://127.0.0.1:9/api/query failed" in result.output


def test_demo_loads_once_and_answers(run) -> None:
    first = run("demo", "--no-serve", "--no-index", "--query", "score distillation diffusion")
    assert "demo corpus: 538 new, 0 already there; 538 papers" in first.output
    assert " 1. " in first.output
    assert "demo corpus: 0 new, 538 already there" in run("demo", "--no-serve", "--no-index").output


def test_export_round_trips(run, tmp_path: Path) -> None:
    run(
        "import",
        *(str(FIXTURES / n) for n in ("arxiv/query_page1.xml", "pages/cards.txt", "hf/daily_2025-10-29.json")),
        code=1,
    )
    out = tmp_path / "export.jsonl"
    run("export", "-o", str(out))
    runner = CliRunner()
    other = tmp_path / "other"
    assert runner.invoke(main, ["import", str(out), "--data-dir", str(other)]).exit_code == 0
    again = tmp_path / "again.jsonl"
    assert runner.invoke(main, ["export", "-o", str(again), "--data-dir", str(other)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()
    assert len(out.read_bytes().splitlines()) == 5


@pytest.mark.parametrize("run", BACKENDS, indirect=True)
def test_check(run) -> None:
    run("import", str(FIXTURES / "snapshot/sample.jsonl"))
    assert "ok: 3 papers, schema 0017" in run("check").output


def test_check_repair_finishes_an_interrupted_bulk_import(run, tmp_path: Path) -> None:
    run("import", str(FIXTURES / "snapshot/sample.jsonl"), "--bulk")
    store = SqlStore(f"sqlite:///{tmp_path / 'data' / 'papertide.sqlite3'}")
    store.start_bulk_load()  # as an import killed before its end leaves the database
    assert "index ix_papers_published unbuilt" in run("check", code=1).output
    assert "ok: 3 papers, schema 0017" in run("check", "--repair").output
    assert not store.bulk_load_unfinished()
    store.close()


@pytest.mark.slow
def test_data_dir_from_environment_and_real_entry_point(tmp_path: Path) -> None:
    env = {"PAPERTIDE_DATA": str(tmp_path / "envdata"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "papertide.cli", "init"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "envdata" / "papertide.sqlite3").exists()
    bad = subprocess.run([sys.executable, "-m", "papertide.cli", "import"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2


@pytest.mark.slow
@pytest.mark.parametrize("run", BACKENDS, indirect=True)
def test_index_then_search_in_every_mode_and_related(run, tmp_path: Path) -> None:
    run("import", str(FIXTURES / "jsonl/small_corpus.jsonl"))
    hybrid_before = run("search", "quantum surface codes", "--json")
    assert "no vectors yet" in hybrid_before.stderr
    assert "no paper has a vector yet" in run("search", "x", "--mode", "semantic", code=1).output
    first = run("index", "--batch-size", "5").output
    assert "encoded 12 papers; index holds 12 vectors" in first
    assert "map: 12 papers in 2 regions (0 placed since the last fit)" in first
    assert "encoded 0 papers" in run("index").output
    for mode in ("keyword", "semantic", "hybrid"):
        hits = orjson.loads(run("search", "quantum surface codes", "--mode", mode, "--json").stdout)
        assert hits[0]["id"] == "c04", mode
    related = orjson.loads(run("related", "c01", "--json", "--limit", "2").stdout)
    assert [h["id"] for h in related] == ["c12", "c11"]
    assert "no paper 'nope'" in run("related", "nope", code=1).output
    liked = orjson.loads(run("recommend", "--like", "c01", "--like", "c12", "--limit", "3", "--json").stdout)
    assert [h["id"] for h in liked] == ["c05", "c08", "c11"]
    assert "give at least one --like" in run("recommend", code=2).output
    assert "no paper 'nope'" in run("recommend", "--like", "nope", code=1).output
    assert "index holds 12 vectors" in run("index", "--rebuild").output


def test_check_reports_a_vector_index_that_cannot_catch_up_and_repair_rebuilds_it(run, tmp_path: Path) -> None:
    run("import", str(FIXTURES / "jsonl/small_corpus.jsonl"), "--index")
    (tmp_path / "data" / "vectors.usearch").unlink()  # lost: the stored vectors are all that is left
    problem = " ".join(run("check", code=1).output.split())  # as the terminal wrapped it
    assert problem == (
        "problem the vector index (no file) cannot catch up with the database's 12 vectors through change #12 "
        "(`papertide index` or `papertide check --repair` rebuilds it; searches meanwhile use it as it is)"
    )
    assert "ok: 12 papers" in run("check", "--repair").output
    assert "ok: 12 papers" in run("check").output
    hits = orjson.loads(run("search", "quantum surface codes", "--mode", "semantic", "--json").stdout)
    assert hits[0]["id"] == "c04"


def test_import_with_index_encodes_only_what_is_new(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = run("import", str(FIXTURES / "jsonl/small_corpus.jsonl"), "--index")
    assert "encoded 12 papers; index holds 12 vectors" in first.output
    hits = orjson.loads(run("search", "quantum surface codes", "--mode", "semantic", "--json").stdout)
    assert hits[0]["id"] == "c04"
    assert "encoded 0 papers" in run("import", str(FIXTURES / "jsonl/small_corpus.jsonl"), "--index").output


def test_search_batch(run, tmp_path: Path) -> None:
    run("import", str(FIXTURES / "jsonl/small_corpus.jsonl"))
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"id": "q1", "text": "fraud detection"}\n\n{"id": 2, "text": "galaxy lensing"}\n')
    result = run("search", "--batch", str(queries), "--mode", "keyword", "--json", "--limit", "1")
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(line["id"], [r["id"] for r in line["results"]]) for line in lines] == [("q1", ["c03"]), (2, ["c10"])]
    queries.write_text('{"id": "q1"}\n')
    assert "--batch line 1" in run("search", "--batch", str(queries), "--mode", "keyword", code=1).output
    run("search", "both", "--batch", str(queries), code=2)


def test_serve_refuses_a_missing_secret_outside_dev_mode(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PAPERTIDE_SECRET", raising=False)
    run("init")
    result = run("serve", "--port", "1", code=1)
    assert "PAPERTIDE_SECRET is not set" in result.output


def test_digest_send_needs_an_smtp_url(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PAPERTIDE_SMTP_URL", raising=False)
    run("init")
    result = run("digest", "send", "--dev", code=1)
    assert "PAPERTIDE_SMTP_URL is not set" in result.output
    assert "sent 0 · empty 0" in run("digest", "send", "--dev", "--dry-run").output


def test_one_digest_run_at_a_time(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import fcntl

    (tmp_path / "data").mkdir(exist_ok=True)
    with open(tmp_path / "data" / "digest.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = run("digest", "send", "--dev", "--dry-run", code=1)
    assert "another digest run is going on" in busy.output
    assert "sent 0" in run("digest", "send", "--dev", "--dry-run").output  # free again


def test_record_text_is_printed_as_written_never_as_markup(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    titles = ["Scores :100: better", "Chern classes [c ii] of bundles", "Math [/math] and [bold]tags[/bold]"]
    corpus = tmp_path / "markup.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps({"id": f"m{i}", "title": t}) + b"\n" for i, t in enumerate(titles)))
    run("import", str(corpus))
    for words, title in zip(["scores", "chern classes", "math tags"], titles, strict=True):
        printed = run("search", words, "--mode", "keyword").output
        assert title in printed, printed
    assert "💯" not in run("search", "scores").output


@pytest.mark.parametrize("command", [["stats"], ["search", "x"], ["check"], ["export"], ["index"], ["imports", "list"]])
def test_read_only_commands_refuse_a_data_dir_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "mistyped"
    result = CliRunner().invoke(main, [*command, "--data-dir", str(missing)])
    assert result.exit_code == 1
    assert f"no papertide data directory at {missing}" in result.output
    assert not missing.exists()


def test_serve_says_a_busy_port_plainly_before_announcing_anything(run) -> None:  # type: ignore[no-untyped-def]
    import socket

    run("init")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--dev", "--port", str(port), code=1)
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "serving" not in result.output


def test_imports_list_undo_and_remove(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("import", str(FIXTURES / "arxiv/query_page1.xml"))
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"".join(orjson.dumps({"id": f"junk{i}", "title": f"Junk {i}"}) + b"\n" for i in range(3)))
    run("import", str(junk))
    runs = orjson.loads(run("imports", "list", "--json").stdout)
    assert [(r["id"], r["status"], r["new"]) for r in runs] == [(2, "done", 3), (1, "done", 2)]
    listed = run("imports", "list").output
    assert "junk.jsonl" in listed and "query_page1.xml" in listed
    assert "run 2 undone: 3 papers removed, 0 restored" in run("imports", "undo", "2").output
    assert "undone already" in run("imports", "undo", "2", code=1).output
    assert orjson.loads(run("stats", "--json").stdout)["papers"] == 2
    removed = run("remove", "2510.25021", "nope", code=1)
    assert "removed 1" in removed.output and "not found nope" in removed.output
    assert orjson.loads(run("search", "distilled decoding", "--json").stdout) == []
