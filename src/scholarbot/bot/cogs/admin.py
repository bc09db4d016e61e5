"""/about: what the bot runs on and what its store holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot import __version__
from scholarbot.store.store import EMBEDDER_FLAG

if TYPE_CHECKING:
    from scholarbot.bot.client import ScholarBot


class Admin(commands.Cog):
    """Facts about this scholarbot instance."""

    def __init__(self, bot: ScholarBot) -> None:
        self.bot: ScholarBot = bot

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction) -> None:
        """Version, store size and models of this scholarbot."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        store = self.bot.answerer.store
        counts = await self.bot.lookup(store.counts)
        embedder = await self.bot.lookup(store.get_flag, EMBEDDER_FLAG)
        embed = discord.Embed(
            title=f"scholarbot {__version__}", description="Cited answers from the lab's records."
        )
        embed.add_field(name="Papers", value=f"{counts['papers']:,}")
        embed.add_field(name="Researchers", value=f"{counts['researchers']:,}")
        embed.add_field(name="Profile pages", value=f"{counts['profiles']:,}")
        embed.add_field(name="Embeddings", value=str(embedder or "none yet"))
        llm = self.bot.settings.llm
        embed.add_field(name="Answer writer", value=f"LLM {llm.model}" if llm.enabled else "offline composer")
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: ScholarBot) -> None:
    await bot.add_cog(Admin(bot))
