"""The bot end to end: real discord.py, real command tree, a loopback stand-in for Discord's REST API.

Interactions and messages are built from Discord's payload shapes and fed to the bot the way the
gateway would; assertions are on the HTTP requests the bot makes (deferrals, embeds, files, views,
ephemeral flags, allowed mentions) and on the command payloads it syncs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from scholarbot.answers import Answerer
from scholarbot.bot.client import UNEXPECTED, ScholarBot
from scholarbot.config import Settings

from conftest import sample_store
from discord_standin import (
    CHANNEL_ID,
    DM_CHANNEL_ID,
    DiscordStandIn,
    command_interaction,
    component_interaction,
    dm_message,
    guild_message,
    run_client,
)

pytestmark = pytest.mark.integration

CARD = "Who collaborates with Hainan Zhang on federated LLMs?"
EPHEMERAL = 1 << 6
NAME_RX = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Answerer:
    answerer = Answerer(sample_store(tmp_path_factory.mktemp("bot-store"), model_cache))
    answerer.warm()
    return answerer


def _run(
    answerer: Any,
    body: Callable[[ScholarBot, DiscordStandIn], Awaitable[None]],
    digests: Any = None,
    standin: DiscordStandIn | None = None,
    **discord_cfg: Any,
) -> DiscordStandIn:
    """Log a bot in against the stand-in (its guild cached as after GUILD_CREATE), run `body`, close."""
    standin = standin or DiscordStandIn()
    settings = Settings()
    for key, value in discord_cfg.items():
        setattr(settings.discord, key, value)

    return run_client(
        standin, lambda: ScholarBot(settings=settings, answerer=answerer, digests=digests), body
    )


async def _invoke(bot: ScholarBot, command: str, uid: int = 42, **options: Any) -> discord.Interaction:
    cmd = bot.tree.get_command(command)
    assert cmd is not None, command
    payload = command_interaction(command, options, uid=uid)
    interaction = discord.Interaction(data=payload, state=bot._connection)  # type: ignore[arg-type]
    await bot.tree._call(interaction)
    return interaction


def _all_text(sent: Any) -> str:
    parts = [sent.payload.get("content") or ""]
    for e in sent.payload.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)


def _text_below_title(sent: Any) -> str:
    """Everything a message says except its embeds' titles (an answer's title repeats the question)."""
    parts = [sent.payload.get("content") or ""]
    for e in sent.payload.get("embeds") or []:
        parts += [e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)


def _thread_posts(standin: DiscordStandIn) -> list[Any]:
    thread_ids = {f"/channels/{t['id']}/messages" for t in standin.threads}
    return [m for m in standin.messages() if m.path in thread_ids]


def _thread_of(answerer: Any, first: str, *follow_ups: str) -> list[Any]:
    """The bot's posts in the thread a mention opens, with plain follow-ups (message content on)."""

    async def body(bot: ScholarBot, standin: DiscordStandIn) -> None:
        await standin.deliver(bot, guild_message(first, mention_bot=True))
        thread_id = int(standin.threads[-1]["id"])
        for text in follow_ups:
            await standin.deliver(bot, guild_message(text, channel_id=thread_id))

    return _thread_posts(_run(answerer, body, message_content=True))


def test_synced_commands_follow_discords_rules(answerer):
    async def body(bot, standin):
        assert standin.synced_where == []  # logging in (or starting) never syncs: `scholarbot sync` does
        await bot.sync_commands()

    standin = _run(answerer, body)
    assert standin.synced_where == ["global"]
    names = {c["name"] for c in standin.synced_commands}
    assert {"ask", "profile", "paper", "collaborators", "help", "about", "saved", "Ask scholarbot"} <= names
    for c in standin.synced_commands:
        if c.get("type", 1) != 1:
            # Context menus: 1-32 characters, case and spaces allowed, and no description at all.
            assert 1 <= len(c["name"]) <= 32 and not c.get("description") and not c.get("options")
            continue
        assert NAME_RX.match(c["name"]) and c["name"] == c["name"].lower()
        assert 1 <= len(c["description"]) <= 100
        options = c.get("options", [])
        assert len(options) <= 25
        for o in options:
            assert NAME_RX.match(o["name"]) and 1 <= len(o["description"]) <= 100
            assert len(o.get("choices", [])) <= 25


def test_a_cog_that_failed_to_load_blocks_the_sync(answerer, monkeypatch):
    from scholarbot.bot import client as client_module
    from scholarbot.errors import ScholarbotError

    monkeypatch.setattr(
        client_module, "INITIAL_EXTENSIONS", (*client_module.INITIAL_EXTENSIONS, "no.such.cog")
    )

    async def body(bot, standin):
        with pytest.raises(ScholarbotError, match=r"no\.such\.cog failed to load"):
            await bot.sync_commands()

    standin = _run(answerer, body)
    assert standin.synced_where == []  # a sync now would have deleted that cog's commands everywhere


def test_ask_defers_at_once_then_answers_with_cited_embeds(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question=CARD)

    standin = _run(answerer, body)
    assert standin.callbacks()[0]["type"] == 5  # deferred before any work
    messages = standin.messages()
    assert messages and not standin.rejected()
    text = "\n".join(_all_text(m) for m in messages)
    for name in ("Zhiming Zheng", "Xiaoshan Yang", "Hongwei Zheng", "Shule Lu", "Yujing Wang"):
        assert name in text
    assert "Yanyan Lan" not in text
    assert messages[0].edited_original and not messages[0].ephemeral  # the answer replaces "thinking…"
    for m in messages:
        assert m.payload.get("allowed_mentions") == {"parse": []}  # paper text can never ping anyone


def test_profile_sends_a_card_with_the_coauthor_network(answerer):
    async def body(bot, standin):
        await _invoke(bot, "profile", name="Hanlin Gu")

    standin = _run(answerer, body)
    (card,) = [m for m in standin.messages() if m.files]
    assert card.files == ["coauthors.png"]
    (embed,) = card.payload["embeds"]
    assert embed["title"].startswith("Hanlin Gu")
    assert "Qiang Yang" in _all_text(card)


def test_namesake_menu_shows_the_chosen_one_and_expires(answerer, monkeypatch):
    async def body(bot, standin):
        # load_extension imported the cog afresh: patch the module the bot runs.
        monkeypatch.setattr(sys.modules["scholarbot.bot.cogs.library"], "MENU_TIMEOUT_S", 1.0)
        await _invoke(bot, "profile", name="Zheng Lin")
        (card,) = [m for m in standin.messages() if m.payload.get("components")]
        select = card.payload["components"][0]["components"][0]
        assert select["type"] == 3 and 2 <= len(select["options"]) <= 25
        assert all(len(o["label"]) <= 100 for o in select["options"])
        # Pick another namesake the way Discord delivers the choice: a component interaction.
        choice = select["options"][1]["value"]
        await standin.interact(bot, component_interaction(card.response, select["custom_id"], [choice]))
        await asyncio.sleep(1.5)  # past the menu's timeout

    standin = _run(answerer, body)
    cards = [m for m in standin.messages() if m.files]
    assert len(cards) == 2 and cards[1].payload["embeds"][0]["title"].startswith("Zheng Lin")
    assert cards[0].payload["embeds"][0] != cards[1].payload["embeds"][0]  # another person's card
    # The expired menu was disabled in place (an edit of the card's message), not left to fail.
    (edit,) = [s for s in standin.sent if s.method == "PATCH" and s.path.endswith(cards[0].response["id"])]
    assert edit.payload["components"][0]["components"][0]["disabled"] is True


def test_a_failing_namesake_choice_is_answered_privately(answerer, caplog):
    async def body(bot, standin):
        await _invoke(bot, "profile", name="Zheng Lin")
        (card,) = [m for m in standin.messages() if m.payload.get("components")]
        select = card.payload["components"][0]["components"][0]
        # A stale choice: the id is gone from the store (re-ingested since the menu was sent).
        payload = component_interaction(card.response, select["custom_id"], ["r_gone"])
        await standin.interact(bot, payload)

    with caplog.at_level(logging.ERROR, logger="scholarbot.bot"):
        standin = _run(answerer, body)
    last = standin.messages()[-1]
    assert last.ephemeral and not last.edited_original
    assert "r_gone" in last.payload["content"] or last.payload["content"] == UNEXPECTED


def test_cooldown_is_refused_privately_before_deferring(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")
        await _invoke(bot, "profile", name="Hanlin Gu")  # one budget for every command that does work

    standin = _run(answerer, body, cooldown_questions=1, cooldown_seconds=3600)
    last = standin.messages()[-1]
    assert "try again" in last.payload["content"]
    # Private for real: a refusal sent after a public deferral would edit the public "thinking…".
    assert last.ephemeral and not last.edited_original
    assert [c["type"] for c in standin.callbacks()] == [5, 4]


def test_channels_outside_the_allow_list_get_a_private_refusal(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")

    standin = _run(answerer, body, allowed_channel_ids=[1])
    (reply,) = standin.messages()
    assert "not enabled" in reply.payload["content"] and reply.ephemeral


class _Exploding:
    """An answerer whose every call fails unexpectedly."""

    store = None

    def ask(self, question: str, previous: Any = None, earlier: Any = (), before: Any = None) -> Any:
        raise RuntimeError("disk on fire")


def test_unexpected_errors_are_private_short_and_logged_in_full(answerer, caplog):
    async def body(bot, standin):
        await _invoke(bot, "ask", question="Who is Hanlin Gu?")

    with caplog.at_level(logging.ERROR, logger="scholarbot.bot"):
        standin = _run(_Exploding(), body)
    reply = standin.messages()[-1]
    assert reply.payload["content"] == UNEXPECTED
    # The public "thinking…" was deleted first, so the apology is private, not an edit of it.
    assert reply.ephemeral and not reply.edited_original
    assert any(s.method == "DELETE" and s.path.endswith("/messages/@original") for s in standin.sent)
    assert any("disk on fire" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert all("not-a-real-token" not in r.getMessage() for r in caplog.records)


def test_a_conversation_carries_the_person_into_follow_ups(answerer):
    async def body(bot, standin):
        for text in (CARD, "what did they publish in 2021?"):
            await standin.deliver(bot, dm_message(text))

    standin = _run(answerer, body)
    posts = [m for m in standin.messages() if m.path == f"/channels/{DM_CHANNEL_ID}/messages"]
    assert len(posts) >= 2
    follow_up = _all_text(posts[-1])
    # "they" became Hainan Zhang: the 2021 product-description papers are hers.
    assert "Posterior" in follow_up


def test_a_mention_opens_a_thread_where_mentioned_follow_ups_keep_the_context(answerer):
    async def body(bot, standin):
        await standin.deliver(bot, guild_message(CARD, mention_bot=True))
        assert len(standin.threads) == 1  # one thread per question
        thread_id = int(standin.threads[-1]["id"])
        # Without the message-content intent Discord delivers a plain follow-up with empty text:
        # the bot must stay silent, not answer an empty message with the help text.
        await standin.deliver(bot, guild_message("and on dialogue?", channel_id=thread_id))
        assert len(_thread_posts(standin)) == 1
        await standin.deliver(bot, guild_message("and on dialogue?", channel_id=thread_id, mention_bot=True))

    standin = _run(answerer, body)
    posts = _thread_posts(standin)
    assert len(posts) == 2  # the answer and the mentioned follow-up's answer, both inside the thread
    assert "Zhiming Zheng" in _all_text(posts[0])
    assert "Mention me" in (posts[0].payload.get("content") or "")  # says how to follow up
    # "and on dialogue?" kept Hainan Zhang (the title only repeats the question, so read below it).
    follow_up = _text_below_title(posts[1])
    assert "Hainan Zhang" in follow_up and "dialogue" in follow_up.lower()


def test_with_the_message_content_intent_plain_follow_ups_are_answered(answerer):
    async def body(bot, standin):
        assert bot.intents.message_content
        await standin.deliver(bot, guild_message(CARD, mention_bot=True))
        thread_id = int(standin.threads[-1]["id"])
        await standin.deliver(bot, guild_message("and on dialogue?", channel_id=thread_id))
        await standin.deliver(bot, guild_message("thanks, everyone", channel_id=CHANNEL_ID))  # not for us

    standin = _run(answerer, body, message_content=True)
    posts = _thread_posts(standin)
    assert len(posts) == 2 and "Mention me" not in (posts[0].payload.get("content") or "")
    assert "Hainan Zhang" in _text_below_title(posts[1])
    assert len(standin.threads) == 1


def test_a_pronoun_in_a_thread_means_the_person_the_thread_asked_about(answerer):
    posts = _thread_of(
        answerer,
        "what is Hainan Zhang's most cited paper?",
        "who else is on that one?",
        "what else has she published?",
    )
    assert len(posts) == 3
    # The authors' list names several people; "she" is the one the thread began with.
    assert "Hainan Zhang" in _text_below_title(posts[1])
    last = _text_below_title(posts[2])
    assert "Who do you mean" not in last and "Hainan Zhang has" in last, last


def test_a_filter_after_who_wrote_one_paper_narrows_the_list_the_paper_came_from(answerer):
    posts = _thread_of(
        answerer, "papers on federated learning", "who wrote the first one?", "only at WWW pls"
    )
    assert len(posts) == 3
    assert " is by " in _text_below_title(posts[1])
    # The papers on federated learning at WWW, not the one paper's authors again.
    last = _all_text(posts[2])
    assert "federated learning" in last.lower() and "WWW" in last and " is by " not in last, last


def test_asking_for_help_in_words_gets_the_commands_as_help_does(answerer):
    async def body(bot, standin):
        await standin.deliver(bot, dm_message("help"))
        await standin.deliver(bot, guild_message("hey, what are your commands?", mention_bot=True))
        await _invoke(bot, "ask", question="help pls")
        await standin.deliver(bot, dm_message("can you help me find papers on dialogue?"))

    standin = _run(answerer, body)
    contents = [m.payload.get("content") or "" for m in standin.messages()]
    # The command list, not example questions or a search for "commands"; no thread opened for it.
    assert sum("/digest subscribe" in c for c in contents) == 3, contents
    assert not standin.threads
    ask_reply = next(
        m
        for m in standin.messages()
        if "/digest subscribe" in (m.payload.get("content") or "") and m.ephemeral
    )
    assert ask_reply is not None
    # Help with a topic is a question about papers.
    assert "dialogue" in _all_text(standin.messages()[-1]).lower()


def test_a_mention_never_goes_through_prefix_commands(answerer, caplog):
    async def body(bot, standin):
        await standin.deliver(bot, guild_message("Who is Hanlin Gu?", mention_bot=True))

    with caplog.at_level(logging.DEBUG):
        standin = _run(answerer, body)
    assert _thread_posts(standin)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "not found" in r.getMessage().lower()]


class _Outage:
    """An answerer whose model endpoint is down (a ScholarbotError with a message for users)."""

    store = None

    def ask(self, question: str, previous: Any = None, earlier: Any = (), before: Any = None) -> Any:
        from scholarbot.errors import ScholarbotError

        raise ScholarbotError("The answer model is not reachable right now; try again in a minute.")


def test_a_failed_answer_is_said_in_the_thread_not_left_silent(answerer):
    async def body(bot, standin):
        await standin.deliver(bot, guild_message("Who is Hanlin Gu?", mention_bot=True))

    standin = _run(_Outage(), body)
    (post,) = _thread_posts(standin)
    assert "not reachable" in post.payload["content"]


def test_without_create_threads_the_answer_comes_inline(answerer):
    from discord_standin import CREATE_PUBLIC_THREADS

    standin = DiscordStandIn()
    standin.channels[CHANNEL_ID].bot_deny = CREATE_PUBLIC_THREADS

    async def body(bot, standin):
        await standin.deliver(bot, guild_message(CARD, mention_bot=True))

    _run(answerer, body, standin=standin)
    assert standin.threads == [] and any(s.status == 403 for s in standin.sent)
    posts = [m for m in standin.messages() if m.path == f"/channels/{CHANNEL_ID}/messages"]
    assert posts and "Zhiming Zheng" in _all_text(posts[0])
    assert posts[0].payload.get("message_reference")  # a reply to the question


def test_follow_up_context_belongs_to_its_asker(answerer):
    async def body(bot, standin):
        await _invoke(bot, "ask", uid=42, question=CARD)
        await _invoke(bot, "ask", uid=43, question="what did they publish in 2021?")

    standin = _run(answerer, body)
    other = _all_text(standin.messages()[-1])
    # User 43 never named anyone: they do not inherit user 42's Hainan Zhang in a shared channel.
    assert "Posterior" not in other


def test_history_forgets_idle_conversations():
    from scholarbot.answers.query import Query
    from scholarbot.bot.cogs.ask import History
    from scholarbot.bot.conversation import Turn

    history = History(ttl_s=60, most=2)
    turn = Turn("who is x?", Query(op="profile", people=("X",)))
    history.add("a", turn, now=0)
    assert history.get("a", now=30) == [turn]
    assert history.get("a", now=100) == []  # idle past the ttl
    for key in ("a", "b", "c"):
        history.add(key, turn, now=200)
    assert history.get("a", now=200) == [] and history.get("c", now=200) == [turn]  # most=2


def test_a_follow_up_builds_on_the_last_question_asked_even_about_no_one():
    from scholarbot.answers.query import Query
    from scholarbot.bot.conversation import Turn, last_query

    person = Turn("papers by X", Query(op="papers_by", people=("X",)))
    topic = Turn("who at CMU works on MT?", Query(op="who_works_on", topic="MT", institution="CMU"))
    thanks = Turn("thanks!", Query(op="help"))
    assert last_query([person, topic, thanks]) == topic.query  # the help text is no question
    assert last_query([topic, person]) == person.query
    assert last_query([thanks]) is None


def test_the_query_before_the_last_is_the_one_before_it_that_asked_something():
    from scholarbot.answers.query import Query
    from scholarbot.bot.conversation import Turn, query_before

    papers = Turn("papers on MT", Query(op="find_papers", topic="MT"))
    wrote = Turn("who wrote the first one?", Query(op="paper_authors", topic="A Title"))
    thanks = Turn("thanks!", Query(op="help"))
    assert query_before([papers, thanks, wrote, thanks]) == papers.query
    assert query_before([wrote]) is None and query_before([]) is None


def test_the_people_a_conversation_named_are_kept_newest_first():
    from scholarbot.answers.query import Query
    from scholarbot.bot.conversation import Turn, people_named

    turns = [
        Turn("papers by X", Query(op="papers_by", people=("X",))),
        Turn("who wrote it?", Query(op="paper_authors", topic="A Title")),
        Turn("X and Y together?", Query(op="joint_papers", people=("Y", "X"))),
    ]
    assert people_named(turns) == ("Y", "X") and people_named([]) == ()


class _Slow:
    """Answers after a pause, in the worker thread, like a cold index or a slow LLM."""

    def __init__(self, inner: Answerer, seconds: float = 1.0) -> None:
        self.inner = inner
        self.store = inner.store
        self.seconds = seconds

    def ask(self, question: str, previous: Any = None, earlier: Any = (), before: Any = None) -> Any:
        time.sleep(self.seconds)
        return self.inner.ask(question)

    def suggest_names(self, prefix: str, limit: int = 25) -> Any:
        return self.inner.suggest_names(prefix, limit)


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


def test_autocomplete_never_waits_behind_answers(answerer):
    waited: list[float] = []

    async def body(bot, standin):
        slow = [
            asyncio.create_task(_invoke(bot, "ask", uid=uid, question="Who is Hanlin Gu?")) for uid in (1, 2)
        ]
        await asyncio.sleep(0.2)  # both answers now hold the two answer lanes
        payload = command_interaction("profile", {"name": "Hanl"})
        payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
        payload["data"]["options"][0]["focused"] = True
        started = time.perf_counter()
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        waited.append(time.perf_counter() - started)
        await asyncio.gather(*slow)

    standin = _run(_Slow(answerer, seconds=3.0), body)
    (auto,) = [c for c in standin.callbacks() if c["type"] == 8]
    assert "Hanlin Gu" in [c["name"] for c in auto["data"]["choices"]]
    assert waited[0] < 1.5  # Discord drops autocomplete answers after 3 s; two answers take 3 s each


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
    assert standin.messages()[0].ephemeral
    (auto,) = [c for c in standin.callbacks() if c["type"] == 8]
    assert "Hanlin Gu" in [c["name"] for c in auto["data"]["choices"]]
