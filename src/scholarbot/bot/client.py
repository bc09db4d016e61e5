"""The Discord client: dependencies passed in, one cog per feature, errors handled in one place."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.bot.actions import DYNAMIC_ITEMS, Pages
from scholarbot.errors import ConfigError, ScholarbotError

if TYPE_CHECKING:
    from scholarbot.answers import Answerer
    from scholarbot.answers.query import Query
    from scholarbot.answers.types import Answer
    from scholarbot.config import Settings
    from scholarbot.digest.service import Digests
    from scholarbot.readers import ReaderState

log = logging.getLogger("scholarbot.bot")
T = TypeVar("T")

INITIAL_EXTENSIONS = (
    "scholarbot.bot.cogs.ask",
    "scholarbot.bot.cogs.library",
    "scholarbot.bot.cogs.admin",
    "scholarbot.bot.cogs.digest",
    "scholarbot.bot.cogs.saved",
)

NOT_HERE = "scholarbot is not enabled in this channel; ask an admin, or DM me."
#: Shown for failures we did not foresee; the details go to the log, never to the channel.
UNEXPECTED = "Something went wrong while answering; it has been logged. Please try again."
#: Answers computed at once; they are CPU-bound and short, and the machine may have 2 cores.
ANSWER_LANES = 2


def intents_for(settings: Settings) -> discord.Intents:
    """The gateway intents the bot asks for: the defaults, plus message content when configured.

    Message content is privileged: Discord refuses the connection (close code 4014) unless it is
    also switched on in the developer portal. Without it, guild messages that do not mention the
    bot arrive with empty text, so follow-ups in threads must mention the bot.
    """
    intents = discord.Intents.default()
    intents.message_content = settings.discord.message_content
    return intents


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
        readers: ReaderState | None = None,
    ) -> None:
        super().__init__(
            # Required by commands.Bot, never used: mentions are questions (the Ask cog reads them),
            # and on_message below never looks for prefix commands.
            command_prefix=commands.when_mentioned,
            intents=intents_for(settings),
            # Paper text may contain @everyone or role pings: nothing the bot sends may ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=_Tree,
        )
        self.settings = settings
        self.answerer = answerer
        self.digests = digests
        #: Reading lists and digest votes; None runs the bot without them (the buttons say so).
        self.readers = readers
        #: The queries behind "Next" buttons.
        self.pages = Pages()
        self.dev_guild_id = dev_guild_id
        self.failed_extensions: list[str] = []
        d = settings.discord
        self.cooldowns = commands.CooldownMapping.from_cooldown(
            d.cooldown_questions, d.cooldown_seconds, commands.BucketType.user
        )
        self._answer_lock = asyncio.Semaphore(ANSWER_LANES)
        # Autocomplete must answer within Discord's 3 s, so lookups never queue behind answers
        # (or behind anything else in the default executor): they get threads of their own.
        self._lookups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scholarbot-lookup")

    async def setup_hook(self) -> None:
        # Buttons and menus on messages sent before a restart (or by cron) find their handlers here.
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        for extension in INITIAL_EXTENSIONS:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("failed to load extension %s", extension)
                self.failed_extensions.append(extension)
        # Global commands are synced by `scholarbot sync`, never on start: a sync per restart counts
        # against Discord's daily limit, and a cog that failed to load would have its commands
        # deleted for every guild. A development guild is synced at once (that is its purpose).
        if self.dev_guild_id and not self.failed_extensions:
            await self.sync_commands(self.dev_guild_id)

    async def sync_commands(self, guild_id: int | None = None) -> list[app_commands.AppCommand]:
        """Publish the slash commands, globally or to one guild; refuse while a cog failed to load."""
        if self.failed_extensions:
            raise ScholarbotError(
                f"not syncing: {', '.join(self.failed_extensions)} failed to load, and a sync now would "
                "delete its commands everywhere. Fix the error in the log first."
            )
        if guild_id:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            return await self.tree.sync(guild=guild)
        return await self.tree.sync()

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: without this, every mention would be parsed as one and fail."""

    async def close(self) -> None:
        await super().close()
        self._lookups.shutdown(wait=False, cancel_futures=True)
        if self.digests is not None:
            self.digests.close()
        if self.readers is not None:
            self.readers.close()

    # --- the domain call, off the event loop --------------------------------------------------

    async def ask(
        self,
        question: str,
        previous: Query | None = None,
        earlier: tuple[str, ...] = (),
        before: Query | None = None,
    ) -> Answer:
        """Answer in a worker thread so other users are served while one question is slow.

        `previous` is the query of the conversation's last turn, which a follow-up builds on,
        `earlier` the people its recent turns named and `before` the query of the turn before it.
        The question is passed whole: the answerer applies its own length rule and says so in the
        answer.
        """
        async with self._answer_lock:
            return await asyncio.to_thread(self.answerer.ask, question, previous, earlier, before)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking domain call that does real work (an answer, a profile) in a worker thread."""
        async with self._answer_lock:
            return await asyncio.to_thread(fn, *args)

    async def lookup(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a cheap blocking call (autocomplete, counts, a SQLite write) without waiting for answers."""
        return await asyncio.get_running_loop().run_in_executor(self._lookups, fn, *args)

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
        """Seconds the user must wait, or None when they may ask now (this counts as one question)."""
        user = getattr(message_or_interaction, "user", None) or message_or_interaction.author
        fake = discord.Object(id=user.id)
        bucket = self.cooldowns.get_bucket(_UserOnly(fake))  # type: ignore[arg-type]
        return bucket.update_rate_limit() if bucket is not None else None

    async def interaction_allowed(self, interaction: discord.Interaction) -> bool:
        """Refuse, privately, where the config does not let the bot answer."""
        if self.allowed_here(interaction.guild_id, interaction.channel):
            return True
        if interaction.type is discord.InteractionType.application_command:
            await send_private(interaction, NOT_HERE)
        return False

    # --- errors -------------------------------------------------------------------------------

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CommandOnCooldown):
            message = slow_down(error.retry_after)
        elif isinstance(error, app_commands.CheckFailure) and str(error):
            message = str(error)
        elif isinstance(original, ScholarbotError):
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
        try:
            await send_private(interaction, message)
        except discord.HTTPException:
            log.exception("could not tell user %s about an error", interaction.user.id)


def slow_down(seconds: float) -> str:
    """The cooldown refusal."""
    return f"You're asking quickly — try again in {seconds:.0f} s."


def answer_cooldown() -> Callable[[T], T]:
    """Refuse a command that does real work, before it defers, when the user is over their rate.

    One budget per user, shared with mentions and DMs (ScholarBot.retry_after). Refusing before the
    deferral is what keeps the refusal private (see send_private).
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        bot = interaction.client
        assert isinstance(bot, ScholarBot)
        wait = bot.retry_after(interaction)
        if wait is not None:
            d = bot.settings.discord
            cooldown = app_commands.Cooldown(d.cooldown_questions, d.cooldown_seconds)
            raise app_commands.CommandOnCooldown(cooldown, wait)
        return True

    return app_commands.check(predicate)


class _UserOnly:
    """CooldownMapping keys on message.author; give it just that."""

    def __init__(self, author: discord.abc.Snowflake) -> None:
        self.author = author


async def send_private(interaction: discord.Interaction, message: str) -> None:
    """Reply so that only the user sees it, whether or not the interaction was deferred.

    After a public deferral, Discord turns the first follow-up into an edit of the public
    "thinking…" message and ignores its ephemeral flag, so that message is deleted first.
    SEE: https://github.com/discord/discord-api-docs/issues/2860
    """
    response = interaction.response
    if not response.is_done():
        await response.send_message(message, ephemeral=True)
        return
    if response.type is discord.InteractionResponseType.deferred_channel_message:
        original = await interaction.original_response()
        if original.flags.loading and not original.flags.ephemeral:
            await interaction.delete_original_response()
    await interaction.followup.send(message, ephemeral=True)


async def serve(bot: ScholarBot, token: str) -> None:
    """Run the bot until it is closed, by Ctrl-C or by SIGTERM (systemd, docker stop).

    `Client.run` handles only Ctrl-C: SIGTERM would kill the process without `close()`, leaving the
    gateway session open and the digest database without a clean close.
    """
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
    except (NotImplementedError, RuntimeError):  # Windows event loops have no signal handlers
        log.info("SIGTERM cannot be handled on this platform; stop the bot with Ctrl-C")
    async with bot:
        await bot.start(token)


def run_bot(bot: ScholarBot, token: str) -> None:
    """`serve` the bot from plain code (the CLI) with discord.py's log format; Ctrl-C ends it quietly.

    Raises ConfigError when Discord refuses the Message Content intent the settings ask for.
    """
    discord.utils.setup_logging(level=logging.INFO, root=True)
    try:
        asyncio.run(serve(bot, token))
    except KeyboardInterrupt:
        pass
    except discord.PrivilegedIntentsRequired as e:
        raise ConfigError(
            "Discord refused the Message Content intent: switch it on for this bot in the developer portal "
            "(Bot > Privileged Gateway Intents), or set discord.message_content = false."
        ) from e


async def publish_commands(bot: ScholarBot, token: str, guild_id: int | None = None) -> int:
    """Log in over REST only, load the cogs and sync the slash commands once; return how many."""
    async with bot:
        await bot.login(token)  # runs setup_hook: the cogs load, so the tree is complete
        return len(await bot.sync_commands(guild_id))
