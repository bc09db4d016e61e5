"""Digests on Discord: render one into messages that fit Discord's limits, post it once, find it again.

`ChannelPoster` works from any logged-in discord.py client: the running bot (channels cached from
the gateway) or the REST-only login of `scholarbot digest run` (channels, roles and the bot's
member fetched), so both check the same permissions before they post or search.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

import discord

from scholarbot.answers.types import Source
from scholarbot.bot.actions import digest_menu
from scholarbot.bot.render import EMBED_DESCRIPTION_LIMIT, _groups, _plain, _source_line, escape
from scholarbot.digest.types import ChannelUnreadable, Digest, PostedParts, PostFailed, Subscription

log = logging.getLogger("scholarbot.digest")
T = TypeVar("T")

#: Room left in each description for nothing in particular: a message holds one embed of at most
#: 256 (title) + 4,000 + ~60 (footer) characters, far under Discord's 6,000 per message.
DESCRIPTION_BUDGET = EMBED_DESCRIPTION_LIMIT - 96
#: A post is made within seconds of its claim (discord.py's own retries take minutes at most), so a
#: search for it stops at messages this much younger than the claim.
SEARCH_SPAN = timedelta(hours=1)


async def post_over_rest(token: str, post: Callable[[ChannelPoster], Awaitable[T]]) -> T:
    """Log in over REST only (posting needs no gateway connection), `post` through it, log out."""
    client = discord.Client(intents=discord.Intents.none())
    await client.login(token)
    try:
        return await post(ChannelPoster(client))
    finally:
        await client.close()


def digest_messages(digest: Digest) -> list[list[discord.Embed]]:
    """The digest as messages of one embed each: items are never cut, every message fits the limits.

    Ten items with 250-character titles, three authors and a reason come to about 7,000 characters:
    more than one message may carry (6,000 summed over its embeds), so they go out as two.
    """
    return [embeds for embeds, _ in digest_parts(digest)]


def digest_parts(digest: Digest) -> list[tuple[list[discord.Embed], list[int]]]:
    """Each message of the digest with the indices of the items it lists (for its paper menu)."""
    blocks = []
    for n, item in enumerate(digest.items, 1):
        blocks.append(f"{_source_line(Source.of(n, item.paper))}\n↳ {escape(item.reason)[:600]}")
    if digest.problems:
        blocks.append("⚠ " + escape("; ".join(digest.problems))[:1500])
    if not blocks:
        blocks.append("Nothing new above this channel's threshold.")
    groups = _groups([len(b) + 1 for b in blocks], DESCRIPTION_BUDGET, len(blocks))
    title = f"New papers — {digest.due_at:%Y-%m-%d}"
    out = []
    for i, group in enumerate(groups, 1):
        embed = discord.Embed(
            title=title if len(groups) == 1 else f"{title} ({i}/{len(groups)})",
            description="\n".join(blocks[j] for j in group)[:EMBED_DESCRIPTION_LIMIT],
            colour=discord.Colour.teal(),
        )
        # The marker lets a later run find this digest in the channel (every part carries it).
        embed.set_footer(text=_plain(part_marker(digest, i, len(groups))))
        out.append(([embed], [j for j in group if j < len(digest.items)]))
    return out


def part_marker(digest: Digest, part: int, parts: int) -> str:
    """The footer of part `part` (1-based) of `parts`: the digest's marker, numbered when split."""
    return digest.marker if parts == 1 else f"{digest.marker} · {part}/{parts}"


def nonce(digest: Digest, part: int) -> str:
    """The message nonce of one part: the same for every runner and retry (Discord allows 25 characters)."""
    return f"{digest.id}-{part}"


class ChannelPoster:
    """Posts through any logged-in discord.py client, checking permissions first."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def permissions(
        self, channel_id: int
    ) -> tuple[discord.abc.GuildChannel | discord.Thread, discord.Permissions]:
        """The channel and the bot's permissions in it (raises discord.NotFound / Forbidden)."""
        cached = self.client.get_channel(channel_id)
        if isinstance(cached, (discord.abc.GuildChannel, discord.Thread)) and cached.guild.me is not None:
            return cached, cached.permissions_for(cached.guild.me)
        # REST only (cron): nothing is cached. The guild brings its roles, the member the bot's roles,
        # and a channel fetched through that guild computes permissions from both.
        assert self.client.user is not None
        found = await self.client.fetch_channel(channel_id)
        if not isinstance(found, (discord.abc.GuildChannel, discord.Thread)):
            raise PostFailed(f"channel {channel_id} is not a server channel", delivered=False, permanent=True)
        guild = await self.client.fetch_guild(found.guild.id)
        me = await guild.fetch_member(self.client.user.id)
        channel = await guild.fetch_channel(channel_id)
        if isinstance(channel, discord.Thread):
            parent = await guild.fetch_channel(channel.parent_id)
            assert isinstance(parent, discord.abc.GuildChannel)
            perms = parent.permissions_for(me)
            # In a thread, Send Messages in Threads is what counts.
            perms.send_messages = perms.send_messages_in_threads
            return channel, perms
        assert isinstance(channel, discord.abc.GuildChannel)
        return channel, channel.permissions_for(me)

    async def post(
        self, digest: Digest, *, resume_after: datetime | None = None, parts: PostedParts | None = None
    ) -> int | None:
        """Post every part with a stable nonce, so a repeated request cannot create a second message.

        Parts in `parts.posted` are skipped and each part sent is recorded there as it goes out. With
        `resume_after` (finishing a digest a crash interrupted), the parts already in the channel are
        also found by their footers, so one sent just before the crash could record it is not repeated.
        """
        parts = parts if parts is not None else PostedParts()
        try:
            channel, perms = await self.permissions(digest.channel_id)
        except discord.NotFound as e:
            raise PostFailed("the channel no longer exists", delivered=False, permanent=True) from e
        except discord.Forbidden as e:
            raise PostFailed("the bot cannot see the channel", delivered=False, permanent=True) from e
        thread = isinstance(channel, discord.Thread)
        missing = [
            label
            for label, ok in (
                ("Send Messages in Threads" if thread else "Send Messages", perms.send_messages),
                ("Embed Links", perms.embed_links),
            )
            if not ok
        ]
        if missing or not perms.view_channel:
            need = ", ".join(missing or ["View Channel"])
            raise PostFailed(f"the bot lacks {need} in the channel", delivered=False, permanent=True)
        assert isinstance(channel, discord.abc.Messageable)
        messages = digest_parts(digest)
        if resume_after is not None and len(parts.posted) < len(messages):
            if not perms.read_message_history:
                raise ChannelUnreadable(f"the bot lacks Read Message History in channel {digest.channel_id}")
            found = await self._footers(channel, digest.marker, after=resume_after)
            for i in range(len(messages)):
                if i not in parts.posted and (done := found.get(part_marker(digest, i + 1, len(messages)))):
                    await parts.add(i, done)
        first: int | None = None
        for i, (embeds, items) in enumerate(messages):
            if (done := parts.posted.get(i)) is not None:
                first = first if first is not None else done
                continue
            menu = digest_menu(digest, items)
            try:
                # discord.py sends enforce_nonce with every nonce: within Discord's window, the same
                # nonce returns the message already made (a second runner, a retried request).
                message = await channel.send(
                    embeds=embeds,
                    view=menu or discord.utils.MISSING,
                    nonce=nonce(digest, i),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.NotFound as e:
                raise PostFailed(
                    "the channel no longer exists", delivered=None if i > 0 else False, permanent=True
                ) from e
            except discord.Forbidden as e:
                raise PostFailed(
                    f"Discord refused the post: {e.text}", delivered=None if i > 0 else False, permanent=True
                ) from e
            except discord.HTTPException as e:
                # 4xx: Discord made no message; 5xx: it may have. After part 1, something went out.
                made = None if (e.status >= 500 or i > 0) else False
                raise PostFailed(f"Discord answered {e.status}: {e.text}", delivered=made) from e
            except (OSError, TimeoutError) as e:
                raise PostFailed(f"no answer from Discord ({type(e).__name__})", delivered=None) from e
            await parts.add(i, int(message.id))
            first = first if first is not None else int(message.id)
        return first

    async def _footers(
        self, channel: discord.abc.Messageable, marker: str, *, after: datetime
    ) -> dict[str, int]:
        """The footers starting with `marker` on the bot's messages since `after`, with their ids."""
        me = getattr(self.client.user, "id", None)
        found: dict[str, int] = {}
        async for message in channel.history(limit=None, after=after, oldest_first=True):
            if message.created_at > after + SEARCH_SPAN:
                break
            if message.author.id != me:
                continue
            for e in message.embeds:
                text = e.footer.text if e.footer else None
                if text and text.startswith(marker):
                    found.setdefault(text, int(message.id))
        return found

    async def find(self, channel_id: int, marker: str, *, after: datetime) -> int | None:
        """Search the channel from `after` for the bot's message carrying `marker`."""
        try:
            channel, perms = await self.permissions(channel_id)
        except discord.NotFound:
            return None  # a deleted channel holds no digest; posting there again fails and pauses it
        except discord.Forbidden as e:
            raise ChannelUnreadable(f"the bot cannot see channel {channel_id}") from e
        if not (perms.view_channel and perms.read_message_history):
            # Without Read Message History Discord answers every search with an empty list.
            raise ChannelUnreadable(f"the bot lacks Read Message History in channel {channel_id}")
        me = getattr(self.client.user, "id", None)
        assert isinstance(channel, discord.abc.Messageable)
        async for message in channel.history(limit=None, after=after, oldest_first=True):
            if message.created_at > after + SEARCH_SPAN:
                break
            if message.author.id != me:
                continue
            if marker in (message.content or "") or any(
                e.footer and e.footer.text and marker in e.footer.text for e in message.embeds
            ):
                return int(message.id)
        return None

    async def notify(self, sub: Subscription, text: str) -> bool:
        """Tell the person who made the subscription, by direct message."""
        if sub.created_by is None:
            return False
        try:
            user = self.client.get_user(sub.created_by) or await self.client.fetch_user(sub.created_by)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not DM user %s about subscription %s", sub.created_by, sub.id, exc_info=True)
            return False
        return True
