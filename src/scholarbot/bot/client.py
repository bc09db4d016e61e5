"""The Discord client: dependencies passed in, one cog per feature, errors handled in one place."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.errors import ScholarbotError

if TYPE_CHECKING:
    from scholarbot.answers import Answerer
    from scholarbot.answers.query import Query
    from scholarbot.answers.types import Answer
    from scholarbot.config import Settings
    from scholarbot.digest.service import Digests

log = logging.getLogger("scholarbot.bot")

INITIAL_EXTENSIONS = (
    "scholarbot.bot.cogs.ask",
    "scholarbot.bot.cogs.library",
    "scholarbot.bot.cogs.admin",
    "scholarbot.bot.cogs.digest",
)

NOT_HERE = "scholarbot is not enabled in this channel; ask an admin, or DM me."
#: Shown for failures we did not foresee; the details go to the log, never to the channel.
UNEXPECTED = "Something went wrong while answering; it has been logged. Please try again."


class _Tree(app_commands.CommandTree):
    """Checks the configured guilds and channels before any command runs."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot = self.client
        assert isinstance(bot, ScholarBot)
        return await bot.interaction_allowed(interaction)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        bot = self.client
        assert isinstance(bot, ScholarBot)
        await bot.on_app_command_error(interaction, error)


class ScholarBot(commands.Bot):
    """scholarbot on Discord: a thin layer over `Answerer`."""

    def __init__(
        self,
        *,
        settings: Settings,
        answerer: Answerer,
        digests: Digests | None = None,
        dev_guild_id: int | None = None,
    ) -> None:
        # Mentions and DMs carry their text without the privileged message-content intent.
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            # Paper text may contain @everyone or role pings: nothing the bot sends may ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=_Tree,
        )
        self.settings = settings
        self.answerer = answerer
        self.digests = digests
        self.dev_guild_id = dev_guild_id
        d = settings.discord
        self.cooldowns = commands.CooldownMapping.from_cooldown(
            d.cooldown_questions, d.cooldown_seconds, commands.BucketType.user
        )
        # Two answers at a time: they are CPU-bound and short, and the machine may have 2 cores.
        self._answer_lock = asyncio.Semaphore(2)

    async def setup_hook(self) -> None:
        for extension in INITIAL_EXTENSIONS:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("failed to load extension %s", extension)
        if self.dev_guild_id:
            guild = discord.Object(self.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    # --- the domain call, off the event loop --------------------------------------------------

    async def ask(self, question: str, previous: Query | None = None) -> Answer:
        """Answer in a worker thread so other users are served while one question is slow.

        `previous` is the query of the conversation's last turn, which a follow-up builds on.
        """
        async with self._answer_lock:
            return await asyncio.to_thread(
                self.answerer.ask, question[: self.settings.discord.max_question_chars], previous
            )

    async def call(self, fn: Any, *args: Any) -> Any:
        """Run any blocking domain call in a worker thread."""
        async with self._answer_lock:
            return await asyncio.to_thread(fn, *args)

    # --- who may ask, how often ---------------------------------------------------------------

    def allowed_here(self, guild_id: int | None, channel: Any) -> bool:
        """Whether the config lets the bot answer in this guild and channel (threads follow their parent)."""
        d = self.settings.discord
        if guild_id is None:
            return d.answer_dms
        if d.allowed_guild_ids and guild_id not in d.allowed_guild_ids:
            return False
        if d.allowed_channel_ids:
            ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
            return bool(ids & set(d.allowed_channel_ids))
        return True

    def retry_after(self, message_or_interaction: Any) -> float | None:
        """Seconds the user must wait, or None when they may ask now."""
        user = getattr(message_or_interaction, "user", None) or message_or_interaction.author
        fake = discord.Object(id=user.id)
        bucket = self.cooldowns.get_bucket(_UserOnly(fake))  # type: ignore[arg-type]
        return bucket.update_rate_limit() if bucket is not None else None

    async def interaction_allowed(self, interaction: discord.Interaction) -> bool:
        """Refuse, privately, where the config does not let the bot answer."""
        if self.allowed_here(interaction.guild_id, interaction.channel):
            return True
        if interaction.type is discord.InteractionType.application_command:
            await send_ephemeral(interaction, NOT_HERE)
        return False

    # --- errors -------------------------------------------------------------------------------

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(original, ScholarbotError):
            message = str(original)
        else:
            log.exception(
                "command %r failed for user %s in channel %s",
                interaction.command.name if interaction.command else "?",
                interaction.user.id if interaction.user else "?",
                interaction.channel_id,
                exc_info=original,
            )
            message = UNEXPECTED
        await send_ephemeral(interaction, message)


class _UserOnly:
    """CooldownMapping keys on message.author; give it just that."""

    def __init__(self, author: discord.abc.Snowflake) -> None:
        self.author = author


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Reply privately whether or not the interaction was already deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(message, ephemeral=True)
    else:
        await interaction.response.send_message(message, ephemeral=True)
