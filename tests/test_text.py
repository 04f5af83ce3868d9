import pytest

from papertide.text import readable


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (r"An $O(n \log n)$ algorithm", "An O(n logn) algorithm"),
        (r"$\alpha$-divergences on $\mathbb{R}^d$", "α-divergences on ℝ^d"),
        (r"bounds of \(\frac{1}{2}\)", "bounds of 1/2"),
        (r"improves by 20\% --- and 30% \& more", "improves by 20% — and 30% & more"),
        ("20% better, then a comment sign % stays", "20% better, then a comment sign % stays"),
        (r"\textbf{Bold} and \emph{em}", "Bold and em"),
        ("AT&amp;T &lt;b&gt;", "AT&T <b>"),
        ("plain text", "plain text"),
        ("a lone $ sign", "a lone $ sign"),
    ],
)
def test_readable(source: str, shown: str) -> None:
    assert readable(source) == shown


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ('Gr\\"obner bases', "Gröbner bases"),
        ("Koll\\'ar", "Kollár"),
        ("Poincar\\'{e} duality", "Poincaré duality"),
        ("Erd\\H{o}s", "Erdős"),
        ("Fran\\c{c}ois \\v{S}ediv\\'y", "François Šedivý"),
        ("Stra\\ss e and \\o ksendal", "Straße and øksendal"),
        ("over \\Q, and $x \\in \\R^n$", "over ℚ, and x ∈ℝ^n"),
        ("the \\Rightarrow and \\vs macros", "the \\Rightarrow and \\vs macros"),  # not accents: kept
    ],
)
def test_accents_and_number_sets_outside_math(source: str, shown: str) -> None:
    assert readable(source) == shown


def test_stemming_from_many_threads_gives_the_single_threaded_stems() -> None:
    """Issue 32, item 2: one Snowball stemmer shared by 8 threads gave IndexErrors and wrong stems,
    which the callers' caches then kept. Each thread now has its own, and the caches hold only stems
    made that way."""
    import threading

    import orjson

    from papertide.index import key_phrases as keywords
    from papertide.search import highlight
    from papertide.text import english_stem

    from conftest import FIXTURES

    text = " ".join(
        f"{r.get('title', '')} {r.get('abstract', '')}"
        for r in map(orjson.loads, (FIXTURES / "jsonl/small_corpus.jsonl").read_bytes().splitlines())
    )
    words = sorted({w.lower() for w in text.split() if w.isalpha()}) * 20
    expected = {w: english_stem(w) for w in words}
    highlight.stem.cache_clear()
    keywords._norm.cache_clear()
    wrong: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for w in words:
                if (
                    english_stem(w) != expected[w]
                    or highlight.stem(w) != expected[w]
                    or keywords._norm(w) != expected[w]
                ):
                    wrong.append(w)
        except BaseException as exc:  # an IndexError inside the stemmer, as before
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []
    assert len(words) > 2000 and {highlight.stem(w) for w in words} == set(expected.values())
