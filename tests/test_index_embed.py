import numpy as np
import pytest

from papertide.index.embed import MiniLM, paper_text


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM(threads=1)


def test_vectors_are_normalised_and_deterministic(encoder: MiniLM) -> None:
    vectors = encoder.encode(["Score matching", "A second text", "Score matching"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2])


def test_meaning_is_captured(encoder: MiniLM) -> None:
    a, b, c = encoder.encode(
        ["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome."]
    )
    assert float(a @ b) > 0.6 > 0.1 > float(a @ c)


def test_batch_order_does_not_change_vectors(encoder: MiniLM) -> None:
    texts = ["short", "a somewhat longer text about diffusion models and score matching", "mid length text"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_long_and_empty_inputs(encoder: MiniLM) -> None:
    assert encoder.encode([]).shape == (0, 384)
    long = encoder.encode(["word " * 5000])  # truncated to 256 word pieces, no error
    assert long.shape == (1, 384)


def test_paper_text() -> None:
    assert paper_text("Title", "Abstract.") == "Title. Abstract."
    assert paper_text("Title", "") == "Title"
