"""Full-model vectors: resumable enrichment and search that uses them."""

from __future__ import annotations

from pathlib import Path

from scholarbot.config import Settings, StoreSettings
from scholarbot.ingest.enrich import enrich
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.search.index import PaperIndex
from scholarbot.services import open_services

from conftest import SEEDS


def test_enrich_is_resumable_and_search_picks_the_vectors_up(tmp_path: Path, model_cache: Path):
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SEEDS], svc.store, svc.embedder)
    total = svc.store.counts()["papers"]

    before = PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    assert before.deep_coverage == 0.0

    first = enrich(svc.store, limit=20)
    assert (first.embedded, first.remaining) == (20, total - 20)
    rest = enrich(svc.store)
    assert (rest.embedded, rest.remaining) == (total - 20, 0)
    assert enrich(svc.store).embedded == 0  # nothing left: a re-run is free

    # enrich started a new store generation, so the cached index is rebuilt with the vectors.
    after = PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    assert after.deep_coverage == 1.0
    # The saved index is not just patched: the full model's "unrelated" floor is calibrated anew.
    assert after.dense_floor(deep=True) == PaperIndex.build(svc.store, svc.embedder).dense_floor(deep=True)
    assert after.dense_floor(deep=True) != 0.5
    hits = after.search("training vision-language models from many clients' preference rewards", k=3)
    papers = svc.store.get_papers([h.id for h in hits])
    titles = [papers[h.id].title for h in hits]
    assert titles[0].startswith("Replacing Parameters with Preferences")


def test_changed_text_needs_new_vectors(tmp_path: Path, model_cache: Path):
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    f = tmp_path / "naacl2021.json"
    f.write_text('[{"title": "A Paper", "abstract": "old words", "author": "A B"}]')
    ingest_paths([f], svc.store, svc.embedder)
    assert enrich(svc.store).embedded == 1
    f.write_text('[{"title": "A Paper", "abstract": "a much longer and newer abstract", "author": "A B"}]')
    ingest_paths([f], svc.store, svc.embedder)
    # Until enrich runs again, the full vector of the old text is not used.
    assert PaperIndex.open(svc.store, svc.embedder, svc.index_dir).deep_coverage == 0.0
    assert enrich(svc.store).embedded == 1
    assert PaperIndex.open(svc.store, svc.embedder, svc.index_dir).deep_coverage == 1.0
