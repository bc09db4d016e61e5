"""Menus and buttons on answers and digests, /saved, "Next" and the "Ask scholarbot" message command.

Everything goes through the real discord.py against the strict stand-in, which rejects components
Discord would reject (custom ids over 100 characters, more than 25 options, duplicate ids, ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from scholarbot.answers import Answerer
from scholarbot.answers.query import Query
from scholarbot.bot.client import ScholarBot
from scholarbot.config import Settings
from scholarbot.digest.feedback import HIGHEST, STEP, apply_vote
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import Subscription
from scholarbot.readers import ReaderState

from conftest import sample_store
from discord_standin import (
    BOT_USER,
    CHANNEL_ID,
    DiscordStandIn,
    command_interaction,
    component_errors,
    component_interaction,
    guild_message,
    message_command_interaction,
    message_payload,
    run_client,
)

EPHEMERAL = 1 << 6


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Answerer:
    answerer = Answerer(sample_store(tmp_path_factory.mktemp("actions-store"), model_cache))
    answerer.warm()
    return answerer


def _run(
    answerer: Answerer,
    readers_path: Path | None,
    body: Callable[[ScholarBot, DiscordStandIn], Awaitable[None]],
    digests: Any = None,
) -> DiscordStandIn:
    def make() -> ScholarBot:
        readers = ReaderState(readers_path) if readers_path else None
        return ScholarBot(settings=Settings(), answerer=answerer, digests=digests, readers=readers)

    standin = run_client(DiscordStandIn(), make, body)
    assert not standin.rejected(), [r.response for r in standin.rejected()]
    return standin


async def _command(bot: ScholarBot, name: str, **options: Any) -> None:
    payload = command_interaction(name, {})
    types = {int: 4}
    payload["data"]["options"] = [
        {"type": types.get(type(v), 3), "name": k, "value": v} for k, v in options.items()
    ]
    await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]


def _components(sent: Any) -> list[dict[str, Any]]:
    return [c for row in sent.payload.get("components") or [] for c in row["components"]]


def _with(standin: DiscordStandIn, prefix: str) -> list[Any]:
    """Messages (and interaction responses) carrying a component whose custom id starts with `prefix`."""
    return [
        m
        for m in standin.messages()
        if any(c.get("custom_id", "").startswith(prefix) for c in _components(m))
    ]


def _message(components: list[dict[str, Any]], flags: int = 0) -> dict[str, Any]:
    """The bot's message carrying `components`, as Discord includes it in a component interaction."""
    message = message_payload(CHANNEL_ID, BOT_USER, "", flags=flags)
    message["components"] = components
    return message


def _button(custom_id: str) -> dict[str, Any]:
    """A message from long ago (before a restart) with one of the bot's buttons."""
    return _message(
        [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}]
    )


def _text(sent: Any) -> str:
    parts = [sent.payload.get("content") or ""]
    for e in sent.payload.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


def test_a_cut_list_gets_next_and_next_shows_the_following_page(answerer: Answerer) -> None:
    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        await _command(bot, "ask", question="papers by Furu Wei")
        (first,) = _with(standin, "sb:pick:a")
        (button,) = [c for c in _components(first) if c["type"] == 2]
        assert button["label"].startswith("Next")
        await standin.interact(bot, component_interaction(first.response, button["custom_id"]))

    standin = _run(answerer, None, body)
    answers = [m for m in standin.messages() if "Furu Wei has" in _text(m)]
    assert len(answers) == 2
    assert "from 9 to 16" in _text(answers[1]) and "from 9" not in _text(answers[0])
    # The second page cites other papers than the first.
    first_titles = {
        o["label"].split("] ", 1)[1] for o in _components(answers[0]) if o["type"] == 3 for o in o["options"]
    }
    second_titles = {
        o["label"].split("] ", 1)[1] for o in _components(answers[1]) if o["type"] == 3 for o in o["options"]
    }
    assert first_titles and second_titles and not first_titles & second_titles


def test_query_offsets_page_through_a_whole_list_once(answerer: Answerer) -> None:
    query: Query | None = Query(op="papers_by", people=("Furu Wei",))
    seen: list[str] = []
    pages = 0
    while query is not None:
        answer = answerer.ask_query("papers by Furu Wei", query)
        seen += [s.id for s in answer.sources]
        pages += 1
        query = Query.from_json(answer.more) if answer.more else None
    assert pages >= 4  # 34 papers in the sample, 8 a page
    assert len(seen) == len(set(seen)) == answerer.ask("how many papers has Furu Wei published?").value


def test_save_from_an_answer_then_saved_lists_it_and_remove_takes_it_off(
    answerer: Answerer, tmp_path: Path
) -> None:
    readers = tmp_path / "readers.sqlite3"

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        await _command(bot, "ask", question="papers on federated learning for large language models")
        (answer,) = _with(standin, "sb:pick:a")
        (menu,) = [c for c in _components(answer) if c["type"] == 3]
        chosen = menu["options"][0]["value"]
        await standin.interact(bot, component_interaction(answer.response, menu["custom_id"], [chosen]))
        (panel,) = _with(standin, "sb:save:")
        assert panel.ephemeral  # one reader's choice is shown only to them
        ids = [c["custom_id"] for c in _components(panel)]
        assert ids == [f"sb:save:{chosen}", f"sb:more:{chosen}"]  # no votes outside digests
        shown = _message(panel.payload["components"], flags=EPHEMERAL)
        for _ in range(2):
            await standin.interact(bot, component_interaction(shown, ids[0]))
        await _command(bot, "saved")
        await _command(bot, "saved", remove=chosen)

    standin = _run(answerer, readers, body)
    replies = [m for m in standin.messages() if m.ephemeral]
    saved_texts = [_text(m) for m in replies]
    assert any(t.startswith("Saved:") and "1 paper(s)" in t for t in saved_texts)
    assert any(t.startswith("Already on your list") for t in saved_texts)
    listing = next(t for t in saved_texts if "Your reading list (1)" in t)
    assert "**1.**" in listing
    assert any("Removed." in t and "Your reading list (0)" in t for t in saved_texts)

    # A restarted bot still answers the buttons of old messages: their state is in the custom id.
    paper = next(iter(ReaderState(readers).saved(42)), None)
    assert paper is None  # removed above

    async def after_restart(bot: ScholarBot, standin: DiscordStandIn) -> None:
        pid = answerer.ask("papers by Furu Wei").sources[0].id
        await standin.interact(bot, component_interaction(_button(f"sb:save:{pid}"), f"sb:save:{pid}", uid=7))

    _run(answerer, readers, after_restart)
    assert len(ReaderState(readers).saved(7)) == 1


def test_more_like_this_is_private_and_leaves_the_paper_out(answerer: Answerer) -> None:
    pid = answerer.ask("papers by Furu Wei").sources[0].id

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        await standin.interact(bot, component_interaction(_button(f"sb:more:{pid}"), f"sb:more:{pid}"))

    standin = _run(answerer, None, body)
    (answer,) = [m for m in standin.messages() if "Papers closest to" in _text(m)]
    assert answer.ephemeral
    menu = next(c for c in _components(answer) if c["type"] == 3)
    values = [o["value"] for o in menu["options"]]
    assert values[0] == pid and pid not in values[1:]  # [1] is the paper itself, the rest are others
    assert len(values) >= 3


def test_a_button_without_reading_lists_says_why(answerer: Answerer) -> None:
    pid = answerer.ask("papers by Furu Wei").sources[0].id

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        await standin.interact(bot, component_interaction(_button(f"sb:save:{pid}"), f"sb:save:{pid}"))

    standin = _run(answerer, None, body)
    (reply,) = [m for m in standin.messages() if m.ephemeral]
    assert "not set up" in _text(reply)


def test_ask_scholarbot_on_a_message_works_without_the_message_content_intent(answerer: Answerer) -> None:
    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        assert not bot.intents.message_content
        target = guild_message("who collaborates with Furu Wei?")
        await standin.interact(bot, message_command_interaction("Ask scholarbot", target))

    standin = _run(answerer, None, body)
    answers = [m for m in standin.messages() if "Furu Wei" in _text(m)]
    assert answers and not any(m.ephemeral for m in answers)
    assert "coauthor" in _text(answers[0]), [_text(m)[:300] for m in answers]


def test_digest_items_get_a_menu_whose_votes_tune_the_threshold(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "digests.sqlite3")
    readers = ReaderState(tmp_path / "readers.sqlite3")
    sid = state.add_subscription(
        Subscription(id=0, guild_id=1, channel_id=2, topics=("x",), threshold=0.35)
    ).id

    def threshold() -> float:
        found = state.get_subscription(sid)
        assert found is not None
        return found.threshold

    up = apply_vote(readers, state, sid, "p_1", 10, "up")
    assert up is not None and threshold() == pytest.approx(0.35 - STEP)
    again = apply_vote(readers, state, sid, "p_1", 10, "up")  # the same vote twice counts once
    assert again is not None and again.after == again.before
    switched = apply_vote(readers, state, sid, "p_1", 10, "down")  # a change of mind moves two steps
    assert switched is not None and threshold() == pytest.approx(0.35 + STEP)
    assert (switched.ups, switched.downs) == (0, 1)
    for user in range(100, 160):  # a pile of 👎 cannot silence a subscription
        apply_vote(readers, state, sid, "p_2", user, "down")
    assert threshold() == pytest.approx(HIGHEST)
    assert apply_vote(readers, state, 999, "p_1", 10, "up") is None


def test_components_keep_discords_limits(answerer: Answerer) -> None:
    """The menu lists at most 25 papers whatever the answer cites; the stand-in checks the rest."""
    from scholarbot.bot.actions import Pages, answer_view

    answer = answerer.ask("papers by Jie Zhou")
    answer.sources = [*answer.sources] * 5
    view = answer_view(answer, Pages())
    assert view is not None
    rows = view.to_components()
    assert len(rows) == 2 and len(rows[0]["components"][0]["options"]) <= 25
    assert not component_errors(rows)
    assert component_errors([{"type": 1, "components": [{"type": 3, "custom_id": "x" * 101, "options": []}]}])


def test_digest_posts_carry_a_paper_menu_with_the_subscription(tmp_path: Path, answerer: Answerer) -> None:
    from scholarbot.bot.digest_post import ChannelPoster
    from scholarbot.digest.types import Digest, Ranked

    papers = answerer.ask("papers by Furu Wei").sources[:3]
    items = tuple(Ranked(answerer.paper(s.id), 0.9, "on your topic") for s in papers)  # type: ignore[arg-type]
    digest = Digest("d1", 5, 2, datetime(2026, 1, 1, tzinfo=UTC), items)

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        from discord_standin import CHANNEL_ID

        await ChannelPoster(bot).post(Digest("d1", 5, CHANNEL_ID, digest.due_at, items))
        (post,) = _with(standin, "sb:pick:s5")
        menu = next(c for c in _components(post) if c["type"] == 3)
        assert [o["value"] for o in menu["options"]] == [s.id for s in papers]
        await standin.interact(bot, component_interaction(post.response, menu["custom_id"], [papers[1].id]))
        (panel,) = _with(standin, "sb:vote:")
        pid = papers[1].id
        assert [c["custom_id"] for c in _components(panel)] == [
            f"sb:save:{pid}",
            f"sb:more:{pid}",
            f"sb:vote:5:up:{pid}",
            f"sb:vote:5:down:{pid}",
        ]

    _run(answerer, tmp_path / "readers.sqlite3", body)


def test_next_after_the_bot_forgot_the_page_says_so_privately(answerer: Answerer) -> None:
    from scholarbot.bot.actions import PAGE_EXPIRED

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        custom_id = "sb:next:0123456789abcdef"  # from before a restart: no query behind it
        await standin.interact(bot, component_interaction(_button(custom_id), custom_id))

    standin = _run(answerer, None, body)
    (reply,) = standin.messages()
    assert reply.ephemeral and _text(reply) == PAGE_EXPIRED


def test_the_stand_in_forgets_an_interaction_not_answered_within_3_seconds(answerer: Answerer) -> None:
    """Discord's 3-second rule, as the stand-in enforces it: a late first response is a 404."""
    from datetime import timedelta

    from discord_standin import snowflake

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        payload = command_interaction("help", {})
        payload["id"] = str(snowflake(datetime.now(UTC) - timedelta(seconds=4)))  # arrived 4 s ago
        with pytest.raises(discord.NotFound):
            interaction = discord.Interaction(data=payload, state=bot._connection)  # type: ignore[arg-type]
            await interaction.response.send_message("late", ephemeral=True)

    standin = DiscordStandIn()
    run_client(standin, lambda: ScholarBot(settings=Settings(), answerer=answerer), body)
    assert [s.status for s in standin.sent if s.path.endswith("/callback")] == [404]
