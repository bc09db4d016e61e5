"""Questions: /ask, mentions, DMs, and follow-ups inside the bot's threads."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.bot.conversation import Turn, last_query, turn_of
from scholarbot.bot.render import MAX_PARTS, answer_messages

if TYPE_CHECKING:
    from scholarbot.answers.types import Answer
    from scholarbot.bot.client import ScholarBot

#: Turns remembered per thread (older ones are never consulted; see conversation.MAX_TURNS).
KEEP_TURNS = 8

HELP_TEXT = (
    "**Ask me about papers and people in the records.**\n"
    "• `/ask Who collaborates with Hainan Zhang on federated LLMs?`\n"
    "• `/profile Hanlin Gu` — a researcher card with a coauthor network\n"
    "• `/paper denoising without clean images` — find papers by meaning\n"
    "• `/collaborators Zheng Lin split learning`\n"
    "Mention me or DM me with a question; I answer in a thread, where follow-ups like "
    "“and on dialogue?” or “what did they publish in 2022?” keep the context.\n"
    "Every sentence cites a numbered source; I never name people the records do not hold."
)


class Ask(commands.Cog):
    """Answers questions asked by slash command, mention, DM or thread follow-up."""

    def __init__(self, bot: ScholarBot) -> None:
        self.bot: ScholarBot = bot
        self.history: dict[int, list[Turn]] = defaultdict(list)

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question, e.g. who collaborates with Hainan Zhang on federated LLMs?"
    )
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        """Ask about papers and researchers; every claim is cited."""
        await interaction.response.defer(thinking=True)  # the 3-second rule: acknowledge first
        if (wait := self.bot.retry_after(interaction)) is not None:
            await interaction.followup.send(
                f"You're asking quickly — try again in {wait:.0f} s.", ephemeral=True
            )
            return
        key = interaction.channel_id or 0
        answer = await self.bot.ask(question, previous=last_query(self.history[key]))
        self._remember(key, question, answer)
        for part in answer_messages(answer)[:MAX_PARTS]:
            await interaction.followup.send(content=part.content or "", embeds=part.embeds, files=part.files)

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to use scholarbot."""
        await interaction.response.send_message(HELP_TEXT, ephemeral=True)

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
        if not question:
            await message.reply(HELP_TEXT, mention_author=False)
            return
        if (wait := self.bot.retry_after(message)) is not None:
            await message.reply(f"You're asking quickly — try again in {wait:.0f} s.", mention_author=False)
            return
        channel: discord.abc.Messageable = message.channel
        if not in_dm and not isinstance(message.channel, discord.Thread):
            # A question in a channel opens a thread so follow-ups have a home and the channel stays tidy.
            channel = await message.create_thread(name=_thread_name(question), auto_archive_duration=1440)
        key = channel.id  # type: ignore[attr-defined]
        async with channel.typing():
            answer = await self.bot.ask(question, previous=last_query(self.history[key]))
        self._remember(key, question, answer)
        await send_answer(channel, answer)

    def _remember(self, key: int, question: str, answer: Answer) -> None:
        turns = self.history[key]
        turn = turn_of(question, answer.query)
        if turn is not None:
            turns.append(turn)
        del turns[:-KEEP_TURNS]


async def send_answer(channel: discord.abc.Messageable, answer: Answer) -> None:
    """Send every rendered part of an answer, in order."""
    for part in answer_messages(answer)[:MAX_PARTS]:
        await channel.send(content=part.content, embeds=part.embeds, files=part.files)


def _strip_mention(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", "", content).strip()


def _thread_name(question: str) -> str:
    # Thread names are at most 100 characters.
    name = " ".join(question.split())
    return name if len(name) <= 90 else name[:89].rstrip() + "…"


async def setup(bot: ScholarBot) -> None:
    await bot.add_cog(Ask(bot))
