"""Wire digests to the rest of scholarbot: state file, sources from config, ranking, the store."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from scholarbot.config import Settings
from scholarbot.digest.rank import Ranker
from scholarbot.digest.runner import RunResult, run_due
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import PaperSource, Poster, Ranked, Subscription
from scholarbot.ingest import ingest_records
from scholarbot.records import Paper
from scholarbot.services import Services


def state_path(settings: Settings) -> Path:
    """Where the digest SQLite file lives."""
    return settings.digest.state_path or settings.store.path / "digests.sqlite3"


def build_sources(settings: Settings, svc: Services) -> list[PaperSource]:
    """The sources the config names, with their endpoints and credentials."""
    from scholarbot.digest import sources as src

    d = settings.digest
    out: list[PaperSource] = []
    for name in d.sources:
        if name == "arxiv":
            out.append(src.ArxivSource(base_url=d.arxiv_url))
        elif name == "openalex":
            key = os.environ.get("OPENALEX_API_KEY") or None
            out.append(src.OpenAlexSource(base_url=d.openalex_url, api_key=key, email=d.openalex_email))
        elif name == "local":
            out.append(src.LocalSource(svc.store))
    return out


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
        self._prepared: tuple[tuple[str, ...], Any] | None = None

    def rank(self, papers: list[Paper], sub: Subscription) -> list[Ranked]:
        """Rank papers for one subscription; the batch is embedded once however many subscriptions ask."""
        if self.ranker.background is None and getattr(self.svc, "index_dir", None) is not None:
            # The store's vectors say what "unusually close to this topic" means; a handful of new
            # papers cannot. Loaded lazily (cached per store generation) on the first digest.
            from scholarbot.search import PaperIndex

            self.ranker.background = PaperIndex.open(
                self.svc.store, self.svc.embedder, self.svc.index_dir
            ).matrix
        key = tuple(p.id for p in papers)
        if self._prepared is None or self._prepared[0] != key:
            self._prepared = (key, self.ranker.prepare(papers))
        return self.ranker.rank(self._prepared[1], sub)

    def absorb(self, papers: list[Paper]) -> None:
        """New papers join the store (merged across versions and sources) before they are ranked."""
        if papers:
            ingest_records(papers, [], self.svc.store, self.svc.embedder)

    async def run(
        self, now: datetime, poster: Poster, *, channel_id: int | None = None, dry_run: bool = False
    ) -> list[RunResult]:
        """Post (or, dry, just build) every digest due at `now`."""
        return await run_due(
            now,
            state=self.state,
            sources=self.sources,
            rank=self.rank,
            absorb=self.absorb,
            poster=poster,
            channel_id=channel_id,
            dry_run=dry_run,
        )
