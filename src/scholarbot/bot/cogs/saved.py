"""/saved: each reader's own reading list, filled by the Save button on answers and digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.bot.actions import NO_READING_LIST
from scholarbot.bot.render import EMBED_DESCRIPTION_LIMIT, _clip, _link_url, escape
from scholarbot.errors import ScholarbotError

if TYPE_CHECKING:
    from scholarbot.bot.client import ScholarBot
    from scholarbot.readers import SavedPaper

#: Papers per page of /saved (a page is one embed, far under Discord's 4,096 characters).
PAGE = 15


def saved_line(n: int, paper: SavedPaper) -> str:
    """'**3.** [Title](url) — Venue Year'."""
    title = escape(_clip(paper.title, 200).replace("[", "(").replace("]", ")"))
    url = _link_url(paper.url)
    where = " ".join(str(x) for x in (paper.venue, paper.year) if x)
    return f"**{n}.** " + (f"[{title}]({url})" if url else title) + (f" — {escape(where)}" if where else "")


def saved_page(papers: list[SavedPaper], page: int) -> discord.Embed:
    """One page of a reading list, newest first, saying which page of how many."""
    pages = max(1, -(-len(papers) // PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE
    lines = [saved_line(start + i + 1, p) for i, p in enumerate(papers[start : start + PAGE])]
    embed = discord.Embed(
        title=f"Your reading list ({len(papers)})",
        description="\n".join(lines)[:EMBED_DESCRIPTION_LIMIT] or "Nothing saved yet.",
        colour=discord.Colour.blurple(),
    )
    tail = f"Page {page} of {pages} · `/saved page:{page + 1}` for more · " if page < pages else ""
    embed.set_footer(text=tail + "Save papers from the menu under any answer or digest.")
    return embed


class Saved(commands.Cog):
    """A private reading list per user."""

    def __init__(self, bot: ScholarBot) -> None:
        self.bot: ScholarBot = bot

    @app_commands.command(name="saved")
    @app_commands.describe(
        page="Which page of your list (15 per page)", remove="A paper to take off your list"
    )
    async def saved(
        self,
        interaction: discord.Interaction,
        page: app_commands.Range[int, 1, 1000] = 1,
        remove: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Your reading list (only you see it); `remove:` takes a paper off it."""
        readers = self.bot.readers
        if readers is None:
            raise ScholarbotError(NO_READING_LIST)
        note = ""
        if remove:
            gone = await self.bot.lookup(readers.unsave, interaction.user.id, remove)
            note = "Removed." if gone else "That paper is not on your list."
        papers = await self.bot.lookup(readers.saved, interaction.user.id)
        await interaction.response.send_message(note, embed=saved_page(papers, page), ephemeral=True)

    @saved.autocomplete("remove")
    async def saved_titles(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        readers = self.bot.readers
        if readers is None:
            return []
        papers = await self.bot.lookup(readers.saved, interaction.user.id)
        typed = current.casefold()
        return [
            app_commands.Choice(name=_clip(p.title, 100), value=p.paper_id)
            for p in papers
            if typed in p.title.casefold()
        ][:25]


async def setup(bot: ScholarBot) -> None:
    await bot.add_cog(Saved(bot))
