"""/digest: channels follow topics and researchers; due digests are posted on schedule, once."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import discord
from discord import app_commands
from discord.ext import commands, tasks

from scholarbot.bot.client import answer_cooldown
from scholarbot.bot.digest_post import ChannelPoster
from scholarbot.bot.render import CONTENT_LIMIT
from scholarbot.digest.post import PrintPoster
from scholarbot.digest.types import Subscription

if TYPE_CHECKING:
    from scholarbot.bot.client import ScholarBot
    from scholarbot.digest.service import Digests

log = logging.getLogger("scholarbot.digest")
T = TypeVar("T")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: `/digest edit researcher:none` stops following a researcher.
NO_RESEARCHER = "none"


def managers_only() -> Callable[[T], T]:
    """Refuse, privately and before anything changes, members without Manage Channels.

    Discord hides /digest from them by default, but a server can show it to anyone (Integrations).
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        if not _can_manage(interaction):
            raise app_commands.CheckFailure("You need Manage Channels to change digests.")
        return True

    return app_commands.check(predicate)


@app_commands.guild_only()
@app_commands.default_permissions(manage_channels=True)
class Digest(commands.GroupCog, group_name="digest"):
    """Scheduled digests of new papers for this channel."""

    def __init__(self, bot: ScholarBot, digests: Digests) -> None:
        self.bot: ScholarBot = bot
        self.digests = digests
        super().__init__()

    async def cog_load(self) -> None:
        self.loop.change_interval(minutes=self.bot.settings.digest.check_minutes)
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    @tasks.loop(minutes=5)
    async def loop(self) -> None:
        # A missed schedule (the bot was down) is caught up here: due digests coalesce into one.
        try:
            results = await self.digests.run(datetime.now(UTC), ChannelPoster(self.bot))
        except Exception:
            log.exception("digest run failed; the subscriptions keep their place and retry next time")
            return
        for r in results:
            if r.problems:
                log.warning("digest %s for subscription %s: %s", r.due_at, r.subscription_id, r.problems)

    @loop.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(name="subscribe")
    @managers_only()
    @app_commands.describe(
        topics="Topics, comma-separated (e.g. federated LLMs, speaker diarization)",
        researcher="A researcher to follow (pick from the suggestions to choose among namesakes)",
        cadence="How often",
        hour="Hour of the day to post (0-23) in your time zone",
        timezone="IANA time zone, e.g. Europe/Berlin",
        weekday="Day for weekly digests",
        top_n="Papers per digest at most",
        threshold="Minimum relevance 0-1 (higher: fewer, closer papers)",
        post_empty="Post a short note even when nothing new clears the threshold",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        topics: app_commands.Range[str, 0, 300] = "",
        researcher: app_commands.Range[str, 1, 100] | None = None,
        cadence: Literal["daily", "weekly"] = "daily",
        hour: app_commands.Range[int, 0, 23] = 9,
        timezone: str = "UTC",
        weekday: Literal[
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
        ] = "monday",
        top_n: app_commands.Range[int, 1, 10] = 5,
        threshold: app_commands.Range[float, 0.0, 1.0] = 0.35,
        post_empty: bool = False,
    ) -> None:
        """Follow topics and/or a researcher in this channel."""
        if not _known_zone(timezone):
            await interaction.response.send_message(f"Unknown time zone {timezone!r}.", ephemeral=True)
            return
        wanted = _topics(topics)
        ids: tuple[str, ...] = ()
        names: tuple[str, ...] = ()
        followed: dict[str, tuple[str, ...]] = {}
        if researcher:
            resolved = await self.bot.lookup(self._resolve, researcher)
            if isinstance(resolved, str):
                await interaction.response.send_message(resolved, ephemeral=True)
                return
            ids, names = (resolved[0],), (resolved[1],)
            followed = {resolved[0]: resolved[2]}
        if not wanted and not ids:
            await interaction.response.send_message("Give topics, a researcher, or both.", ephemeral=True)
            return
        new = Subscription(
            id=0,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            topics=wanted,
            researcher_ids=ids,
            researcher_names=names,
            cadence=cadence,
            weekday=WEEKDAYS.index(weekday),
            hour=hour,
            timezone=timezone,
            top_n=top_n,
            threshold=threshold,
            post_empty=post_empty,
            created_by=interaction.user.id,
        )
        sub = await self.bot.lookup(lambda: self.digests.state.add_subscription(new, followed=followed))
        await interaction.response.send_message(f"Subscribed: {describe(sub)}", ephemeral=True)

    @subscribe.autocomplete("researcher")
    async def researcher_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._researchers(current)

    async def _researchers(self, current: str) -> list[app_commands.Choice[str]]:
        """Researchers matching what was typed, namesakes told apart by paper count and id."""

        def choices() -> list[app_commands.Choice[str]]:
            people = self.bot.answerer.names.lookup(current).people if current else ()
            out = []
            for e in people[:25]:
                label = f"{e.name} · {len(e.paper_ids)} paper(s) · id {e.id[-6:]}"
                out.append(app_commands.Choice(name=label[:100], value=f"id:{e.id}"))
            return out or [
                app_commands.Choice(name=n[:100], value=n[:100])
                for n in self.bot.answerer.suggest_names(current)
            ]

        return await self.bot.lookup(choices)

    def _resolve(self, value: str) -> tuple[str, str, tuple[str, ...]] | str:
        """A researcher's id, name and papers, or a message explaining why the name needs a choice."""
        people = self.bot.answerer.people
        if value.startswith("id:") and value[3:] in people.entries:
            entry = people.entries[value[3:]]
            return entry.id, entry.name, tuple(entry.paper_ids)
        match = self.bot.answerer.names.lookup(value)
        if not match.people:
            return f"{value} is not in the records." + (
                f" Closest: {', '.join(match.suggestions)}." if match.suggestions else ""
            )
        if len(match.people) > 1:
            return (
                f"{len(match.people)} researchers are named {match.people[0].name}; "
                "pick one from the suggestions of the `researcher` option."
            )
        only = match.people[0]
        return only.id, only.name, tuple(only.paper_ids)

    async def _of_this_channel(
        self, interaction: discord.Interaction, subscription: int
    ) -> Subscription | None:
        """The channel's subscription of that number, or None after telling the user there is none."""
        found = await self.bot.lookup(self.digests.state.get_subscription, subscription)
        if found is None or found.channel_id != (interaction.channel_id or 0):
            await interaction.response.send_message(
                f"No digest #{subscription} in this channel.", ephemeral=True
            )
            return None
        return found

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """This channel's digest subscriptions."""
        subs = await self.bot.lookup(
            lambda: self.digests.state.list_subscriptions(channel_id=interaction.channel_id)
        )
        lines = [f"**#{s.id}** {describe(s)}" for s in subs] or ["No digests in this channel."]
        await interaction.response.send_message(_fit(lines), ephemeral=True)

    @app_commands.command(name="unsubscribe")
    @managers_only()
    @app_commands.describe(subscription="The number shown by /digest list")
    async def unsubscribe(self, interaction: discord.Interaction, subscription: int) -> None:
        """Stop a digest in this channel."""
        channel_id = interaction.channel_id or 0
        removed = await self.bot.lookup(self.digests.state.remove_subscription, subscription, channel_id)
        message = (
            f"Digest #{subscription} stopped." if removed else f"No digest #{subscription} in this channel."
        )
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="resume")
    @managers_only()
    @app_commands.describe(subscription="The number shown by /digest list")
    async def resume(self, interaction: discord.Interaction, subscription: int) -> None:
        """Post a paused digest again (after fixing what paused it)."""
        channel_id = interaction.channel_id or 0
        resumed = await self.bot.lookup(self.digests.state.resume, subscription, channel_id)
        message = (
            f"Digest #{subscription} will post again at its next check."
            if resumed
            else f"No digest #{subscription} in this channel."
        )
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="edit")
    @managers_only()
    @app_commands.describe(
        subscription="The digest to change (suggestions list this channel's)",
        topics="New topics, comma-separated (replaces the old ones; empty: follow only the researcher)",
        researcher="The researcher to follow instead (pick from the suggestions); none: topics only",
        cadence="How often",
        hour="Hour of the day to post (0-23) in its time zone",
        timezone="IANA time zone, e.g. Europe/Berlin",
        weekday="Day for weekly digests",
        top_n="Papers per digest at most",
        threshold="Minimum relevance 0-1 (higher: fewer, closer papers)",
        post_empty="Post a short note even when nothing new clears the threshold",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        subscription: int,
        topics: app_commands.Range[str, 0, 300] | None = None,
        researcher: app_commands.Range[str, 1, 100] | None = None,
        cadence: Literal["daily", "weekly"] | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        timezone: str | None = None,
        weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        | None = None,
        top_n: app_commands.Range[int, 1, 10] | None = None,
        threshold: app_commands.Range[float, 0.0, 1.0] | None = None,
        post_empty: bool | None = None,
    ) -> None:
        """Change a digest of this channel; what it already sent and its place in the schedule stay."""
        if timezone is not None and not _known_zone(timezone):
            await interaction.response.send_message(f"Unknown time zone {timezone!r}.", ephemeral=True)
            return
        changes: dict[str, object] = {
            name: value
            for name, value in (
                ("cadence", cadence), ("hour", hour), ("timezone", timezone), ("top_n", top_n),
                ("threshold", threshold), ("post_empty", post_empty),
            )
            if value is not None
        }  # fmt: skip
        if weekday is not None:
            changes["weekday"] = WEEKDAYS.index(weekday)
        if topics is not None:
            changes["topics"] = _topics(topics)
        followed: dict[str, tuple[str, ...]] | None = None
        if researcher is not None:
            followed = {}
            changes["researcher_ids"], changes["researcher_names"] = (), ()
            if researcher.strip().casefold() != NO_RESEARCHER:
                resolved = await self.bot.lookup(self._resolve, researcher)
                if isinstance(resolved, str):
                    await interaction.response.send_message(resolved, ephemeral=True)
                    return
                changes["researcher_ids"], changes["researcher_names"] = (resolved[0],), (resolved[1],)
                followed = {resolved[0]: resolved[2]}
        if not changes:
            await interaction.response.send_message(
                "Nothing to change: give at least one option.", ephemeral=True
            )
            return
        channel_id = interaction.channel_id or 0
        current = await self._of_this_channel(interaction, subscription)
        if current is None:
            return
        if not changes.get("topics", current.topics) and not changes.get(
            "researcher_ids", current.researcher_ids
        ):
            await interaction.response.send_message(
                "A digest needs topics or a researcher; to stop it, use `/digest unsubscribe`.",
                ephemeral=True,
            )
            return
        updated = await self.bot.lookup(
            lambda: self.digests.state.update_subscription(
                subscription, channel_id, followed=followed, **changes
            )
        )
        message = (
            f"Digest #{subscription} now: {describe(updated)}" if updated else f"No digest #{subscription}."
        )
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="pause")
    @managers_only()
    @app_commands.describe(subscription="The digest to pause (suggestions list this channel's)")
    async def pause(self, interaction: discord.Interaction, subscription: int) -> None:
        """Stop posting a digest until `/digest resume`; it keeps its settings and history."""
        if await self._of_this_channel(interaction, subscription) is None:
            return
        reason = f"paused by {interaction.user.display_name} with /digest pause"
        await self.bot.lookup(self.digests.state.pause, subscription, reason)
        await interaction.response.send_message(
            f"Digest #{subscription} is paused; `/digest resume subscription:{subscription}` restarts it.",
            ephemeral=True,
        )

    @edit.autocomplete("subscription")
    @pause.autocomplete("subscription")
    @resume.autocomplete("subscription")
    @unsubscribe.autocomplete("subscription")
    async def subscription_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        subs = await self.bot.lookup(self.digests.state.list_subscriptions, interaction.channel_id or -1)
        typed = current.strip().lstrip("#").casefold()
        out = []
        for sub in subs:
            label = choice_label(sub)
            # A number is the start of an id ("1" finds #1 and #12, not every digest posting at 10:00).
            matches = str(sub.id).startswith(typed) if typed.isdigit() else typed in label.casefold()
            if matches:
                out.append(app_commands.Choice(name=_clip_choice(label), value=sub.id))
        return out[:25]

    @edit.autocomplete("researcher")
    async def edit_researcher_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        people = await self._researchers(current)
        if NO_RESEARCHER.startswith(current.strip().casefold()):
            people = [app_commands.Choice(name="none (follow the topics only)", value=NO_RESEARCHER), *people]
        return people[:25]

    @subscribe.autocomplete("timezone")
    @edit.autocomplete("timezone")
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        zones = await self.bot.lookup(matching_zones, current)  # the first call reads the zone files
        return [app_commands.Choice(name=z, value=z) for z in zones]

    @app_commands.command(name="preview")
    @answer_cooldown()
    async def preview(self, interaction: discord.Interaction) -> None:
        """This channel's next digests, built now (only you see them; nothing is recorded)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines: list[str] = []
        poster = PrintPoster(lines.append)
        results = await self.digests.preview(datetime.now(UTC), interaction.channel_id or 0, poster)
        for r in results:
            if r.digest is not None:
                await poster.post(r.digest)
            else:
                lines.append(f"# digest #{r.subscription_id}: {r.skipped_reason}")
                lines.extend(f"! {p}" for p in r.problems)
        text = discord.utils.escape_mentions("\n".join(lines)) or "No digests in this channel."
        await interaction.followup.send(_fit(text.split("\n")), ephemeral=True)


def _topics(text: str) -> tuple[str, ...]:
    """The topics of a comma-separated option."""
    return tuple(t.strip() for t in text.split(",") if t.strip())


def choice_label(sub: Subscription) -> str:
    """An autocomplete label for a subscription: "#3 · “speech”, Ada Lovelace · mondays at 09:00 UTC"."""
    paused = " · paused" if sub.paused else ""
    return f"#{sub.id} · {_what(sub)} · {_when(sub)}{paused}"


def _what(sub: Subscription) -> str:
    return ", ".join([*(f"“{t}”" for t in sub.topics), *sub.researcher_names]) or "nothing"


def _when(sub: Subscription) -> str:
    day = "daily" if sub.cadence == "daily" else f"{WEEKDAYS[sub.weekday]}s"
    return f"{day} at {sub.hour:02d}:00 {sub.timezone}"


def describe(sub: Subscription) -> str:
    """One line a channel can read: what, when, how many."""
    paused = f" — **paused**: {sub.paused}" if sub.paused else ""
    return f"{_what(sub)} — {_when(sub)}, top {sub.top_n}, threshold {sub.threshold:.2f}{paused}"


def _fit(lines: list[str], limit: int = CONTENT_LIMIT) -> str:
    """Join whole lines up to Discord's message limit and say how many did not fit."""
    out: list[str] = []
    for n, line in enumerate(lines):
        rest = f"… and {len(lines) - n} more"
        if len("\n".join([*out, line])) > limit - len(rest) - 1:
            return "\n".join([*out, rest])
        out.append(line)
    return "\n".join(out)


def matching_zones(typed: str, most: int = 25) -> list[str]:
    """IANA zones for autocomplete: those starting with what was typed first, then those containing it."""
    text = typed.strip().casefold().replace(" ", "_")
    zones = _zones()
    starts = [z for z in zones if z.casefold().startswith(text)]
    inside = [z for z in zones if text in z.casefold() and z not in starts]
    return (starts + inside)[:most]


@functools.cache
def _zones() -> tuple[str, ...]:
    # Sorted once; the "Etc/GMT+5"-style and legacy aliases sort after the city names people type.
    zones = available_timezones()
    return tuple(sorted(zones, key=lambda z: (z.startswith(("Etc/", "SystemV/")) or "/" not in z, z)))


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clip_choice(label: str) -> str:
    # Autocomplete choice names are at most 100 characters.
    return label if len(label) <= 100 else label[:99] + "…"


def _can_manage(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return bool(perms.manage_channels or perms.administrator)


async def setup(bot: ScholarBot) -> None:
    if bot.digests is None:
        log.info("digests are not configured for this bot; /digest is not loaded")
        return
    await bot.add_cog(Digest(bot, bot.digests))
