"""Wire settings to an embedder and a store once, for the CLI, the bot and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scholarbot.config import Settings
from scholarbot.embeddings import ChromaEmbeddingFunction, get_embedder
from scholarbot.store import Store


@dataclass
class Services:
    """The long-lived objects a command needs."""

    settings: Settings
    embedder: Any
    store: Store


def open_services(settings: Settings) -> Services:
    """Load the embedding model and open the store named by the settings."""
    embedder = get_embedder(settings.embeddings.model, settings.embeddings.cache_dir)
    store = Store(settings.store, ChromaEmbeddingFunction(embedder))
    return Services(settings=settings, embedder=embedder, store=store)
