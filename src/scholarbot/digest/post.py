"""Where digests go: a Discord channel (from the bot or from cron over REST) or stdout for dry runs."""

from __future__ import annotations

from typing import Any

import discord

from scholarbot.answers.types import Source
from scholarbot.digest.types import Digest

#: Recent messages searched when reconciling a digest that may have gone out before a crash.
HISTORY_LIMIT = 50


def digest_embeds(digest: Digest) -> list[discord.Embed]:
    """One embed per digest (top_n is at most 10): a line per paper with its one-line reason."""
    from scholarbot.bot.render import EMBED_DESCRIPTION_LIMIT, _source_line, escape, split_text

    lines = []
    for n, item in enumerate(digest.items, 1):
        p = item.paper
        source = Source(
            n, p.id, p.title, [a.name for a in p.authors], p.year, p.venue, p.url or p.pdf_url,
            p.authors_complete, p.authors_omitted,
        )  # fmt: skip
        lines.append(f"{_source_line(source)}\n↳ {escape(item.reason)}")
    if digest.problems:
        lines.append("⚠ " + escape("; ".join(digest.problems)))
    body = "\n".join(lines) or "Nothing new above this channel's threshold."
    embeds = []
    for i, chunk in enumerate(split_text(body, EMBED_DESCRIPTION_LIMIT - 100)):
        title = f"New papers — {digest.due_at:%Y-%m-%d}" if i == 0 else None
        embeds.append(discord.Embed(title=title, description=chunk, colour=discord.Colour.teal()))
    # The marker lets a restarted bot see in the channel that this digest already went out.
    embeds[-1].set_footer(text=digest.marker)
    return embeds


class ChannelPoster:
    """Posts through any logged-in discord.py client: the running bot, or a REST-only login from cron."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _channel(self, channel_id: int) -> Any:
        return self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)

    async def post(self, digest: Digest) -> int | None:
        channel = await self._channel(digest.channel_id)
        message = await channel.send(
            embeds=digest_embeds(digest)[:10], allowed_mentions=discord.AllowedMentions.none()
        )
        return int(message.id)

    async def find(self, channel_id: int, marker: str) -> int | None:
        channel = await self._channel(channel_id)
        async for message in channel.history(limit=HISTORY_LIMIT):
            if message.author.id != getattr(self.client.user, "id", None):
                continue
            if marker in (message.content or "") or any(
                e.footer and e.footer.text and marker in e.footer.text for e in message.embeds
            ):
                return int(message.id)
        return None


class PrintPoster:
    """`scholarbot digest run --dry-run`: show what would be posted."""

    def __init__(self, write: Any = print) -> None:
        self.write = write

    async def post(self, digest: Digest) -> int | None:
        self.write(
            f"# channel {digest.channel_id} · {digest.marker} · due {digest.due_at:%Y-%m-%d %H:%M} UTC"
        )
        for n, item in enumerate(digest.items, 1):
            self.write(f"[{n}] {item.paper.title} ({item.score:.2f}) — {item.reason}")
        for problem in digest.problems:
            self.write(f"! {problem}")
        return None

    async def find(self, channel_id: int, marker: str) -> int | None:
        return None
