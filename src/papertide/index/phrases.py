"""Key phrases at index time: every paper without them (or changed since) gets its few key
phrases (`papertide.keywords`), by meaning when the catalogue has vectors, else by tf-idf over the
keyword index's document frequencies. Resumable: each batch is committed as it is done."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import keywords
from ..embed import Encoder
from ..store import Store
from .keywords import KeywordIndex

BATCH = 128


def update_keywords(
    store: Store,
    encoder: Encoder | None = None,
    model: str | None = None,
    words: KeywordIndex | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Compute and store key phrases for every paper that needs them; how many papers were done."""
    done, last = 0, 0
    papers = max(store.count(), 1)
    doc_freq = words.doc_freq_of if words is not None else (lambda _w: 0)
    while batch := store.papers_needing_keywords(last, BATCH):
        last = batch[-1][0]
        vectors: dict[int, np.ndarray] = {}
        if encoder is not None and model is not None:
            for keys, rows in store.embeddings_of(model, [pk for pk, _, _, _ in batch]):
                vectors.update(zip((int(k) for k in keys), np.asarray(rows, dtype=np.float32), strict=True))
        phrases = {pk: keywords.candidates(title, abstract) for pk, title, abstract, _ in batch}
        if encoder is not None and vectors:  # only the likeliest are worth encoding
            phrases = {
                pk: keywords.prefilter(ps, f"{title} {abstract}", doc_freq, papers) if pk in vectors else ps
                for (pk, title, abstract, _), ps in zip(batch, phrases.values(), strict=True)
            }
        embedded: dict[str, np.ndarray] = {}
        if encoder is not None and vectors:
            distinct = sorted({p for pk, ps in phrases.items() if pk in vectors for p in ps})
            if distinct:
                embedded = dict(zip(distinct, encoder.encode(distinct), strict=True))
        out = []
        for pk, title, abstract, version in batch:
            found = phrases[pk]
            if pk in vectors and embedded:
                picked = keywords.by_meaning(
                    found,
                    vectors[pk],
                    np.stack([embedded[p] for p in found]).astype(np.float32)
                    if found
                    else np.zeros((0, 1), np.float32),
                )
            else:
                picked = keywords.by_weight(found, f"{title} {abstract}", doc_freq, papers)
            out.append((pk, picked, version))
        store.save_keywords(out)
        done += len(out)
        if on_progress:
            on_progress(done)
    return done
