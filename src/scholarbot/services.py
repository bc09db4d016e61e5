"""Wire settings to an embedder and a store once, for the CLI, the bot and the benchmarks."""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scholarbot.config import Settings, reveal
from scholarbot.errors import ConfigError
from scholarbot.store.embeddings import (
    ChromaEmbeddingFunction,
    Embedder,
    OpenAIEmbedder,
    default_cache_dir,
    get_embedder,
)
from scholarbot.store.store import EMBEDDER_FLAG, Store

if TYPE_CHECKING:
    from scholarbot.search.directory import PeopleTable


@dataclass
class Services:
    """The long-lived objects a command needs."""

    settings: Settings
    embedder: Embedder
    store: Store
    #: Where search indexes derived from the store are cached between processes.
    index_dir: Path

    def people_table(self) -> PeopleTable:
        """The people directory's table, for ingest to keep current and re-resolve from."""
        from scholarbot.search.directory import PeopleTable

        return PeopleTable(self.index_dir)

    def refresh_paper_index(self) -> None:
        """Bring the paper index's cache up to date in a child process, and wait for it.

        A patch reads the changed papers from the store (which loads the store's whole vector index
        into the reading process) and holds the token arrays and BM25 scores it rewrites; in a child,
        that memory goes back when it exits instead of staying with a long-lived bot. The child is a
        fresh interpreter (`python -m scholarbot.services`), which re-runs nothing of the caller's.
        """
        done = subprocess.run(
            [sys.executable, "-m", "scholarbot.services"],
            input=pickle.dumps(self.settings),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise RuntimeError(f"exit code {done.returncode}: {tail[0]}")

    def close(self) -> None:
        """Close the store; whoever opened the services closes them (the bot does not own them)."""
        self.store.close()


def _refresh_paper_index(settings: Settings) -> None:
    from scholarbot.search.index import PaperIndex

    svc = open_services(settings)
    try:
        PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    finally:
        svc.close()


def open_services(settings: Settings) -> Services:
    """Load the embedding model and open the store named by the settings."""
    emb = settings.embeddings
    if emb.model == "openai":
        embedder: Embedder = OpenAIEmbedder(
            emb.openai_model,
            emb.openai_base_url,
            emb.openai_timeout_s,
            api_key=reveal(settings.secrets.openai_api_key),
            cache_dir=emb.cache_dir,
        )
    else:
        embedder = get_embedder(emb.model, emb.cache_dir)
    store = Store(settings.store, ChromaEmbeddingFunction(embedder))
    built_with = store.get_flag(EMBEDDER_FLAG)
    if built_with is not None and built_with != embedder.name:
        # Mixed vectors would make every search wrong (or crash on a dimension mismatch).
        raise ConfigError(
            f"the store at {store.where} was built with the {built_with!r} embedder, but the config "
            f"asks for {embedder.name!r}: set embeddings.model = {built_with!r} or use a fresh --store"
        )
    if settings.store.host:
        index_dir = Path(settings.embeddings.cache_dir or default_cache_dir()) / "index" / store.cache_key()
    else:
        # Beside the embedded store, so deleting the store folder deletes its caches too.
        index_dir = settings.store.path / ".scholarbot-index"
    return Services(settings=settings, embedder=embedder, store=store, index_dir=index_dir)


if __name__ == "__main__":  # Services.refresh_paper_index's child: the settings come pickled on stdin
    _refresh_paper_index(pickle.loads(sys.stdin.buffer.read()))
