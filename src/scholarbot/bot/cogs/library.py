"""Researcher and paper commands: /profile (with namesakes to pick from), /paper, /collaborators."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from scholarbot.answers.query import Query
from scholarbot.bot.actions import send_answer_followups
from scholarbot.bot.client import UNEXPECTED, answer_cooldown, send_private
from scholarbot.bot.render import candidate_options, network_file, researcher_card
from scholarbot.errors import ScholarbotError

if TYPE_CHECKING:
    from scholarbot.answers.types import Answer
    from scholarbot.bot.client import ScholarBot

log = logging.getLogger("scholarbot.bot")
#: How long the namesake menu stays usable.
MENU_TIMEOUT_S = 600


class Library(commands.Cog):
    """Looks up researchers and papers."""

    def __init__(self, bot: ScholarBot) -> None:
        self.bot: ScholarBot = bot

    @app_commands.command(name="profile")
    @app_commands.describe(name="A researcher's name (suggestions come from the records)")
    @answer_cooldown()
    async def profile(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        """A researcher card: affiliations, metrics, papers, collaborators and their network."""
        await interaction.response.defer(thinking=True)
        answer = await self.bot.call(self.bot.answerer.profile, name)
        await send_profile(interaction, answer, self.bot)

    @profile.autocomplete("name")
    async def profile_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(current)

    async def _name_choices(self, current: str) -> list[app_commands.Choice[str]]:
        names = await self.bot.lookup(self.bot.answerer.suggest_names, current, 25)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    @app_commands.command(name="paper")
    @app_commands.describe(query="What the paper is about, in your own words, or part of its title")
    @answer_cooldown()
    async def paper(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 1000]) -> None:
        """Find papers by meaning and words."""
        await interaction.response.defer(thinking=True)
        answer = await self.bot.call(self.bot.answerer.ask_query, query, Query(op="find_papers", topic=query))
        await send_answer_followups(interaction, answer)

    @app_commands.command(name="collaborators")
    @app_commands.describe(name="The researcher", topic="Only collaborations on this topic (optional)")
    @answer_cooldown()
    async def collaborators(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        topic: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """Who a researcher works with, optionally on a topic, ranked by shared papers."""
        await interaction.response.defer(thinking=True)
        parsed = Query(op="collaborators", people=(name,), topic=topic or None)
        question = f"Who collaborates with {name}" + (f" on {topic}?" if topic else "?")
        answer = await self.bot.call(self.bot.answerer.ask_query, question, parsed)
        await send_answer_followups(interaction, answer)

    @collaborators.autocomplete("name")
    async def collaborator_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._name_choices(current)


async def send_profile(interaction: discord.Interaction, answer: Answer, bot: ScholarBot) -> None:
    """A card and network picture for a profile; the plain answer when the name is unknown."""
    if answer.profile is None:
        await send_answer_followups(interaction, answer)
        return
    namesakes = answer.profile.get("namesakes") or []
    # Laying out and drawing the picture takes a few hundred ms of CPU: off the event loop, like every
    # other blocking call.
    picture = await bot.lookup(network_file, answer.network or answer.profile)
    view = NamesakeView(bot, namesakes) if namesakes else None
    message = await interaction.followup.send(
        content=_first_sentence(answer.text) if namesakes else "",
        embed=researcher_card(answer.profile),
        file=picture,
        view=view or discord.utils.MISSING,
        wait=True,
    )
    if view is not None:
        view.message = message


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0][:1900] + "."


class NamesakeView(discord.ui.View):
    """A menu of other researchers with the same name."""

    def __init__(self, bot: ScholarBot, namesakes: list[dict[str, Any]]) -> None:
        super().__init__(timeout=MENU_TIMEOUT_S)
        self.bot = bot
        self.message: discord.WebhookMessage | None = None
        select: discord.ui.Select[NamesakeView] = discord.ui.Select(
            placeholder="Another researcher with this name…", options=candidate_options(namesakes)
        )
        select.callback = self.pick  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def pick(self, interaction: discord.Interaction) -> None:
        """Show the chosen namesake's card."""
        await interaction.response.defer(thinking=True)
        answer = await self.bot.call(self.bot.answerer.profile_of, self.select.values[0])
        await send_profile(interaction, answer, self.bot)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        # Views are not commands: the tree's error handler never sees their failures.
        if isinstance(error, ScholarbotError):
            text = str(error)
        else:
            log.exception("namesake menu failed for user %s", interaction.user.id, exc_info=error)
            text = UNEXPECTED
        try:
            await send_private(interaction, text)
        except discord.HTTPException:
            log.exception("could not report a failed menu choice to user %s", interaction.user.id)

    async def on_timeout(self) -> None:
        # A menu that still looks usable but answers "This interaction failed" is worse than none.
        self.select.disabled = True
        self.select.placeholder = "This menu has expired; run /profile again."
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.info("could not disable an expired namesake menu", exc_info=True)


async def setup(bot: ScholarBot) -> None:
    await bot.add_cog(Library(bot))
