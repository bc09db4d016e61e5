"""Where digests go without Discord: stdout, for `scholarbot digest run --dry-run` and `/digest preview`.

The Discord poster lives with the bot (bot/digest_post.py): only bot/ imports discord.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scholarbot.digest.types import Digest, PostedParts, Subscription


class PrintPoster:
    """Show what would be posted, one line per paper."""

    def __init__(self, write: Callable[[str], object] = print) -> None:
        self.write = write

    async def post(
        self, digest: Digest, *, resume_after: datetime | None = None, parts: PostedParts | None = None
    ) -> int | None:
        self.write(
            f"# channel {digest.channel_id} · {digest.marker} · due {digest.due_at:%Y-%m-%d %H:%M} UTC"
        )
        for n, item in enumerate(digest.items, 1):
            self.write(f"[{n}] {item.paper.title} ({item.score:.2f}) — {item.reason}")
        for problem in digest.problems:
            self.write(f"! {problem}")
        return None

    async def find(self, channel_id: int, marker: str, *, after: datetime) -> int | None:
        return None

    async def notify(self, sub: Subscription, text: str) -> bool:
        self.write(f"! subscription {sub.id}: {text}")
        return True
