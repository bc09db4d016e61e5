"""Questions: /ask, mentions, DMs, and follow-ups inside the bot's threads."""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.answers.reader import asks_how_to_use
from scholarbot.bot.actions import Pages, answer_view, send_answer_followups
from scholarbot.bot.client import UNEXPECTED, answer_cooldown, send_private, slow_down
from scholarbot.bot.conversation import Turn, last_query, people_named, query_before, turn_of
from scholarbot.bot.expiring import Expiring
from scholarbot.bot.render import CONTENT_LIMIT, MAX_PARTS, answer_messages
from scholarbot.errors import ScholarbotError

if TYPE_CHECKING:
    from scholarbot.answers.query import Query
    from scholarbot.answers.types import Answer
    from scholarbot.bot.client import ScholarBot

log = logging.getLogger("scholarbot.bot")

#: Turns remembered per conversation (older ones are never consulted; see conversation.MAX_TURNS).
KEEP_TURNS = 8
#: A conversation untouched this long is forgotten: "what about 2022?" a day later is a new question.
HISTORY_TTL_S = 2 * 3600
#: Conversations remembered at once; the least recently used goes first.
MAX_CONVERSATIONS = 2000

HELP_TEXT = (
    "**Ask me about papers and people in the records.** Every sentence cites a numbered source, "
    "and I never name people the records do not hold.\n"
    "**Asking**\n"
    "• `/ask Who collaborates with Hainan Zhang on federated LLMs?` — or mention me, or DM me; in a "
    "channel I answer in a thread, where follow-ups like “and on dialogue?” keep the context{mention}.\n"
    "• Right-click a message → *Apps* → **Ask scholarbot** to ask about what it says.\n"
    "• `/profile Hanlin Gu` — a researcher card with who works with whom · `/paper denoising without "
    "clean images` — papers by meaning · `/collaborators Zheng Lin split learning`\n"
    "**Papers you see**\n"
    "• The menu under an answer or digest: **Save** a paper (your list: `/saved`), **More like this**, "
    "and on digests 👍/👎, which nudge that digest's threshold. **Next** shows more of a long list.\n"
    "**Digests** (need *Manage Channels*)\n"
    "• `/digest subscribe` new papers on a topic or by a researcher, daily or weekly · `/digest list` · "
    "`/digest preview` · `/digest edit` · `/digest pause` / `resume` · `/digest unsubscribe`\n"
    "**Permissions the bot needs here**: View Channel, Send Messages, Embed Links, Attach Files "
    "(network pictures), Read Message History (digests find what they posted), Create Public Threads "
    "and Send Messages in Threads (answers to mentions)."
)
#: Added to the first answer in a thread when the bot cannot read unmentioned messages.
MENTION_HINT = "-# Mention me in this thread to follow up."


class History:
    """Recent turns per conversation, forgotten after `ttl_s` idle and beyond `most` conversations."""

    def __init__(self, ttl_s: float = HISTORY_TTL_S, most: int = MAX_CONVERSATIONS) -> None:
        self._turns: Expiring[Hashable, list[Turn]] = Expiring(ttl_s, most)

    def get(self, key: Hashable, now: float | None = None) -> list[Turn]:
        """The conversation's turns, oldest first (empty when it expired)."""
        return self._turns.get(key, now) or []

    def add(self, key: Hashable, turn: Turn, now: float | None = None) -> None:
        """Remember a turn (keeping the last KEEP_TURNS)."""
        self._turns.put(key, [*self.get(key, now), turn][-KEEP_TURNS:], now)


def conversation_key(channel: object, user_id: int) -> Hashable:
    """Whose context a question builds on: a bot thread is one conversation; elsewhere, each user's own."""
    if isinstance(channel, discord.Thread):
        return ("thread", channel.id)
    return ("user", getattr(channel, "id", 0), user_id)


class Ask(commands.Cog):
    """Answers questions asked by slash command, mention, DM or thread follow-up."""

    def __init__(self, bot: ScholarBot) -> None:
        self.bot: ScholarBot = bot
        self.history = History()
        # Context menus cannot be declared in a cog like slash commands; they are added to the tree.
        self.context_menu = app_commands.ContextMenu(name="Ask scholarbot", callback=self.ask_about_message)
        answer_cooldown()(self.context_menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.context_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.context_menu.name, type=self.context_menu.type)

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question, e.g. who collaborates with Hainan Zhang on federated LLMs?"
    )
    @answer_cooldown()
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        """Ask about papers and researchers; every claim is cited."""
        if asks_how_to_use(question):
            # "help" asked by /ask: the commands, as /help gives them.
            text = help_text(self.bot.intents.message_content)
            await interaction.response.send_message(text, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)  # the 3-second rule: acknowledge first
        key = conversation_key(interaction.channel, interaction.user.id)
        answer = await self.bot.ask(question, *_context(self.history.get(key)))
        self._remember(key, question, answer)
        await send_answer_followups(interaction, answer)

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to use scholarbot: questions, papers, digests, and the permissions each needs."""
        await interaction.response.send_message(help_text(self.bot.intents.message_content), ephemeral=True)

    async def ask_about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Ask scholarbot" message command: the message's text is the question.

        Discord includes the target message's content in the interaction itself, so this works
        without the message-content intent.
        """
        question = _message_text(message, self.bot.user.id if self.bot.user else 0)
        if not question:
            await send_private(interaction, "That message has no text I can read; try `/ask`.")
            return
        await interaction.response.defer(thinking=True)
        key = conversation_key(interaction.channel, interaction.user.id)
        answer = await self.bot.ask(question, *_context(self.history.get(key)))
        self._remember(key, question, answer)
        await send_answer_followups(interaction, answer)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        in_dm = message.guild is None
        in_own_thread = (
            isinstance(message.channel, discord.Thread) and message.channel.owner_id == self.bot.user.id
        )
        mentioned = self.bot.user in message.mentions
        if not (in_dm or in_own_thread or mentioned):
            return
        if not self.bot.allowed_here(message.guild.id if message.guild else None, message.channel):
            return
        question = _strip_mention(message.content, self.bot.user.id)
        if not question or asks_how_to_use(question):
            # An empty text is a question only when the user spoke to the bot directly; in a thread
            # it is a message the bot may not read (no message-content intent) or one without text.
            if in_dm or mentioned or question:
                await message.reply(help_text(self.bot.intents.message_content), mention_author=False)
            return
        if (wait := self.bot.retry_after(message)) is not None:
            await message.reply(slow_down(wait), mention_author=False)
            return
        channel: discord.abc.Messageable = message.channel
        hint = None
        if not in_dm and not isinstance(message.channel, discord.Thread):
            # A question in a channel opens a thread so follow-ups have a home and the channel stays tidy.
            try:
                channel = await message.create_thread(name=_thread_name(question), auto_archive_duration=1440)
            except discord.HTTPException as e:
                # No Create Public Threads here (403), or threads are off: answer in the channel.
                log.warning(
                    "could not open a thread in channel %s (%s); answering inline", message.channel.id, e
                )
            else:
                hint = None if self.bot.intents.message_content else MENTION_HINT
        key = conversation_key(channel, message.author.id)
        try:
            async with channel.typing():
                answer = await self.bot.ask(question, *_context(self.history.get(key)))
            self._remember(key, question, answer)
            await send_answer(
                channel,
                answer,
                self.bot.pages,
                hint=hint,
                reply_to=message if channel is message.channel else None,
            )
        except Exception as e:  # one failed question must reach its asker, never leave a silent thread
            await self._report(channel, message, e)

    async def _report(
        self, channel: discord.abc.Messageable, message: discord.Message, error: Exception
    ) -> None:
        if isinstance(error, ScholarbotError):
            text = str(error)
        else:
            log.exception(
                "question from user %s in channel %s failed",
                message.author.id,
                message.channel.id,
                exc_info=error,
            )
            text = UNEXPECTED
        try:
            await channel.send(text)
        except discord.HTTPException:
            log.exception("could not report a failed question in channel %s", message.channel.id)

    def _remember(self, key: Hashable, question: str, answer: Answer) -> None:
        turn = turn_of(question, answer.query)
        if turn is not None:
            self.history.add(key, turn)


async def send_answer(
    channel: discord.abc.Messageable,
    answer: Answer,
    pages: Pages,
    *,
    hint: str | None = None,
    reply_to: discord.Message | None = None,
) -> None:
    """Send every rendered part of an answer, in order; the first replies to `reply_to` when given.

    The last part carries the answer's components (its papers' menu, "Next" for a cut list).
    """
    parts = answer_messages(answer)[:MAX_PARTS]
    view = answer_view(answer, pages)
    for n, part in enumerate(parts):
        content = part.content
        if n == 0 and hint and len(content or "") + len(hint) < CONTENT_LIMIT:
            content = f"{content}\n{hint}" if content else hint
        components = view if view is not None and n == len(parts) - 1 else discord.utils.MISSING
        reference = reply_to if n == 0 and reply_to is not None else None
        if reference is not None:
            await reference.reply(
                content=content, embeds=part.embeds, files=part.files, view=components, mention_author=False
            )
        else:
            await channel.send(content=content, embeds=part.embeds, files=part.files, view=components)


def help_text(message_content: bool) -> str:
    """/help, saying how follow-ups work with the intents this bot runs with."""
    return HELP_TEXT.format(mention="" if message_content else " (mention me there too)")


def _message_text(message: discord.Message, bot_id: int) -> str:
    """What a message says: its text, else its embeds' titles and descriptions (a digest, an answer)."""
    parts = [_strip_mention(message.content or "", bot_id)]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
    return "\n".join(p for p in parts if p).strip()


def _context(history: list[Turn]) -> tuple[Query | None, tuple[str, ...], Query | None]:
    """What a question in this conversation builds on: the last turn's query, the people named and
    the query of the turn before the last."""
    return last_query(history), people_named(history), query_before(history)


def _strip_mention(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", "", content).strip()


def _thread_name(question: str) -> str:
    # Thread names are at most 100 characters.
    name = " ".join(question.split())
    return name if len(name) <= 90 else name[:89].rstrip() + "…"


async def setup(bot: ScholarBot) -> None:
    await bot.add_cog(Ask(bot))
