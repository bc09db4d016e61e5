"""Shared fixtures: real stores in temp dirs, the shared data folder, one embedding model per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scholarbot.config import Settings, StoreSettings
from scholarbot.services import Services, open_services
from scholarbot.store import Store

from fakes import HashChromaEF, HashEmbedder

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus" / "paperlists"
SAMPLE = REPO / "src" / "scholarbot" / "data" / "sample"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may read a developer's config.toml or write to the repo's vectorstore/.
    monkeypatch.chdir(tmp_path)
    for var in ("SCHOLARBOT_CONFIG", "SCHOLARBOT_STORE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One distilled-model cache for the whole session (distillation runs at most once)."""
    shared = os.environ.get("SCHOLARBOT_TEST_MODEL_CACHE")
    return Path(shared) if shared else tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def sample_services(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Services:
    """The bundled sample in a real store with the real offline models, enriched as `scholarbot demo` does.

    Built once per session: the answer, reader and engine tests only read it.
    """
    from scholarbot.enrich import enrich
    from scholarbot.ingest import ingest_paths

    settings = Settings(store=StoreSettings(path=tmp_path_factory.mktemp("sample-store")))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SAMPLE], svc.store, svc.embedder)
    enrich(svc.store)  # full-model vectors for reworded questions
    return svc


@pytest.fixture
def hash_store(tmp_path: Path) -> tuple[Store, HashEmbedder]:
    """A real embedded Chroma store with a cheap deterministic embedder."""
    embedder = HashEmbedder()
    store = Store(StoreSettings(path=tmp_path / "store", batch_size=200), HashChromaEF(embedder))
    return store, embedder
