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
