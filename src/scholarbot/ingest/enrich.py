"""Give papers vectors from the full MiniLM model, in the background of normal use.

Ingest embeds with the static model so 13k papers load in under a minute; the full int8 MiniLM
reads paraphrased questions far better but embeds ~45 papers/s on 2 cores. Enrichment fills a
second collection at that pace, batch by batch, resumable at any point; search uses the full
vectors wherever they exist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scholarbot.ingest.pipeline import Progress
from scholarbot.store.embeddings import get_embedder
from scholarbot.store.store import DEEP_EMBEDDER, Store

#: Papers embedded per write: a crash loses at most this much work.
BATCH = 128
#: Collection-metadata key recording which model the deep vectors come from.
DEEP_FLAG = "deep_model"


@dataclass
class EnrichReport:
    """What an enrichment pass did."""

    embedded: int = 0
    remaining: int = 0
    seconds: float = 0.0


def enrich(
    store: Store,
    *,
    limit: int | None = None,
    time_budget_s: float | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Embed papers that lack a current full-model vector; stop after `limit` papers or the time budget."""
    started = time.perf_counter()
    todo = store.papers_without_deep_vectors()
    report = EnrichReport(remaining=len(todo))
    if not todo:
        return report
    if limit is not None:
        todo = todo[:limit]
    embedder = get_embedder(DEEP_EMBEDDER)
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        vectors = embedder.embed_documents([text for _, text, _ in chunk])
        store.upsert_deep([pid for pid, _, _ in chunk], vectors, [h for _, _, h in chunk])
        report.embedded += len(chunk)
        report.remaining -= len(chunk)
        if progress is not None:
            progress("enrich", report.embedded, len(todo))
        if time_budget_s is not None and time.perf_counter() - started > time_budget_s:
            break
    # Also starts a new store generation, so cached search indexes pick the new vectors up.
    store.set_flag(DEEP_FLAG, DEEP_EMBEDDER)
    report.seconds = time.perf_counter() - started
    return report
