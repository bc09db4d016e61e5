"""Papers newly ingested into the local store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from scholarbot.digest.sources.common import SourceError, utc
from scholarbot.digest.types import Fetched
from scholarbot.records import Paper

#: Chroma `get` page size when scanning locally ingested papers.
LOCAL_PAGE = 1000


class _Papers(Protocol):
    """The store, or the bot's services (which read a large store in a child process)."""

    def papers_first_seen(self, lo: float, hi: float, page: int = ...) -> list[Paper]: ...


class LocalSource:
    """Papers first written to the local store in the window (topics and authors are ranked later)."""

    name = "local"

    def __init__(self, store: _Papers) -> None:
        self.store = store

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...] = (), authors: tuple[str, ...] = ()
    ) -> Fetched:
        """Papers whose `first_seen` metadata (unix seconds) falls in [since, until)."""
        lo, hi = utc(since).timestamp(), utc(until).timestamp()
        try:
            return Fetched(self.name, self.store.papers_first_seen(lo, hi, page=LOCAL_PAGE))
        except Exception as e:  # chromadb raises plain Exception subclasses for a broken store
            raise SourceError("The local store", f"could not be read: {e}") from e
