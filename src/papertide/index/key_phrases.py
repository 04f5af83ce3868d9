"""Key phrases per paper (Hugging Face's `ai_keywords`), computed offline at index time.

Candidates are the phrases of one to three words the title and abstract hold between stop words
and punctuation ("denoising score matching", "latent space", "Langevin dynamics"). `by_weight`
ranks them by tf-idf over the catalogue's own document frequencies and picks five by maximal
marginal relevance (λ = 0.6: each next phrase weighs much and shares few words with those already
picked, so the five are not five wordings of one idea) — what `papertide index` stores.
`by_meaning` is KeyBERT's method on papertide's encoder (cosine to the paper's vector, MMR over the
phrases' vectors); bench/keywords.py compares both on SciFact, and the note above `update_keywords` says why the
stored ones are by weight.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from papertide.index.keywords import KeywordIndex
from papertide.query import STOP_WORDS
from papertide.store import Store
from papertide.text import english_stem, readable

PER_PAPER = 5
MMR_LAMBDA = 0.6
MAX_CANDIDATES = 60
# By meaning, only the best PREFILTER candidates by tf-idf are embedded (encoding is the cost).
PREFILTER = 20
MEANING_SHARE = 0.5
_CHUNKS = re.compile(r"[.,;:!?()\[\]{}\"“”'’/|=<>+*&%$#@^~`\\]+|\s-\s|\s–\s|\s—\s")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# Words that begin or end no key phrase, beyond the search stop words: the glue of abstracts.
_WEAK = STOP_WORDS | frozenset(
    """
    paper propose proposed show shows shown present presents study studies approach approaches method
    methods new novel results result demonstrate demonstrates however while whereas first second two three
    existing recent recently various several many different significantly significant well also achieve
    achieves achieved state-of-the-art improve improves improved extensive experiments experimental work
    works able across given often thus one can may might make makes made via within without among
    """.split()
)


@functools.lru_cache(maxsize=200_000)
def _norm(word: str) -> str:
    """A word's comparison form: its English stem, lower case (detection, detect → detect).
    Remembered: a catalogue's words repeat, and the Snowball stemmer in pure Python is most of
    the time candidates take (the map's labels call it for 20,000 papers)."""
    return english_stem(word.casefold())


def candidates(title: str, abstract: str, limit: int = MAX_CANDIDATES) -> list[str]:
    """Distinct phrases of 1–3 words between stop words and punctuation, title first, each once
    (case and plural aside), at most `limit`."""
    seen: dict[tuple[str, ...], str] = {}
    for text in (readable(title), readable(abstract)):
        for chunk in _CHUNKS.split(text):
            words = _WORD.findall(chunk)
            run: list[str] = []
            for w in [*words, ""]:
                if w and w.casefold() not in _WEAK and not w.isdigit() and len(w) > 1:
                    run.append(w)
                    continue
                for n in (3, 2, 1):
                    for i in range(len(run) - n + 1):
                        phrase = run[i : i + n]
                        if n == 1 and (len(phrase[0]) < 4 and not phrase[0].isupper()):
                            continue  # short lower-case single words say little
                        key = tuple(_norm(p) for p in phrase)
                        if key not in seen:
                            seen[key] = " ".join(phrase)
                run = []
    return list(seen.values())[:limit]


def mmr(
    relevance: Sequence[float], similarity: Callable[[int, int], float], k: int = PER_PAPER, lam: float = MMR_LAMBDA
) -> list[int]:
    """Maximal marginal relevance: indices picked one at a time, each maximising
    λ·relevance − (1−λ)·(its highest similarity to those already picked)."""
    picked: list[int] = []
    left = list(range(len(relevance)))
    while left and len(picked) < k:
        best = max(
            left, key=lambda i: lam * relevance[i] - (1 - lam) * max((similarity(i, j) for j in picked), default=0.0)
        )
        picked.append(best)
        left.remove(best)
    return picked


def by_meaning(
    phrases: list[str],
    paper_vector: npt.NDArray[np.float32],
    phrase_vectors: npt.NDArray[np.float32],
    k: int = PER_PAPER,
    weights: Sequence[float] | None = None,
) -> list[str]:
    """The `k` phrases closest in meaning to the paper, diverse (vectors L2-normalised). With
    `weights` (their tf-idf), relevance is half the cosine and half the weight scaled to the best:
    the cosine alone favours long descriptive phrases that tell the paper apart but that nobody
    writes; the weight favours the terms people use (bench/keywords.py measures both)."""
    if not phrases:
        return []
    relevance = (phrase_vectors @ paper_vector).tolist()
    if weights is not None:
        top = max(weights) or 1.0
        relevance = [MEANING_SHARE * r + (1 - MEANING_SHARE) * w / top for r, w in zip(relevance, weights, strict=True)]
    pairwise = phrase_vectors @ phrase_vectors.T
    return [phrases[i] for i in mmr(relevance, lambda i, j: float(pairwise[i, j]), k)]


def tfidf(phrases: Sequence[str], text: str, doc_freq: Callable[[str], int], papers: int) -> list[float]:
    """Each phrase's weight in `text`: its count there (at least 1) × the mean idf of its words ×
    more for longer phrases (a phrase says more than its words); `doc_freq(word)` counts the
    catalogue's papers holding the word."""
    lowered = text.casefold()
    out = []
    for phrase in phrases:
        words = phrase.casefold().split()
        tf = lowered.count(phrase.casefold()) or 1
        idf = sum(math.log((papers + 1) / (doc_freq(w) + 1)) for w in words) / len(words)
        out.append(tf * idf * (1 + 0.5 * (len(words) - 1)))
    return out


def prefilter(
    phrases: list[str], text: str, doc_freq: Callable[[str], int], papers: int, keep: int = PREFILTER
) -> list[str]:
    """The `keep` phrases of highest tf-idf, in their original order (what is worth embedding)."""
    weights = tfidf(phrases, text, doc_freq, papers)
    best = sorted(range(len(phrases)), key=lambda i: -weights[i])[:keep]
    return [phrases[i] for i in sorted(best)]


def by_weight(
    phrases: list[str], text: str, doc_freq: Callable[[str], int], papers: int, k: int = PER_PAPER
) -> list[str]:
    """The `k` phrases of highest tf-idf in `text`, diverse by shared (stemmed) words."""
    if not phrases:
        return []
    weights = tfidf(phrases, text, doc_freq, papers)
    top = max(weights) or 1.0
    relevance = [w / top for w in weights]
    sets = [{_norm(w) for w in p.split()} for p in phrases]
    # Overlap, not Jaccard: a word inside a phrase already picked ("score" in "score matching") is
    # as good as picked.
    return [
        phrases[i] for i in mmr(relevance, lambda i, j: len(sets[i] & sets[j]) / min(len(sets[i]), len(sets[j])), k)
    ]


# --- at index time: every paper without phrases (or changed since) gets them -----------------------------
# Key phrases at index time: every paper without them (or changed since) gets its few key phrases
# by tf-idf over the keyword index's document frequencies, diverse by shared words
# (`papertide.index.key_phrases.by_weight`). Resumable: each batch is committed as it is done.
#
# Why tf-idf and not the encoder (KeyBERT's way, `keywords.by_meaning`): on SciFact, tf-idf's
# phrases occur in the claims people wrote about the papers more often (70.5% of claims hold one, vs
# 44.8% by meaning and 64.9% mixing both), they still single out their paper (90.4% hit@1 from two
# phrases, vs 96.5% by meaning), and they cost a third of the time (107 vs 33 papers/s, on 2 cores);
# bench/keywords.py measures all of it in one run.
BATCH = 256


def update_keywords(store: Store, words: KeywordIndex, on_progress: Callable[[int], None] | None = None) -> int:
    """Compute and store key phrases for every paper that needs them; how many papers were done."""
    done, last = 0, 0
    papers = max(store.count(), 1)
    while batch := store.papers_needing_keywords(last, BATCH):
        last = batch[-1][0]
        out = []
        for pk, title, abstract, version in batch:
            found = candidates(title, abstract)
            out.append((pk, by_weight(found, f"{title} {abstract}", words.doc_freq_of, papers), version))
        store.save_keywords(out)
        done += len(out)
        if on_progress:
            on_progress(done)
    return done
