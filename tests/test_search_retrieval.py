"""Search that knows when nothing matches, says how many matched, suggests spellings and marks where
the words are (issue 19, items 1-3), on the 12-paper corpus, encoded for real (MiniLM)."""

from __future__ import annotations

import pytest

from papertide import Papertide
from papertide.search.highlight import marks, segments, snippet, stems
from papertide.search.rank import above_floor, hybrid_weights, max_scaled, weighted_fusion


@pytest.fixture
def pt(encoded_corpus: Papertide) -> Papertide:
    return encoded_corpus


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
@pytest.mark.parametrize("text", ["xyzzyqwerty", "qwpoeiruty zxmcnvbl", "flarbgast plumbiquous"])
def test_gibberish_finds_nothing_in_any_mode(pt: Papertide, mode: str, text: str) -> None:
    found = pt.search(text, mode=mode)
    assert list(found) == [] and found.total in (0, None)


def test_a_misspelt_query_finds_nothing_and_suggests_the_catalogue_s_words(pt: Papertide) -> None:
    found = pt.search("quantom surfase codez")
    assert list(found) == [] and found.matched == 0
    assert found.suggestion == "quantum surface codes"
    assert pt.search("difusion").suggestion == "diffusion"


def test_no_suggestion_when_the_words_are_there(pt: Papertide) -> None:
    found = pt.search("surface codes")
    assert [h.paper.id for h in found][:1] == ["c04"] and found.suggestion is None


def test_counts_say_how_many_papers_hold_the_words(pt: Papertide) -> None:
    assert pt.search("diffusion", mode="keyword").matched == 2
    found = pt.search("diffusion models")
    assert found.matched == 4  # "diffusion" (c01, c12), "models" (two more)
    assert found.total == found.matched + found.near and len(found) <= found.total


def test_an_off_topic_query_shows_only_word_matches(pt: Papertide) -> None:
    found = pt.search("chocolate cake recipe")
    assert list(found) == [] and found.total == 0


def test_hybrid_ranks_the_paper_that_holds_the_phrase_first(pt: Papertide) -> None:
    assert [h.paper.id for h in pt.search("score matching")][:1] == ["c01"]
    assert [h.paper.id for h in pt.search("weak lensing")][:1] == ["c10"]


def test_marks_and_snippets() -> None:
    wanted = stems(["surface", "codes"])
    title = "Quantum Error Correction with Surface Codes"
    assert marks(title, wanted) == [(30, 37), (38, 43)]
    assert segments(title, marks(title, wanted)) == [
        ("Quantum Error Correction with ", False),
        ("Surface", True),
        (" ", False),
        ("Codes", True),
    ]
    text = "Noise. " * 60 + "Surface codes protect qubits; surface code decoders. " + "More text. " * 40
    cut = snippet(text, wanted, width=120)
    assert len(cut.text) <= 120 and cut.clipped_start and cut.clipped_end
    assert [cut.text[a:b] for a, b in cut.marks] == ["Surface", "codes", "surface", "code"]
    short = snippet("Modeling models", stems(["model"]))
    assert [short.text[a:b] for a, b in short.marks] == ["Modeling", "models"] and not short.clipped_end


def test_fusion_pieces_are_pure() -> None:
    assert max_scaled([4.0, 2.0, 0.0]) == [1.0, 0.5, 0.0] and max_scaled([]) == []
    assert above_floor([0.6, 0.2, 0.1], 0.2) == pytest.approx([0.5, 0.0, 0.0])
    assert hybrid_weights(2) == (0.5, 0.15, 0.35) and hybrid_weights(8) == (0.5, 0.35, 0.15)
    assert hybrid_weights(20) == hybrid_weights(8)
    pks, scores = weighted_fusion([([1, 2], [1.0, 0.5]), ([3, 1], [1.0, 0.2])], [0.5, 0.5])
    assert pks == [1, 3, 2] and scores == [0.6, 0.5, 0.25]


def _best_window_by_brute_force(text: str, wanted: frozenset[str], width: int) -> int:
    """Where the snippet should open its search, by trying every window (the old, quadratic way)."""
    found = marks(text, wanted)
    scores = []
    for first, (start, _) in enumerate(found):
        inside = [s for s in found[first:] if s[1] <= start + width]
        scores.append((-len({stems([text[a:b]]) for a, b in inside}), -len(inside), start))
    return min(scores)[2]


@pytest.mark.parametrize("seed", range(30))
def test_the_one_pass_snippet_picks_the_window_the_brute_force_picks(seed: int) -> None:
    import random

    rng = random.Random(seed)
    words = ["surface", "codes", "qubit", "noise", "decoder", "the", "of", "a" * rng.randint(1, 300)]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))
    wanted = stems(["surface", "codes", "decoder"])
    if not marks(text, wanted) or len(text) <= 120:
        return
    opened = _best_window_by_brute_force(text, wanted, 120)
    cut = snippet(text, wanted, width=120)
    first_mark = text.index(cut.text) + (cut.marks[0][0] if cut.marks else 0)
    assert first_mark <= opened + 120 and cut.marks  # the chosen window's matches are in the snippet


def test_snippet_work_is_bounded_whatever_the_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5 MB abstract of nothing but matches: the words looked at are bounded by MAX_SCAN and
    MAX_MARKS, not by the text (counted, not timed)."""
    import papertide.search.highlight as highlight

    wanted = stems(["surface", "codes"])
    calls = 0
    real = highlight.stem

    def counting(word: str) -> str:
        nonlocal calls
        calls += 1
        return real(word)

    monkeypatch.setattr(highlight, "stem", counting)
    text = "surface codes " * 400_000  # 5.6 MB
    cut = highlight.snippet(text, wanted, width=240)
    assert len(cut.text) <= 240 and cut.marks and cut.clipped_end
    assert calls <= 2 * highlight.MAX_MARKS  # at most MAX_MARKS words matched, each stemmed twice
    assert len(highlight.marks(text, wanted)) == highlight.MAX_MARKS
