"""Value types shared by the digest modules: subscriptions, ranked papers, digests, and the seams."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from scholarbot.records import Paper

Cadence = Literal["daily", "weekly"]


@dataclass(frozen=True)
class Subscription:
    """What one channel follows and when it wants to hear about it."""

    id: int
    guild_id: int | None
    channel_id: int
    topics: tuple[str, ...] = ()
    #: Researcher ids from the store (resolved, with namesakes disambiguated, when subscribing).
    researcher_ids: tuple[str, ...] = ()
    #: Display names of those researchers, for explanations.
    researcher_names: tuple[str, ...] = ()
    cadence: Cadence = "daily"
    #: 0 = Monday ... 6 = Sunday; used by weekly digests.
    weekday: int = 0
    hour: int = 9
    timezone: str = "UTC"
    top_n: int = 5
    #: Papers scoring below this are never sent (0..1 scale from rank.py).
    threshold: float = 0.35
    post_empty: bool = False
    created_by: int | None = None


@dataclass(frozen=True)
class Fetched:
    """What a source returned for one window: papers, plus problems it hit but survived."""

    source: str
    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class PaperSource(Protocol):
    """Somewhere new papers come from (arXiv, OpenAlex, papers ingested locally)."""

    name: str

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        """Papers first published/announced in [since, until) matching any topic or author name.

        Raises scholarbot.digest.sources.SourceError after retries are exhausted.
        """
        ...


@dataclass(frozen=True)
class Ranked:
    """A paper chosen for a digest, with its score and the one-line reason."""

    paper: Paper
    score: float
    reason: str


@dataclass(frozen=True)
class Digest:
    """One digest for one channel, identified so a restart can tell whether it went out."""

    id: str
    subscription_id: int
    channel_id: int
    due_at: datetime
    items: tuple[Ranked, ...]
    problems: tuple[str, ...] = ()

    @property
    def marker(self) -> str:
        """Text carried by the posted message, so reconciliation can find it in the channel."""
        return f"digest:{self.id}"


class Poster(Protocol):
    """Where digests go: the Discord bot, the REST API from cron, or stdout for --dry-run."""

    async def post(self, digest: Digest) -> int | None:
        """Send the digest; return the message id (None for dry runs)."""
        ...

    async def find(self, channel_id: int, marker: str) -> int | None:
        """The id of a recent message in the channel carrying `marker`, or None."""
        ...
