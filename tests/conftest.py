"""Shared fixtures: real stores in temp dirs, the shared data folder, one embedding model per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarbot.answers import Answerer
from scholarbot.config import Settings, StoreSettings
from scholarbot.services import Services, open_services
from scholarbot.store.store import Store

from fakes import HashChromaEF, HashEmbedder
from openai_standin import Endpoint, serve

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src" / "scholarbot" / "data" / "sample"
#: The four seed pages ship with the sample (byte-for-byte copies of ../shared/seeds, checked by
#: test_importers_seeds), so tests that need only them run on a bare clone too.
SEEDS = SAMPLE / "seeds"


def shared_dir() -> Path:
    """The shared data folder: $SCHOLARBOT_SHARED, else ../shared beside the repository."""
    env = os.environ.get("SCHOLARBOT_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder; a test that asks for it skips, saying why, on a clone without it.

    CI sets $SCHOLARBOT_REQUIRE_SHARED=1 so that a missing folder fails there instead of skipping.
    """
    path = shared_dir()
    if not path.is_dir():
        message = f"needs the shared data folder: {path} not found (set $SCHOLARBOT_SHARED to its path)"
        if os.environ.get("SCHOLARBOT_REQUIRE_SHARED"):
            pytest.fail(message + " and $SCHOLARBOT_REQUIRE_SHARED is set")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def corpus(shared: Path) -> Path:
    """The full paperlists corpus (18 venue files, ~13k papers)."""
    path = shared / "corpus" / "paperlists"
    # A shared folder without its corpus is broken, not absent: fail rather than skip.
    assert path.is_dir(), f"{shared} has no corpus/paperlists folder"
    return path


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


def sample_store(path: Path, model_cache: Path, *, enriched: bool = False) -> Services:
    """The bundled sample ingested into a real store at `path` with the real offline models.

    `enriched` adds full-model vectors, as `scholarbot demo` does.
    """
    from scholarbot.ingest.enrich import enrich
    from scholarbot.ingest.pipeline import ingest_paths

    settings = Settings(store=StoreSettings(path=path))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SAMPLE], svc.store, svc.embedder)
    if enriched:
        enrich(svc.store)  # full-model vectors for reworded questions
    return svc


def answerer_over(tmp_path: Path, model_cache: Path, rows: str) -> Answerer:
    """An answerer over a fresh store holding one paper list (`rows`: its JSON text, as ACL 2022)."""
    from scholarbot.ingest.pipeline import ingest_paths

    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    papers = tmp_path / "acl2022.json"
    papers.write_text(rows)
    ingest_paths([papers], svc.store, svc.embedder)
    return Answerer(svc)


@pytest.fixture(scope="session")
def sample_services(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Services:
    """The enriched sample, built once per session: the answer, reader and engine tests only read it."""
    return sample_store(tmp_path_factory.mktemp("sample-store"), model_cache, enriched=True)


@pytest.fixture
def hash_store(tmp_path: Path) -> tuple[Store, HashEmbedder]:
    """A real embedded Chroma store with a cheap deterministic embedder."""
    embedder = HashEmbedder()
    store = Store(StoreSettings(path=tmp_path / "store", batch_size=200), HashChromaEF(embedder))
    return store, embedder


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """A real OpenAI-compatible Chat Completions server on 127.0.0.1 (tests/openai_standin.py)."""
    yield from serve(monkeypatch)
