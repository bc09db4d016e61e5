"""What readers can do with a paper the bot showed them: save it, find more like it, vote on it.

Answers and digests carry one menu of their papers ("Pick a paper…"). Picking one shows, only to
that reader, the paper with its buttons: Save (to `/saved`), More like this, and on digest items 👍/👎,
which tune the subscription's threshold. Every one of these components is a `DynamicItem`: its
state lives in its custom id, so the buttons keep working after the bot restarts, on digests that
cron posted, and weeks later; and discord.py keeps no per-message state for them (a view that timed
out would also unregister the dynamic items it held). Only "Next" needs more than an id can carry:
its query stays in memory for a day, and the button says so when it has gone.

SEE: https://discord.com/developers/docs/components/reference (custom_id ≤ 100, 25 options, 5 rows)
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from scholarbot.answers.query import Query
from scholarbot.answers.types import Answer, Source, format_authors, venue_year
from scholarbot.bot.expiring import Expiring
from scholarbot.bot.render import (
    OPTION_DESCRIPTION_LIMIT,
    OPTION_LABEL_LIMIT,
    OPTION_VALUE_LIMIT,
    SELECT_OPTIONS_LIMIT,
    _clip,
    _plain,
    _source_line,
)
from scholarbot.digest.feedback import apply_vote
from scholarbot.errors import ScholarbotError, UnknownPaperError

if TYPE_CHECKING:
    from scholarbot.bot.client import ScholarBot
    from scholarbot.digest.types import Digest

log = logging.getLogger("scholarbot.bot")

#: How long a "Next" button works: its query is kept in memory, which a restart forgets.
NEXT_TTL_S = 24 * 3600
#: Queries kept for "Next" buttons; the oldest goes first.
MAX_PAGES = 5000
PAGE_EXPIRED = "This list's next page has expired (the bot restarted or a day passed); ask again."
#: Paper ids that fit a custom id with its prefix (store ids are "p_" + 16 hex digits).
_PAPER = r"(?P<paper>[^:\s]{1,60})"
NO_READING_LIST = "Reading lists are not set up on this bot (the operator runs it without a data folder)."


def _bot(interaction: discord.Interaction) -> ScholarBot:
    from scholarbot.bot.client import ScholarBot

    bot = interaction.client
    assert isinstance(bot, ScholarBot)
    return bot


async def _report(interaction: discord.Interaction, error: Exception, what: str) -> None:
    """A component's failure, told to the one who clicked (views are not commands: no tree handler)."""
    from scholarbot.bot.client import UNEXPECTED, send_private

    if isinstance(error, ScholarbotError):
        text = str(error)
    else:
        log.exception("%s failed for user %s", what, interaction.user.id, exc_info=error)
        text = UNEXPECTED
    try:
        await send_private(interaction, text)
    except discord.HTTPException:
        log.exception("could not tell user %s that %s failed", interaction.user.id, what)


# --- the menu on answers and digests ------------------------------------------------------------


def paper_options(sources: Sequence[Source]) -> list[discord.SelectOption]:
    """One option per paper: '[n] Title', its authors and venue below; ids too long are left out."""
    options: dict[str, discord.SelectOption] = {}
    for s in sources:
        if not s.id or len(s.id) > OPTION_VALUE_LIMIT or not re.fullmatch(_PAPER, s.id):
            continue
        label = _clip(_plain(f"[{s.n}] {s.title}"), OPTION_LABEL_LIMIT)
        description = _clip(
            _plain(f"{format_authors(s, limit=2)}, {venue_year(s)}"), OPTION_DESCRIPTION_LIMIT
        )
        options.setdefault(s.id, discord.SelectOption(label=label, value=s.id, description=description))
    return list(options.values())[:SELECT_OPTIONS_LIMIT]


class PaperMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"sb:pick:(?P<where>a|s\d{1,18})"):
    """'Pick a paper…' on an answer (`a`) or on a digest of subscription N (`sN`)."""

    def __init__(self, where: str, options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"sb:pick:{where}",
                placeholder="Pick a paper to save, vote on, or find more like it…",
                options=options or [discord.SelectOption(label="-", value="-")],
            )
        )
        self.where = where

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PaperMenu:
        return cls(match["where"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            paper_id = self.item.values[0]
            bot = _bot(interaction)
            paper = await bot.lookup(bot.answerer.paper, paper_id)
            if paper is None:
                raise UnknownPaperError(paper_id)
            subscription = int(self.where[1:]) if self.where.startswith("s") else None
            source = Source.of(1, paper)
            line = _source_line(source).removeprefix("**[1]** ")
            await interaction.response.send_message(
                line, view=paper_actions(paper.id, subscription), ephemeral=True, suppress_embeds=True
            )
        except Exception as e:
            await _report(interaction, e, "the paper menu")


def paper_actions(paper_id: str, subscription_id: int | None) -> discord.ui.View:
    """The buttons for one paper; digest items add the two votes."""
    view = discord.ui.View(timeout=None)
    view.add_item(SaveButton(paper_id))
    view.add_item(MoreButton(paper_id))
    if subscription_id is not None:
        view.add_item(VoteButton(subscription_id, "up", paper_id))
        view.add_item(VoteButton(subscription_id, "down", paper_id))
    return view


class SaveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"sb:save:{_PAPER}"):
    """Add the paper to the clicker's reading list."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Save", emoji="🔖", style=discord.ButtonStyle.primary, custom_id=f"sb:save:{paper_id}"
            )
        )
        self.paper_id = paper_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SaveButton:
        return cls(match["paper"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot = _bot(interaction)
            if bot.readers is None:
                raise ScholarbotError(NO_READING_LIST)
            paper = await bot.lookup(bot.answerer.paper, self.paper_id)
            if paper is None:
                raise UnknownPaperError(self.paper_id)
            added = await bot.lookup(bot.readers.save, interaction.user.id, paper)
            count = await bot.lookup(bot.readers.count, interaction.user.id)
            said = "Saved" if added else "Already on your list"
            await interaction.response.send_message(
                f"{said}: “{_clip(_plain(paper.title), 200)}”. "
                f"Your reading list has {count} paper(s): `/saved`.",
                ephemeral=True,
            )
        except Exception as e:
            await _report(interaction, e, "Save")


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"sb:more:{_PAPER}"):
    """Papers closest in meaning to this one, shown to the clicker."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(
            discord.ui.Button(label="More like this", emoji="🔎", custom_id=f"sb:more:{paper_id}")
        )
        self.paper_id = paper_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(match["paper"])

    async def callback(self, interaction: discord.Interaction) -> None:
        from scholarbot.bot.client import send_private, slow_down

        try:
            bot = _bot(interaction)
            if (wait := bot.retry_after(interaction)) is not None:
                await send_private(interaction, slow_down(wait))
                return
            # Private: one reader's curiosity should not fill a digest channel.
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await bot.call(bot.answerer.similar, self.paper_id)
            await send_answer_followups(interaction, answer, ephemeral=True)
        except Exception as e:
            await _report(interaction, e, "More like this")


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"sb:vote:(?P<sub>\d{{1,18}}):(?P<kind>up|down):{_PAPER}",
):
    """👍/👎 on a digest item: recorded once per reader, and the channel's threshold moves a step."""

    def __init__(self, subscription_id: int, kind: str, paper_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if kind == "up" else "👎",
                label="More of these" if kind == "up" else "Fewer of these",
                style=discord.ButtonStyle.success if kind == "up" else discord.ButtonStyle.danger,
                custom_id=f"sb:vote:{subscription_id}:{kind}:{paper_id}",
            )
        )
        self.subscription_id, self.kind, self.paper_id = subscription_id, kind, paper_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["sub"]), match["kind"], match["paper"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot = _bot(interaction)
            if bot.readers is None or bot.digests is None:
                raise ScholarbotError("Votes are not set up on this bot (it runs without digests).")
            kind = "up" if self.kind == "up" else "down"
            tuned = await bot.lookup(
                apply_vote, bot.readers, bot.digests.state, self.subscription_id, self.paper_id,
                interaction.user.id, kind,
            )  # fmt: skip
            if tuned is None:
                raise ScholarbotError("That digest's subscription no longer exists.")
            if tuned.after == tuned.before:
                moved = f"the threshold stays at {tuned.after:.2f}"
            else:
                moved = f"this digest's threshold went from {tuned.before:.2f} to {tuned.after:.2f}"
            await interaction.response.send_message(
                f"Thanks: {moved} ({tuned.ups} 👍, {tuned.downs} 👎 so far). "
                "Channel managers can set it with `/digest edit`.",
                ephemeral=True,
            )
        except Exception as e:
            await _report(interaction, e, "a vote")


# --- answers: the menu, and "Next" for cut lists ------------------------------------------------


class Pages:
    """The queries behind "Next" buttons: a custom id holds 100 characters, a query may need more.

    Kept in memory for a day (at most `most` of them); a button whose query is gone, after a restart
    or a day, says so instead of failing.
    """

    def __init__(self, ttl_s: float = NEXT_TTL_S, most: int = MAX_PAGES) -> None:
        self._pages: Expiring[str, tuple[str, dict[str, Any]]] = Expiring(ttl_s, most)

    def put(self, question: str, more: dict[str, Any]) -> str:
        """Remember the next page's query; return the key its button carries."""
        key = secrets.token_hex(8)
        self._pages.put(key, (question, more))
        return key

    def get(self, key: str) -> tuple[str, Query] | None:
        """The question and query of a page, or None when it has been forgotten."""
        found = self._pages.get(key)
        return None if found is None else (found[0], Query.from_json(found[1]))


class NextButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sb:next:(?P<key>[0-9a-f]{16})"):
    """Shows the next page of a cut list, publicly, as an answer of its own."""

    def __init__(self, key: str, after: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Next (after {after})" if after else "Next", emoji="➡️", custom_id=f"sb:next:{key}"
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NextButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        from scholarbot.bot.client import send_private, slow_down

        try:
            bot = _bot(interaction)
            page = bot.pages.get(self.key)
            if page is None:
                await send_private(interaction, PAGE_EXPIRED)
                return
            if (wait := bot.retry_after(interaction)) is not None:
                await send_private(interaction, slow_down(wait))
                return
            await interaction.response.defer(thinking=True)
            answer = await bot.call(bot.answerer.ask_query, *page)
            await send_answer_followups(interaction, answer)
        except Exception as e:
            await _report(interaction, e, "Next")


def answer_view(answer: Answer, pages: Pages) -> discord.ui.View | None:
    """The components of an answer's last message (its papers' menu; "Next" for a cut list), or None.

    Every item is dynamic, so discord.py keeps no per-message state and nothing expires.
    """
    view = discord.ui.View(timeout=None)
    options = paper_options(answer.sources)
    if options:
        view.add_item(PaperMenu("a", options))
    if answer.more:
        view.add_item(
            NextButton(pages.put(answer.question, answer.more), int(answer.more.get("offset") or 0))
        )
    return view if view.children else None


async def send_answer_followups(
    interaction: discord.Interaction, answer: Answer, *, ephemeral: bool = False
) -> None:
    """Send a rendered answer as follow-ups to a deferred interaction, components on the last part."""
    from scholarbot.bot.render import MAX_PARTS, answer_messages

    parts = answer_messages(answer)[:MAX_PARTS]
    view = answer_view(answer, _bot(interaction).pages)
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        await interaction.followup.send(
            content=part.content or "",
            embeds=part.embeds,
            files=part.files,
            view=view if last and view is not None else discord.utils.MISSING,
            ephemeral=ephemeral,
        )


# --- digests ------------------------------------------------------------------------------------


def digest_menu(digest: Digest, items: Sequence[int]) -> discord.ui.View | None:
    """The menu under one digest message, listing that message's papers (`items` index the digest's)."""
    options = paper_options([Source.of(i + 1, digest.items[i].paper) for i in items])
    if not options:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PaperMenu(f"s{digest.subscription_id}", options))
    return view


DYNAMIC_ITEMS = (PaperMenu, SaveButton, MoreButton, VoteButton, NextButton)
