"""Wire settings to an embedder and a store once, for the CLI, the bot and the benchmarks."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from scholarbot.config import Settings, reveal
from scholarbot.errors import ConfigError
from scholarbot.records import Paper
from scholarbot.store.embeddings import (
    ChromaEmbeddingFunction,
    Embedder,
    OpenAIEmbedder,
    default_cache_dir,
    get_embedder,
)
from scholarbot.store.store import EMBEDDER_FLAG, SCAN_PAGE, Store

if TYPE_CHECKING:
    from scholarbot.search.directory import PeopleTable

log = logging.getLogger(__name__)
T = TypeVar("T")


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

    def large(self) -> bool:
        """Whether the store is large enough that its heavy work is worth a child process."""
        from scholarbot.search.index import large_store

        return large_store(self.store, self.index_dir)

    def offload(self, task: str, *args: Any, here: Callable[[], T]) -> T:
        """`scholarbot.worker`'s `task` in a child process when the store is large, else `here()`;
        should the child fail, `here()` does the work and the log says why."""
        if self.large():
            try:
                return cast(T, self.in_child(task, *args))
            except Exception as e:  # whatever failed there, the work is done here instead
                log.warning("no child process ran %s (%s); doing it here", task, e)
        return here()

    def in_child(self, task: str, *args: Any) -> Any:
        """Run one of `scholarbot.worker`'s tasks in a child process and return its result.

        What the task loads (the store's vector index, a patch's arrays) stays in the child and goes
        back when it exits, instead of staying with a long-lived bot. Raises RuntimeError naming the
        child's last error line when it fails.
        """
        done = subprocess.run(
            [sys.executable, "-m", "scholarbot.worker"],
            input=pickle.dumps((self.settings, task, args)),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise RuntimeError(f"{task}: exit code {done.returncode}: {tail[0]}")
        return pickle.loads(done.stdout)

    def refresh_paper_index(self) -> None:
        """Bring the paper index's cache up to date in a child process (`in_child`), and wait for it."""
        self.in_child("refresh_paper_index")

    def papers_first_seen(self, lo: float, hi: float, page: int = SCAN_PAGE) -> list[Paper]:
        """Papers that first entered the store in [lo, hi) (unix seconds); read in a child when large."""
        return self.offload(
            "papers_first_seen", lo, hi, page, here=lambda: self.store.papers_first_seen(lo, hi, page)
        )

    def close(self) -> None:
        """Close the store; whoever opened the services closes them (the bot does not own them)."""
        self.store.close()


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
