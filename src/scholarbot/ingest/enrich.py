"""Give papers vectors from a full sentence model, in the background of normal use.

Ingest embeds with the static model so 13k papers load in under a minute; a full model (the bundled
int8 MiniLM, or one the user names: `embeddings.enrich_model`) reads paraphrased questions far better
but embeds ~17 papers/s (the int8 MiniLM, 256 tokens) on 2 cores. Enrichment fills a second collection
at that pace, batch by batch, resumable at any point; search uses the full vectors wherever they exist,
weighted as `embeddings.enrich_weight` says.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from scholarbot.errors import ConfigError
from scholarbot.ingest.pipeline import Progress
from scholarbot.store.embeddings import get_embedder, model_name
from scholarbot.store.store import DEEP_EMBEDDER, DEEP_FLAG, DEEP_WEIGHT_FLAG, Store

#: Papers embedded per write: a crash loses at most this much work.
BATCH = 128
#: The fusion weight measured for the bundled model (see scholarbot.search.index.fuse).
DEFAULT_WEIGHT = 2.0


@dataclass
class EnrichReport:
    """What an enrichment pass did."""

    embedded: int = 0
    remaining: int = 0
    seconds: float = 0.0
    model: str = DEEP_EMBEDDER


def enrich(
    store: Store,
    *,
    model: str = DEEP_EMBEDDER,
    weight: float = DEFAULT_WEIGHT,
    replace: bool = False,
    cache_dir: Path | None = None,
    limit: int | None = None,
    time_budget_s: float | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Embed papers that lack a current full-model vector; stop after `limit` papers or the time budget.

    Vectors of two models never mix: when the store's come from another model, `replace` drops
    them first, and without it this raises ConfigError.
    """
    started = time.perf_counter()
    model = model_name(model)
    current = store.deep_model()
    if current is not None and current != model:
        if not replace:
            raise ConfigError(
                f"the store's full-model vectors come from {current!r}, not {model!r}; "
                f"`scholarbot enrich --replace` drops them and starts over with {model!r}"
            )
        store.drop_deep()
    embedder = get_embedder(model, cache_dir)  # a bad model name fails here, before any work
    flags = store.flags()
    if flags.get(DEEP_FLAG) != model or flags.get(DEEP_WEIGHT_FLAG) != weight:
        # Named before the first vector is written, so an interrupted run cannot leave vectors
        # whose model nobody recorded; also a new generation, so search indexes pick the weight up.
        store.set_flags({DEEP_FLAG: model, DEEP_WEIGHT_FLAG: weight})
    todo = store.papers_without_deep_vectors()
    report = EnrichReport(remaining=len(todo), model=model)
    if not todo:
        return report
    if limit is not None:
        todo = todo[:limit]
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
    # A new store generation, so cached search indexes pick the new vectors up.
    store.set_flags({DEEP_FLAG: model, DEEP_WEIGHT_FLAG: weight})
    report.seconds = time.perf_counter() - started
    return report
