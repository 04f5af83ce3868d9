import pytest

from papertide.ids import (
    InvalidId,
    is_arxiv_id,
    is_paper_id,
    local_id,
    paper_path,
    parse_arxiv_id,
    title_hash,
    title_key,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2310.01234", ("2310.01234", None)),
        ("2310.01234v3", ("2310.01234", 3)),
        ("0704.0001", ("0704.0001", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("http://arxiv.org/abs/2510.25021v2", ("2510.25021", 2)),
        ("https://arxiv.org/pdf/2510.25021v1.pdf", ("2510.25021", 1)),
        ("arXiv:2510.25021", ("2510.25021", None)),
        (" 2510.25021 ", ("2510.25021", None)),
    ],
)
def test_parse_arxiv_id(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["", "2310.123", "12345.67890", "local-abc", "hep-th/99", "<script>", "2310.01234v"])
def test_rejects_non_ids(text: str) -> None:
    assert not is_arxiv_id(text)
    with pytest.raises(InvalidId):
        parse_arxiv_id(text)


def test_title_key_ignores_case_accents_punctuation_and_spacing() -> None:
    assert title_key("Doubly  Robust Alignment -- for LLMs!") == "doubly robust alignment for llms"
    assert title_key("Schrödinger Bridges") == title_key("SCHRODINGER bridges")
    assert title_key("{Score} Matching: a_b") == "score matching a b"


def test_local_id_is_stable() -> None:
    assert local_id("Truth Neurons") == local_id("truth  neurons!") == "local-84fab3e8d138"
    with pytest.raises(InvalidId):
        local_id(" -- ")


def test_title_hash_is_a_stable_signed_64_bit_number() -> None:
    # Stored in the database: these values must never change without a migration.
    assert title_hash("truth neurons") == 307131525553417085
    assert title_hash("") == -5426141060434712860


@pytest.mark.parametrize(
    "text", ["٢٣١٠.٠١٢٣٤", "２３１０.０１２３４", "2310.01234v٣", "2310.01234v0", "hep-th/99０1001"]
)
def test_arxiv_ids_are_ascii_digits_only(text: str) -> None:
    assert not is_arxiv_id(text)


@pytest.mark.parametrize(
    "text",
    ["2310.01234", "hep-th/9901001", "math.GT/0309136", "local-fa12f08e99cd", "c01", "4983", "doc_1-a.b", "a" * 64],
)
def test_paper_ids_have_a_grammar(text: str) -> None:
    assert is_paper_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "../papers/local-fa12f08e99cd", "a/../b", "..", "a..b", ".hidden", "-x", "x/y", "hep-th/9901001v2",
        "a b", "a?b", "a#b", "a%2Fb", "a\\b", "a" * 65, "", "id\n", "١٢", "x<y",
    ],
)  # fmt: skip
def test_anything_else_is_no_paper_id(text: str) -> None:
    assert not is_paper_id(text)


def test_a_paper_path_encodes_the_id() -> None:
    assert paper_path("hep-th/9901001") == "/papers/hep-th/9901001"
    assert paper_path("2310.01234") == "/papers/2310.01234"
    assert paper_path("a?b#c d") == "/papers/a%3Fb%23c%20d"  # stored before the grammar: still one path
