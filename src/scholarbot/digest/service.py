"""Wire digests to the rest of scholarbot: state file, sources from config, ranking, the store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scholarbot.config import Settings, reveal
from scholarbot.digest.follow import RecordSource, followed_papers
from scholarbot.digest.rank import Ranker
from scholarbot.digest.runner import RunResult, preview, run_due
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import PaperSource, Poster, Ranked, Subscription
from scholarbot.ingest.pipeline import ingest_records
from scholarbot.records import Paper, Researcher
from scholarbot.services import Services

if TYPE_CHECKING:
    from scholarbot.search.directory import PeopleDirectory
    from scholarbot.search.index import PaperIndex


@dataclass
class _CachedRecords:
    """Paper and researcher records from the search index and the people table, not the store."""

    index: PaperIndex
    people: PeopleDirectory

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        return self.index.papers(ids)

    def get_researchers(self, ids: Sequence[str]) -> dict[str, Researcher]:
        return self.people.records(ids)


@dataclass
class _Batch:
    """A batch of new papers prepared for ranking, and where its followed researchers are read."""

    key: tuple[str, ...]
    prepared: Any
    records: RecordSource


def state_path(settings: Settings) -> Path:
    """Where the digest SQLite file lives."""
    return settings.digest.state_path or settings.store.path / "digests.sqlite3"


def build_sources(settings: Settings, svc: Services) -> list[PaperSource]:
    """The sources the config names, with their endpoints and credentials."""
    from scholarbot.digest.sources.arxiv import ArxivSource
    from scholarbot.digest.sources.local import LocalSource
    from scholarbot.digest.sources.openalex import OpenAlexSource

    d = settings.digest
    out: list[PaperSource] = []
    for name in d.sources:
        if name == "arxiv":
            out.append(ArxivSource(base_url=d.arxiv_url))
        elif name == "openalex":
            key = reveal(settings.secrets.openalex_api_key)
            out.append(OpenAlexSource(base_url=d.openalex_url, api_key=key, email=d.openalex_email))
        elif name == "local":
            out.append(LocalSource(svc))
    return out


def lookbacks(settings: Settings) -> dict[str, timedelta]:
    """How far each source is asked again before its mark (announcement and indexing lag)."""
    d = settings.digest
    return {
        "arxiv": timedelta(days=d.arxiv_lookback_days),
        "openalex": timedelta(days=d.openalex_lookback_days),
        "local": timedelta(days=d.local_lookback_days),
    }


class Digests:
    """Everything a digest run needs, built once (the bot keeps one; cron builds one per run)."""

    def __init__(
        self,
        settings: Settings,
        svc: Services,
        sources: list[PaperSource] | None = None,
        background: np.ndarray | None = None,
    ) -> None:
        self.settings = settings
        self.svc = svc
        self.state = DigestState(state_path(settings))
        self.sources = sources if sources is not None else build_sources(settings, svc)
        self.ranker = Ranker(svc.embedder, background)
        self.lookback = lookbacks(settings)
        # Source HTTP (arXiv's 3 s pacing, retries of several minutes) waits in threads of its own, so
        # a slow source never holds the threads that answers and autocomplete run in.
        self.http = ThreadPoolExecutor(max_workers=3, thread_name_prefix="scholarbot-digest-http")
        self._batch: _Batch | None = None
        # Several subscriptions rank the same batch from worker threads: prepare it once, under a lock.
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the state file and stop the source threads."""
        self.http.shutdown(wait=False, cancel_futures=True)
        self.state.close()

    def rank(self, papers: list[Paper], sub: Subscription) -> list[Ranked]:
        """Rank papers for one subscription; the batch is embedded once however many subscriptions ask."""
        key = tuple(p.id for p in papers)
        with self._lock:
            batch = self._batch
            if batch is None or batch.key != key:
                records = self._open_records()  # the store changed since the last batch: it absorbed this one
                batch = self._batch = _Batch(key, self.ranker.prepare(papers), records)
        followed = None
        if sub.researcher_ids:
            anchors = self.state.followed(sub.id) if sub.id else {}
            wanted = {rid: anchors.get(rid, ()) for rid in sub.researcher_ids}
            names = dict(zip(sub.researcher_ids, sub.researcher_names, strict=False))
            followed = followed_papers(papers, wanted, names, batch.records)
        return self.ranker.rank(batch.prepared, sub, followed)

    def _large(self) -> bool:
        large = getattr(self.svc, "large", None)
        return bool(large is not None and large())

    def _open_records(self) -> RecordSource:
        """Load the ranker's background once, and say where this batch's followed researchers' records
        and known papers are read: a large store's own collections would load its vector index into
        this (long-lived) process; the search index's records and the people table hold the same and
        are read by the page."""
        index_dir = getattr(self.svc, "index_dir", None)
        large = self._large()
        if index_dir is None or not (large or self.ranker.background is None):
            return self.svc.store
        from scholarbot.search.directory import PeopleDirectory
        from scholarbot.search.index import PaperIndex

        store = self.svc.store
        index = PaperIndex.open(
            store, self.svc.embedder, index_dir, getattr(self.svc, "refresh_paper_index", None)
        )
        if self.ranker.background is None:
            # The store's vectors say what "unusually close to this topic" means; a handful of new
            # papers cannot. Loaded on the first digest.
            self.ranker.background = index.reference_vectors()
        return _CachedRecords(index, PeopleDirectory.open(store, index_dir)) if large else store

    def absorb(self, papers: list[Paper]) -> None:
        """New papers join the store (merged across versions and sources) before they are ranked.

        In a child process when the store is large: writing reads the stored versions, which loads
        the store's vector index into the writer (~750 MB at 500k papers), and the bot would keep it.
        """
        if not papers:
            return

        def here() -> None:
            ingest_records(papers, [], self.svc.store, self.svc.embedder, people=self.svc.people_table())

        offload = getattr(self.svc, "offload", None)  # services made for tests may lack it
        if offload is None:
            here()
        else:
            offload("absorb", papers, here=here)

    async def run(
        self, now: datetime, poster: Poster, *, channel_id: int | None = None, dry_run: bool = False
    ) -> list[RunResult]:
        """Post (or, dry, just build) every digest due at `now`."""
        d = self.settings.digest
        return await run_due(
            now,
            state=self.state,
            sources=self.sources,
            rank=self.rank,
            absorb=self.absorb,
            poster=poster,
            channel_id=channel_id,
            dry_run=dry_run,
            lookback=self.lookback,
            grace=timedelta(minutes=d.reconcile_grace_minutes),
            backoff=timedelta(minutes=d.check_minutes),
            max_failures=d.max_failures,
            executor=self.http,
        )

    async def preview(self, now: datetime, channel_id: int, poster: Poster) -> list[RunResult]:
        """Build each of a channel's next digests as if due now; nothing is recorded or posted."""
        return await preview(
            now,
            channel_id,
            state=self.state,
            sources=self.sources,
            rank=self.rank,
            poster=poster,
            lookback=self.lookback,
            executor=self.http,
        )
