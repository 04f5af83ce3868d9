import pytest

from papertide.query import MAX_QUERY_CHARS, Query, QueryError, parse_query


def test_words_drop_stop_words_and_case() -> None:
    assert parse_query("The Score of Diffusion models").terms == ("score", "diffusion", "models")


def test_phrases_exclusions_authors_categories() -> None:
    q = parse_query('"score matching" -diffusion author:Song cat:cs.LG energy -"image generation"')
    assert q == Query(
        terms=("energy",),
        phrases=(("score", "matching"),),
        excluded=("diffusion", "image", "generation"),
        authors=("song",),
        categories=("cs.LG",),
    )


@pytest.mark.parametrize("text", ["", "   ", "the of and", "-diffusion", '"', "\x00\x07\x1b"])
def test_nothing_to_look_for_is_empty(text: str) -> None:
    assert parse_query(text).is_empty


def test_unbalanced_quote_is_read_as_a_phrase_to_the_end() -> None:
    assert parse_query('"score matching').phrases == (("score", "matching"),)


def test_fts_syntax_characters_are_just_text() -> None:
    q = parse_query("NEAR(a b) * OR ^col: (x")
    assert q.terms == ("near", "b", "col", "x")  # operators never survive as operators


def test_too_long_is_an_error() -> None:
    with pytest.raises(QueryError, match="query is too long"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))


def test_too_many_words_is_an_error() -> None:
    with pytest.raises(QueryError, match="too many words"):
        parse_query(" ".join(f"w{i}" for i in range(100)))
