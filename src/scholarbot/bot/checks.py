"""What `scholarbot doctor` checks on Discord: the token, the intent the config asks for, and the bot's
permissions in the channels it answers in and posts digests to. The permission lists here are the
ones the README gives; a test keeps the two the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import aiohttp
import discord

from scholarbot.bot.digest_post import ChannelPoster

#: Permission (discord.Permissions attribute) -> its name in Discord's settings, and why the bot needs it.
PERMISSIONS: dict[str, tuple[str, str]] = {
    "view_channel": ("View Channels", "see the channel at all"),
    "send_messages": ("Send Messages", "answer, and post digests"),
    "send_messages_in_threads": ("Send Messages in Threads", "answer in the thread a question opens"),
    "create_public_threads": ("Create Public Threads", "open a thread for each mentioned question"),
    "embed_links": ("Embed Links", "answers and digests are embeds"),
    "attach_files": ("Attach Files", "the coauthor network picture of /profile"),
    "read_message_history": (
        "Read Message History",
        "find a digest after a crash (without it Discord returns nothing, so a digest that cannot be "
        "checked is held and its subscription paused)",
    ),
}
#: What each feature needs in a channel.
ANSWERS = tuple(PERMISSIONS)
DIGESTS = ("view_channel", "send_messages", "embed_links", "read_message_history")


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str
    fix: str = ""


def _missing(perms: discord.Permissions, needed: Iterable[str]) -> list[str]:
    return [PERMISSIONS[p][0] for p in needed if not getattr(perms, p)]


async def check_discord(
    token: str, *, message_content: bool, answer_channels: Iterable[int], digest_channels: Iterable[int]
) -> list[Finding]:
    """Log in over REST (no gateway) and check the token, the intent and the permissions."""
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)
    except discord.LoginFailure:
        return [Finding("discord token", "fail", "Discord rejected DISCORD_TOKEN", "reset the token in the "
                        "developer portal (Bot > Reset Token) and export it again")]  # fmt: skip
    except (discord.HTTPException, aiohttp.ClientError, OSError) as e:
        await client.close()
        return [Finding("discord", "warn", f"could not reach Discord: {e}", "check the network, then retry")]
    try:
        findings = [Finding("discord token", "ok", f"logs in as {client.user}")]
        findings.append(await _intent(client, message_content))
        poster = ChannelPoster(client)
        for kind, channels, needed in (
            ("answers", answer_channels, ANSWERS),
            ("digests", digest_channels, DIGESTS),
        ):
            for channel_id in dict.fromkeys(channels):
                findings.append(await _channel(poster, kind, channel_id, needed))
        return findings
    finally:
        await client.close()


async def _intent(client: discord.Client, wanted: bool) -> Finding:
    app = await client.application_info()
    granted = app.flags.gateway_message_content or app.flags.gateway_message_content_limited
    portal = "the developer portal (Bot > Privileged Gateway Intents > Message Content Intent)"
    if wanted and not granted:
        return Finding(
            "message content intent",
            "fail",
            "discord.message_content is true but the intent is off for this bot: the bot would not connect",
            f"switch it on in {portal}, or set discord.message_content = false",
        )
    if wanted:
        return Finding("message content intent", "ok", "on: plain follow-ups in the bot's threads are read")
    return Finding(
        "message content intent",
        "ok",
        "off: follow-ups in the bot's threads must mention it",
        f"to read plain follow-ups, switch it on in {portal} and set discord.message_content = true",
    )


async def _channel(poster: ChannelPoster, kind: str, channel_id: int, needed: Iterable[str]) -> Finding:
    name = f"{kind} channel {channel_id}"
    try:
        _channel_obj, perms = await poster.permissions(channel_id)
    except discord.NotFound:
        return Finding(
            name, "fail", "the channel no longer exists", "unsubscribe its digests or fix the config"
        )
    except discord.Forbidden:
        return Finding(name, "fail", "the bot cannot see the channel", "grant the bot View Channels there")
    missing = _missing(perms, needed)
    if missing:
        return Finding(
            name, "fail", f"missing {', '.join(missing)}", "grant them to the bot's role in that channel"
        )
    return Finding(name, "ok", "has every permission it needs")
