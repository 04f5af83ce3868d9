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
