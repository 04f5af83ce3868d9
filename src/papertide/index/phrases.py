"""Key phrases at index time: every paper without them (or changed since) gets its few key phrases
by tf-idf over the keyword index's document frequencies, diverse by shared words
(`papertide.keywords.by_weight`). Resumable: each batch is committed as it is done.

Why tf-idf and not the encoder (KeyBERT's way, `keywords.by_meaning`): on SciFact, tf-idf's
phrases occur in the claims people wrote about the papers more often (70.5% of claims hold one, vs
44.8% by meaning and 64.9% mixing both), they still single out their paper (90.4% hit@1 from two
phrases, vs 96.5% by meaning), and they cost a third of the time (107 vs 33 papers/s, on 2 cores);
bench/keywords.py measures all of it in one run.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import keywords
from ..store import Store
from .keywords import KeywordIndex

BATCH = 256


def update_keywords(store: Store, words: KeywordIndex, on_progress: Callable[[int], None] | None = None) -> int:
    """Compute and store key phrases for every paper that needs them; how many papers were done."""
    done, last = 0, 0
    papers = max(store.count(), 1)
    while batch := store.papers_needing_keywords(last, BATCH):
        last = batch[-1][0]
        out = []
        for pk, title, abstract, version in batch:
            found = keywords.candidates(title, abstract)
            out.append((pk, keywords.by_weight(found, f"{title} {abstract}", words.doc_freq_of, papers), version))
        store.save_keywords(out)
        done += len(out)
        if on_progress:
            on_progress(done)
    return done
