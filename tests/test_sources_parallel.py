import os
import pickle
import signal
from pathlib import Path

import pytest

from papertide.sources import Rejected, SourceError
from papertide.sources.files import read_path
from papertide.sources.parallel import pack, read_paths_in_process, unpack
from test_catalogue_imports import ALL_FIXTURES

from conftest import FIXTURES, children_of, gone

MIXED = [FIXTURES / name for name in ALL_FIXTURES] + [FIXTURES / "snapshot/malformed.jsonl"]


def test_pack_and_unpack_give_back_an_equal_paper() -> None:
    papers = [i for i in read_path(FIXTURES / "arxiv/query_page1.xml")]
    assert [unpack(pack(p)) for p in papers] == papers


def test_same_records_in_the_same_order_as_reading_here() -> None:
    here = [item for path in MIXED for item in read_path(path, capture_year=2025)]
    counted: list[int] = []
    there = list(read_paths_in_process(MIXED, capture_year=2025, on_bytes=counted.append))
    assert there == here
    assert len(there) == 29 and sum(isinstance(i, Rejected) for i in there) == 7
    assert sum(counted) == sum(p.stat().st_size for p in MIXED)  # the progress bar gets every byte


def test_an_unreadable_file_stops_the_import_with_the_parsers_error() -> None:
    truncated = FIXTURES / "arxiv/truncated.xml"
    with pytest.raises(SourceError) as here:
        list(read_path(truncated))
    with pytest.raises(SourceError) as there:
        list(read_paths_in_process([FIXTURES / "snapshot/sample.jsonl", truncated]))
    assert str(there.value) == str(here.value)


def test_a_reader_that_dies_is_an_error_not_a_hang(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    line = (FIXTURES / "snapshot/sample.jsonl").read_bytes().splitlines()[0] + b"\n"
    big.write_bytes(line * 200_000)  # the reader cannot finish before it is killed
    records = read_paths_in_process([big], fmt="snapshot")
    next(records)
    (reader,) = children_of(os.getpid())
    os.kill(reader, signal.SIGKILL)
    with pytest.raises(SourceError, match=r"the reading process stopped unexpectedly \(exit code -9\)"):
        for _ in records:
            pass


def test_stopping_early_ends_the_reader(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    line = (FIXTURES / "snapshot/sample.jsonl").read_bytes().splitlines()[0] + b"\n"
    big.write_bytes(line * 200_000)
    records = read_paths_in_process([big], fmt="snapshot")
    next(records)
    (reader,) = children_of(os.getpid())
    records.close()
    assert gone(reader)


def test_a_message_cut_short_ends_the_stream_instead_of_being_read() -> None:
    import io
    import queue

    from papertide.sources.parallel import _HEADER, _drain

    whole = pickle.dumps(("bytes", 10))
    cut = pickle.dumps(("items", ["x" * 100]))
    pipe = io.BytesIO(_HEADER.pack(len(whole)) + whole + _HEADER.pack(len(cut)) + cut[:20])
    messages: queue.Queue[bytes] = queue.Queue()
    _drain(pipe, messages)
    assert [messages.get_nowait() for _ in range(messages.qsize())] == [whole, b""]
