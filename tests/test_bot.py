"""The bot end to end: real discord.py, real command tree, a loopback stand-in for Discord's REST API.

Interactions and messages are built from Discord's payload shapes and fed to the bot the way the
gateway would; assertions are on the HTTP requests the bot makes (deferrals, embeds, files, views,
ephemeral flags, allowed mentions) and on the command payloads it syncs.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.http import Route

from scholarbot.answers import Answerer
from scholarbot.bot.client import UNEXPECTED, ScholarBot
from scholarbot.config import Settings, StoreSettings
from scholarbot.ingest import ingest_paths
from scholarbot.services import open_services

from conftest import SAMPLE
from discord_standin import (
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    DiscordStandIn,
    command_interaction,
    dm_message,
    user,
)

pytestmark = pytest.mark.integration

CARD = "Who collaborates with Hainan Zhang on federated LLMs?"
EPHEMERAL = 1 << 6
NAME_RX = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Answerer:
    settings = Settings(store=StoreSettings(path=tmp_path_factory.mktemp("bot-store")))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SAMPLE], svc.store, svc.embedder)
    answerer = Answerer(svc)
    answerer.warm()
    return answerer


def _run(
    answerer: Any,
    body: Callable[[ScholarBot, DiscordStandIn], Awaitable[None]],
    digests: Any = None,
    **discord_cfg: Any,
) -> DiscordStandIn:
    """Log a bot in against the stand-in, run `body`, close everything."""
    standin = DiscordStandIn()
    settings = Settings()
    for key, value in discord_cfg.items():
        setattr(settings.discord, key, value)

    async def main() -> None:
        base = await standin.start()
        old_base = Route.BASE
        Route.BASE = base  # discord.py builds every request URL from this
        bot = ScholarBot(settings=settings, answerer=answerer, digests=digests)
        try:
            await bot.login("not-a-real-token")  # REST only: /users/@me, application info, command sync
            await body(bot, standin)
        finally:
            Route.BASE = old_base
            await bot.close()
            await standin.stop()

    asyncio.run(main())
    return standin


async def _invoke(bot: ScholarBot, command: str, **options: Any) -> None:
    cmd = bot.tree.get_command(command)
    assert cmd is not None, command
    payload = command_interaction(command, options)
    interaction = discord.Interaction(data=payload, state=bot._connection)  # type: ignore[arg-type]
    await bot.tree._call(interaction)


def _guild_channel(bot: ScholarBot) -> tuple[discord.Guild, discord.TextChannel]:
    """Put the stand-in's guild and text channel into the client's cache, as the gateway would."""
    state = bot._connection
    guild = discord.Guild(data={"id": str(GUILD_ID), "name": "lab"}, state=state)  # type: ignore[typeddict-item]
    state._add_guild(guild)
    data = {
        "id": str(CHANNEL_ID),
        "type": 0,
        "name": "reading-group",
        "position": 0,
        "permission_overwrites": [],
    }
    channel = discord.TextChannel(state=state, guild=guild, data=data)  # type: ignore[arg-type]
    guild._add_channel(channel)
    return guild, channel


def _all_text(sent: Any) -> str:
    parts = [sent.payload.get("content") or ""]
    for e in sent.payload.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)


def test_synced_commands_follow_discords_rules(answerer):
    async def body(bot, standin):
        pass

    standin = _run(answerer, body)
    names = {c["name"] for c in standin.synced_commands}
    assert {"ask", "profile", "paper", "collaborators", "help", "about"} <= names
    for c in standin.synced_commands:
        assert NAME_RX.match(c["name"]) and c["name"] == c["name"].lower()
        assert 1 <= len(c["description"]) <= 100
        options = c.get("options", [])
        assert len(options) <= 25
        for o in options:
            assert NAME_RX.match(o["name"]) and 1 <= len(o["description"]) <= 100
            assert len(o.get("choices", [])) <= 25


def test_ask_defers_at_once_then_answers_with_cited_embeds(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question=CARD)

    standin = _run(answerer, body)
    assert standin.callbacks()[0]["type"] == 5  # deferred before any work
    messages = standin.messages()
    assert messages
    text = "\n".join(_all_text(m) for m in messages)
    for name in ("Zhiming Zheng", "Xiaoshan Yang", "Hongwei Zheng", "Shule Lu", "Yujing Wang"):
        assert name in text
    assert "Yanyan Lan" not in text
    for m in messages:
        assert m.payload.get("allowed_mentions") == {"parse": []}  # paper text can never ping anyone
        assert len(m.payload.get("content") or "") <= 2000


def test_profile_sends_a_card_with_the_coauthor_network(answerer):
    async def body(bot, standin):
        await _invoke(bot, "profile", name="Hanlin Gu")

    standin = _run(answerer, body)
    (card,) = [m for m in standin.messages() if m.files]
    assert card.files == ["coauthors.png"]
    (embed,) = card.payload["embeds"]
    assert embed["title"].startswith("Hanlin Gu")
    assert "Qiang Yang" in _all_text(card)


def test_ambiguous_name_offers_the_namesakes_in_a_menu(answerer):
    async def body(bot, standin):
        await _invoke(bot, "profile", name="Zheng Lin")

    standin = _run(answerer, body)
    (card,) = [m for m in standin.messages() if m.payload.get("components")]
    select = card.payload["components"][0]["components"][0]
    assert select["type"] == 3 and 2 <= len(select["options"]) <= 25
    assert all(len(o["label"]) <= 100 for o in select["options"])


def test_cooldown_answers_politely_and_privately(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")

    standin = _run(answerer, body, cooldown_questions=1, cooldown_seconds=3600)
    last = standin.messages()[-1]
    assert "try again" in last.payload["content"] and last.payload["flags"] & EPHEMERAL


def test_channels_outside_the_allow_list_get_a_private_refusal(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")

    standin = _run(answerer, body, allowed_channel_ids=[1])
    (reply,) = standin.messages()
    assert "not enabled" in reply.payload["content"] and reply.payload["flags"] & EPHEMERAL


class _Exploding:
    """An answerer whose every call fails unexpectedly."""

    store = None

    def ask(self, question: str, previous: Any = None) -> Any:
        raise RuntimeError("disk on fire")


def test_unexpected_errors_are_short_for_users_and_logged_in_full(answerer, caplog):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")

    with caplog.at_level(logging.ERROR, logger="scholarbot.bot"):
        standin = _run(_Exploding(), body)
    reply = standin.messages()[-1]
    assert reply.payload["content"] == UNEXPECTED and reply.payload["flags"] & EPHEMERAL
    assert any("disk on fire" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert all("not-a-real-token" not in r.getMessage() for r in caplog.records)


def test_a_conversation_carries_the_person_into_follow_ups(answerer):
    async def body(bot, standin):
        channel = discord.DMChannel(
            me=bot.user,  # type: ignore[arg-type]
            state=bot._connection,
            data={"id": "700", "type": 1, "recipients": [user()]},  # type: ignore[typeddict-item]
        )
        cog = bot.get_cog("Ask")
        for text in (CARD, "what did they publish in 2021?"):
            message = discord.Message(state=bot._connection, channel=channel, data=dm_message(text))  # type: ignore[arg-type]
            await cog.on_message(message)  # type: ignore[union-attr]

    standin = _run(answerer, body)
    posts = [m for m in standin.messages() if m.path == "/channels/700/messages"]
    assert len(posts) >= 2
    follow_up = _all_text(posts[-1])
    # "they" became Hainan Zhang: the 2021 product-description papers are hers.
    assert "Posterior" in follow_up


def test_a_mention_opens_a_thread_where_follow_ups_keep_the_context(answerer):
    async def body(bot, standin):
        state = bot._connection
        guild, channel = _guild_channel(bot)
        cog = bot.get_cog("Ask")
        first = dm_message(f"<@{BOT_ID}> {CARD}", channel_id=CHANNEL_ID)
        first.update(guild_id=str(GUILD_ID), mentions=[BOT_USER])
        await cog.on_message(discord.Message(state=state, channel=channel, data=first))  # type: ignore[union-attr,arg-type]

        assert len([s for s in standin.sent if s.path.endswith("/threads")]) == 1  # one thread per question
        thread_json = standin.threads[-1]
        thread = discord.Thread(guild=guild, state=state, data=thread_json)  # type: ignore[arg-type]
        follow = dm_message("and on dialogue?", channel_id=thread.id)
        follow["guild_id"] = str(GUILD_ID)
        await cog.on_message(discord.Message(state=state, channel=thread, data=follow))  # type: ignore[union-attr,arg-type]

    standin = _run(answerer, body)
    thread_id = standin.threads[-1]["id"]
    posts = [m for m in standin.messages() if m.path == f"/channels/{thread_id}/messages"]
    assert len(posts) >= 2  # the answer and the follow-up's answer, both inside the thread
    assert "Zhiming Zheng" in _all_text(posts[0])
    # "and on dialogue?" kept Hainan Zhang: her dialogue-era work is in the corpus.
    assert "dialogue" in _all_text(posts[-1]).lower()


class _Slow:
    """Answers after a pause, in the worker thread, like a cold index or a slow LLM."""

    def __init__(self, inner: Answerer) -> None:
        self.inner = inner
        self.store = inner.store

    def ask(self, question: str, previous: Any = None) -> Any:
        import time

        time.sleep(1.0)
        return self.inner.ask(question)


def test_a_slow_answer_does_not_block_other_users(answerer):
    async def body(bot, standin):
        slow = asyncio.create_task(_invoke(bot, "ask", question="Who is Hanlin Gu?"))
        await asyncio.sleep(0.1)
        await _invoke(bot, "help")
        await slow

    standin = _run(_Slow(answerer), body)
    contents = [m.payload.get("content") or "" for m in standin.messages()]
    help_at = next(i for i, c in enumerate(contents) if "Ask me about papers" in c)
    assert help_at == 0  # /help was answered while the slow question was still being worked on


def test_about_and_name_autocomplete(answerer):
    async def body(bot, standin):
        await _invoke(bot, "about")
        payload = command_interaction("profile", {"name": "Hanl"})
        payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
        payload["data"]["options"][0]["focused"] = True
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]

    standin = _run(answerer, body)
    about = _all_text(standin.messages()[0])
    assert "Papers" in about and "minilm-static" in about
    (auto,) = [c for c in standin.callbacks() if c["type"] == 8]
    assert "Hanlin Gu" in [c["name"] for c in auto["data"]["choices"]]


class _ListSource:
    """New papers from memory, in the PaperSource shape (the real sources have their own tests)."""

    name = "memory"

    def __init__(self, papers: list[Any]) -> None:
        self.papers = papers

    def fetch(self, since: Any, until: Any, *, topics: Any, authors: Any) -> Any:
        from scholarbot.digest.types import Fetched

        return Fetched(self.name, list(self.papers))


def test_digest_commands_and_a_scheduled_post(answerer, tmp_path):
    from datetime import UTC, datetime, timedelta

    from scholarbot.digest.post import ChannelPoster
    from scholarbot.digest.service import Digests
    from scholarbot.records import Author, Paper, paper_id_for

    title = "FedTiny: Federated Fine-Tuning of Large Language Models on Phones"
    new = Paper(
        id=paper_id_for(title),
        title=title,
        abstract="We fine-tune large language models across phones with federated learning.",
        authors=(Author("Hanlin Gu"), Author("Ada Lovelace")),
        year=2026,
        venue="arXiv",
        url="https://arxiv.org/abs/2611.00001",
        sources=("memory",),
    )
    settings = Settings()
    settings.digest.state_path = tmp_path / "digests.sqlite3"
    services = type("S", (), {"store": answerer.store, "embedder": answerer.embedder})()
    digests = Digests(
        settings,
        services,
        sources=[_ListSource([new])],
        background=answerer.index.matrix,  # type: ignore[arg-type]
    )

    async def body(bot, standin):
        bot.get_cog("Digest").loop.cancel()  # the test drives time itself
        state = bot._connection
        _guild_channel(bot)
        group = bot.tree.get_command("digest")
        sub_cmd = group.get_command("subscribe")  # type: ignore[union-attr]
        payload = command_interaction("digest", {})
        payload["data"]["options"] = [
            {
                "type": 1,
                "name": "subscribe",
                "options": [{"type": 3, "name": "topics", "value": "federated LLMs"}],
            }
        ]
        await bot.tree._call(discord.Interaction(data=payload, state=state))  # type: ignore[arg-type]
        assert sub_cmd is not None
        assert len(digests.state.list_subscriptions(channel_id=CHANNEL_ID)) == 1
        later = datetime.now(UTC) + timedelta(days=2)
        first = await digests.run(later, ChannelPoster(bot))
        again = await digests.run(later + timedelta(days=1), ChannelPoster(bot))
        assert [r.posted for r in first] == [True], first
        assert all(not r.posted for r in again)  # the same paper is never sent to a channel twice

    standin = _run(answerer, body, digests=digests)
    replies = [m for m in standin.messages() if "Subscribed" in (m.payload.get("content") or "")]
    assert replies and replies[0].payload["flags"] & EPHEMERAL
    posts = [m for m in standin.messages() if m.path == f"/channels/{CHANNEL_ID}/messages"]
    assert len(posts) == 1
    embed = posts[0].payload["embeds"][0]
    assert "FedTiny" in embed["description"] and "federated LLMs" in embed["description"]
    assert embed["footer"]["text"].startswith("digest:")


def test_changing_digests_needs_manage_channels(answerer, tmp_path):
    from scholarbot.digest.service import Digests

    settings = Settings()
    settings.digest.state_path = tmp_path / "digests.sqlite3"
    services = type("S", (), {"store": answerer.store, "embedder": answerer.embedder})()
    digests = Digests(settings, services, sources=[], background=answerer.index.matrix)  # type: ignore[arg-type]

    async def body(bot, standin):
        bot.get_cog("Digest").loop.cancel()
        payload = command_interaction("digest", {})
        payload["member"]["permissions"] = "0"  # a member without Manage Channels
        payload["data"]["options"] = [
            {"type": 1, "name": "subscribe", "options": [{"type": 3, "name": "topics", "value": "graphs"}]}
        ]
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]

    standin = _run(answerer, body, digests=digests)
    (reply,) = standin.messages()
    assert "Manage Channels" in reply.payload["content"] and reply.payload["flags"] & EPHEMERAL
    assert digests.state.list_subscriptions() == []
    # The synced group also asks Discord to hide it from members without the permission.
    (group,) = [c for c in standin.synced_commands if c["name"] == "digest"]
    assert int(group["default_member_permissions"]) & (1 << 4)
