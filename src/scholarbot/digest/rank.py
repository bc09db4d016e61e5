"""Score new papers against subscriptions: meaning + words + followed authors, each explained in one line.

Papers are embedded and tokenised once per run; every subscription's topics then cost one matrix
product and a few set lookups, so 10,000 papers against 100 subscriptions take seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import Stemmer

from scholarbot.digest.types import Ranked, Subscription
from scholarbot.records import Paper, name_key
from scholarbot.search.index import zscore
from scholarbot.search.lexical import stemmed_words
from scholarbot.store.store import paper_text

#: A paper this many standard deviations above the store's average similarity to a topic scores 1.
Z_FULL = 4.0
#: What following an author is worth on its own (enough to clear any sensible threshold).
FOLLOWED_AUTHOR = 0.9


class Ranker:
    """Ranks one batch of new papers for any number of subscriptions."""

    def __init__(self, embedder: Any, background: np.ndarray | None = None) -> None:
        """`background`: the store's paper vectors, used to put similarities on a z-score scale."""
        self.embedder = embedder
        self.background = background
        self.stemmer = Stemmer.Stemmer("english")

    def prepare(self, papers: Sequence[Paper]) -> _Batch:
        """Embed and tokenise the new papers once."""
        texts = [paper_text(p) for p in papers]
        vectors = np.asarray(self.embedder.embed_documents(texts), dtype=np.float32)
        words = self._stems(texts)
        postings: dict[str, set[int]] = defaultdict(set)
        for row, stems in enumerate(words):
            for stem in stems:
                postings[stem].add(row)
        authors = [{name_key(a.name): a.name for a in p.authors} for p in papers]
        return _Batch(list(papers), vectors, postings, authors)

    def rank(
        self, batch: _Batch, sub: Subscription, followed: Mapping[str, Collection[str]] | None = None
    ) -> list[Ranked]:
        """Papers of the batch for one subscription, best first, with reasons; nothing below threshold.

        `followed` maps each followed researcher's name to the batch's paper ids that are theirs (see
        follow.py). Without it, followed researchers are matched by name, which cannot tell namesakes
        apart: only callers without a store (the benchmark) should rely on that.
        """
        n = len(batch.papers)
        if n == 0:
            return []
        best = np.zeros(n, dtype=np.float32)
        best_topic: list[str | None] = [None] * n
        for topic in sub.topics:
            topic_scores = self._topic_scores(batch, topic)
            better = topic_scores > best
            best = np.where(better, topic_scores, best)
            for hit in np.nonzero(better)[0]:
                best_topic[int(hit)] = topic
        by_name = {name_key(x): x for x in sub.researcher_names}
        raw: list[tuple[float, int, str]] = []
        for i in range(n):
            if followed is not None:
                pid = batch.papers[i].id
                hits = [name for name, ids in followed.items() if pid in ids]
            else:
                hits = [batch.authors[i][k] for k in by_name if k in batch.authors[i]]
            total = float(best[i])
            reasons = []
            if best_topic[i] and total > 0:
                reasons.append(f"matches “{best_topic[i]}”")
            if hits:
                total = max(total, FOLLOWED_AUTHOR) + 0.1 * total
                reasons.append(f"by {', '.join(hits)}, whom this channel follows")
            if min(total, 1.0) >= sub.threshold and reasons:
                raw.append((total, i, "; ".join(reasons)))
        raw.sort(key=lambda t: (-t[0], batch.papers[t[1]].title))
        return [Ranked(batch.papers[i], round(min(t, 1.0), 3), why) for t, i, why in raw]

    def _topic_scores(self, batch: _Batch, topic: str) -> np.ndarray:
        # Meaning: cosine as a z-score against the store (or the batch when the store is empty).
        q = np.asarray(self.embedder.embed_query(topic), dtype=np.float32).reshape(-1)
        sims = batch.vectors @ q
        ref = self.background @ q if self.background is not None and len(self.background) > 30 else sims
        z = zscore(sims, ref)
        meaning = np.clip(z / Z_FULL, 0.0, None)
        # Words: the share of the topic's stemmed words a paper contains.
        stems = self._stems([topic])[0]
        words = np.zeros(len(batch.papers), dtype=np.float32)
        for stem in stems:
            for row in batch.postings.get(stem, ()):
                words[row] += 1.0 / len(stems)
        # Evidence adds up (a paper matching in meaning AND words beats one matching in either);
        # scores above 1 only order the best papers, the threshold reads the clipped value.
        return (0.6 * meaning + 0.6 * words).astype(np.float32)

    def _stems(self, texts: list[str]) -> list[set[str]]:
        return [set(t) for t in stemmed_words(texts, self.stemmer)]


class _Batch:
    """A batch of papers prepared for ranking."""

    def __init__(
        self,
        papers: list[Paper],
        vectors: np.ndarray,
        postings: dict[str, set[int]],
        authors: list[dict[str, str]],
    ) -> None:
        self.papers = papers
        self.vectors = vectors
        self.postings = postings
        self.authors = authors
