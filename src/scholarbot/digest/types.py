"""Value types shared by the digest modules: subscriptions, ranked papers, digests, and the seams."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from scholarbot.errors import ScholarbotError
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
    #: Why digests are not being posted (a deleted or forbidden channel, repeated failures); None when active.
    paused: str | None = None


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

        Raises scholarbot.digest.sources.common.SourceError after retries are exhausted.
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


class PostFailed(ScholarbotError):
    """A digest could not be posted.

    Args:
        why: What went wrong, for logs and for the subscription's managers.
        delivered: False when Discord certainly created no message (a 4xx), None when it may have
            (a timeout, a 5xx, a failure after the first of several messages).
        permanent: The channel is gone or the bot may not post there: retrying cannot help.
    """

    def __init__(self, why: str, *, delivered: bool | None, permanent: bool = False) -> None:
        super().__init__(why)
        self.delivered = delivered
        self.permanent = permanent


class ChannelUnreadable(ScholarbotError):
    """A channel's history cannot be searched (no access, or no Read Message History)."""


@dataclass
class PostedParts:
    """Which messages of a digest split into several are in the channel, recorded as each goes out.

    A process that dies (or a post that fails) between two parts leaves the later ones unsent; the
    next run sends only those, never a part again.
    """

    #: Part index (0-based, as in the nonce) -> its message id.
    posted: dict[int, int] = field(default_factory=dict)
    #: Persists one posted part (the digest state's `record_part`), before the next part is sent.
    record: Callable[[int, int], Awaitable[object]] | None = None

    async def add(self, part: int, message_id: int) -> None:
        """Note that `part` is in the channel as `message_id`."""
        if self.posted.get(part) == message_id:
            return
        self.posted[part] = message_id
        if self.record is not None:
            await self.record(part, message_id)


class Poster(Protocol):
    """Where digests go: the Discord bot, the REST API from cron, or stdout for --dry-run."""

    async def post(
        self, digest: Digest, *, resume_after: datetime | None = None, parts: PostedParts | None = None
    ) -> int | None:
        """Send the digest; return the (first) message id, None for dry runs; raise PostFailed.

        `parts` says which parts are already in the channel (they are skipped) and records each part
        sent, as it is sent. With `resume_after`, the digest was started before (its intent is
        older): parts found in the channel since then are skipped too (and recorded), covering a part
        that went out just before a crash could record it. Raises ChannelUnreadable when the channel
        cannot be searched.
        """
        ...

    async def find(self, channel_id: int, marker: str, *, after: datetime) -> int | None:
        """The id of a message posted after `after` carrying `marker`, or None.

        Raises ChannelUnreadable when the channel cannot be searched: "not found" must mean "not posted".
        """
        ...

    async def notify(self, sub: Subscription, text: str) -> bool:
        """Tell the people who manage a subscription something; return whether it reached them."""
        ...
