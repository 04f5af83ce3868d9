from datetime import datetime

from papertide.sources import Rejected
from papertide.sources.snapshot import parse_snapshot

from conftest import FIXTURES, assert_golden


def test_parse_golden() -> None:
    with (FIXTURES / "snapshot/sample.jsonl").open("rb") as f:
        items = list(parse_snapshot(f, "sample.jsonl"))
    assert_golden("snapshot_sample", items)
    first = items[0]
    assert (first.id, first.version) == ("0704.0001", 2)
    assert [a.name for a in first.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.published == datetime(2007, 4, 2, 19, 18, 42)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27)
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert items[1].categories == ("math.CO", "cs.CG")


def test_malformed_lines_are_rejected_by_line_and_the_rest_read() -> None:
    with (FIXTURES / "snapshot/malformed.jsonl").open("rb") as f:
        items = list(parse_snapshot(f, "malformed.jsonl"))
    rejected = [str(i) for i in items if isinstance(i, Rejected)]
    assert [i.id for i in items if not isinstance(i, Rejected)] == ["0704.0001", "2501.00005"]
    assert rejected[0].startswith("malformed.jsonl:2: not valid JSON")
    assert rejected[1] == "malformed.jsonl:3 (record hep-th/9901001): missing field 'title'"
    assert rejected[2].startswith("malformed.jsonl:4 (record 2501.00003): bad 'versions' field")
    assert rejected[3] == "malformed.jsonl:5: line is not a JSON object"
    assert rejected[4] == "malformed.jsonl:6: not UTF-8"
    assert len(rejected) == 5


def test_streams_lazily() -> None:
    def lines():  # an endless file: parsing must not read ahead
        n = 0
        while True:
            n += 1
            yield b'{"id": "2501.%05d", "title": "T%d", "versions": []}\n' % (n, n)

    stream = parse_snapshot(lines())
    assert [next(stream).id for _ in range(3)] == ["2501.00001", "2501.00002", "2501.00003"]
