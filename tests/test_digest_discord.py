"""Digests posted through the real discord.py to the strict stand-in: lag, outages, races, crashes, limits.

The runner is driven over simulated time; every post goes through `ChannelPoster` and discord.py's
HTTP client to the stand-in, which answers as Discord does (400 for oversized messages, 403 without
permissions, an empty history without Read Message History, one message per enforced nonce).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from scholarbot.bot.digest_post import ChannelPoster, digest_messages
from scholarbot.digest.runner import RunResult, run_due
from scholarbot.digest.sources.common import SourceError
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import Digest, Fetched, PostedParts, Ranked, Subscription
from scholarbot.records import Author, Paper, paper_id_for

from discord_standin import (
    CHANNEL_ID,
    GUILD_ID,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    DiscordStandIn,
    form_errors,
    guild_message,
    run_client,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
CREATOR = 4242


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- fakes ----------------------------------------------------------------------------------


@dataclass
class Clock:
    now: datetime = START


@dataclass
class LaggedSource:
    """A source that lists papers by submission time but shows each only `lag` after it (like arXiv)."""

    name: str
    clock: Clock
    items: list[tuple[datetime, timedelta, Paper]]
    down: tuple[datetime, datetime] | None = None
    calls: list[tuple[datetime, datetime]] = field(default_factory=list)

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        self.calls.append((since, until))
        if self.down and self.down[0] <= self.clock.now < self.down[1]:
            raise SourceError(self.name, "answered HTTP 503 after 5 attempts")
        visible = [
            p
            for published, lag, p in self.items
            if since <= published < until and published + lag <= self.clock.now
        ]
        return Fetched(self.name, visible)


def keyword_rank(papers: list[Paper], sub: Subscription) -> list[Ranked]:
    """0.9 when the title names a topic, else 0.1 (below every threshold used here)."""
    out = []
    for p in papers:
        hits = [t for t in sub.topics if t in p.title.lower()]
        out.append(Ranked(p, 0.9 if hits else 0.1, f"mentions {', '.join(hits) or 'nothing'}"))
    return out


def paper(title: str, **kw: Any) -> Paper:
    return Paper(id=paper_id_for(title), title=title, authors=(Author("Ada Lovelace"),), **kw)


def sub(**overrides: Any) -> Subscription:
    fields: dict[str, Any] = {"topics": ("transformer",), "timezone": "UTC", "hour": 9, "created_by": CREATOR}
    fields.update(overrides)
    return Subscription(id=0, guild_id=GUILD_ID, channel_id=CHANNEL_ID, **fields)


class SimulatedCrash(BaseException):
    """The process dies: not an Exception, so nothing in the runner may swallow it."""


class CrashAfterPost:
    """A ChannelPoster whose process dies right after Discord accepted the message."""

    def __init__(self, inner: ChannelPoster) -> None:
        self.inner = inner

    async def post(
        self, digest: Digest, *, resume_after: datetime | None = None, parts: PostedParts | None = None
    ) -> int | None:
        await self.inner.post(digest, resume_after=resume_after, parts=parts)
        raise SimulatedCrash("died after posting, before recording")

    async def find(self, channel_id: int, marker: str, *, after: datetime) -> int | None:
        return await self.inner.find(channel_id, marker, after=after)

    async def notify(self, s: Subscription, text: str) -> bool:
        return await self.inner.notify(s, text)


def discord_run(
    body: Callable[[discord.Client, DiscordStandIn], Awaitable[None]],
    standin: DiscordStandIn | None = None,
    *,
    cached: bool = True,
) -> DiscordStandIn:
    """Log a client in against the stand-in: `cached` like the bot (guild from the gateway), else
    REST only like `scholarbot digest run` from cron."""
    return run_client(
        standin or DiscordStandIn(),
        lambda: discord.Client(intents=discord.Intents.default()),
        body,
        cached=cached,
    )


def posted_titles(standin: DiscordStandIn) -> list[str]:
    """Every paper title in every digest message the channel holds."""
    titles = []
    for m in standin.channel_messages(CHANNEL_ID):
        for e in m.get("embeds") or []:
            for line in (e.get("description") or "").split("\n"):
                if m := re.match(r"\*\*\[\d+\]\*\* (?:\[(.+?)\]\(\S+\)|(.+?)) — ", line):
                    titles.append(m.group(1) or m.group(2))
    return titles


def digest_posts(standin: DiscordStandIn) -> list[dict[str, Any]]:
    return [
        m
        for m in standin.channel_messages(CHANNEL_ID)
        if any("digest:" in ((e.get("footer") or {}).get("text") or "") for e in m.get("embeds") or [])
    ]


def run(state: DigestState, now: datetime, poster: Any, sources: list[Any], **kw: Any) -> Any:
    return run_due(
        now, state=state, sources=sources, rank=keyword_rank, absorb=lambda papers: None, poster=poster, **kw
    )


# --- a week of lag and an outage ------------------------------------------------------------


def _lag(title: str) -> timedelta:
    # 1 to 3 days, spread by a hash of the title so every run of the test sees the same week.
    return timedelta(hours=24 + int(hashlib.sha1(title.encode()).hexdigest(), 16) % 49)


def test_a_week_with_announcement_lag_and_an_outage_sends_every_paper_once(tmp_path: Path) -> None:
    clock = Clock()
    items = []
    for hour in range(0, 7 * 24, 8):  # a paper every 8 hours for a week; every third off topic
        when = START + timedelta(hours=hour)
        title = f"Transformer finding {hour}" if hour % 3 else f"Cell biology note {hour}"
        items.append((when, _lag(title), paper(title, date=when.date().isoformat())))
    local = [
        (START + timedelta(hours=h), timedelta(0), paper(f"Transformer from the lab {h}")) for h in (30, 100)
    ]
    arxiv = LaggedSource("arxiv", clock, items, down=(utc("2026-03-05T06:00"), utc("2026-03-06T20:00")))
    sources = [arxiv, LaggedSource("local", clock, local)]
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(sub(top_n=10), created_at=START)
    lookback = {"arxiv": timedelta(days=5), "local": timedelta(0)}
    end = START + timedelta(days=11)
    results: list[RunResult] = []

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        poster = ChannelPoster(client)
        while clock.now <= end:
            standin.now = clock.now
            results.extend(await run(state, clock.now, poster, sources, lookback=lookback))
            clock.now += timedelta(hours=1)

    standin = discord_run(body)
    state.close()
    relevant = sorted(p.title for _, _, p in items + local if "transformer" in p.title.lower())
    sent = posted_titles(standin)
    assert sorted(sent) == relevant  # every relevant paper, each exactly once, nothing else
    assert not standin.rejected()
    # The outage was reported in the digests it touched, and arXiv's window was asked for again.
    assert any(r.problems for r in results) and all(r.posted for r in results if r.digest)
    assert len(digest_posts(standin)) == len([r for r in results if r.posted])


# --- two runners, one post ------------------------------------------------------------------


def test_two_runners_racing_post_once(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    bot_state, cron_state = DigestState(path), DigestState(path)  # the bot's loop and a cron job
    bot_state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer race"))])
    outcomes: list[list[RunResult]] = []

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        standin.post_delay = 0.5  # the first post is in flight while the second runner starts
        poster = ChannelPoster(client)

        async def later() -> list[RunResult]:
            await asyncio.sleep(0.2)
            return await run(cron_state, clock.now + timedelta(minutes=1), poster, [source])

        outcomes.extend(await asyncio.gather(run(bot_state, clock.now, poster, [source]), later()))
        # An hour on, both run again: the digest is recorded, nothing is due, nothing is reposted.
        clock.now += timedelta(hours=1)
        standin.now = clock.now
        outcomes.append(await run(cron_state, clock.now, poster, [source]))
        outcomes.append(await run(bot_state, clock.now, poster, [source]))

    standin = discord_run(body)
    assert len(digest_posts(standin)) == 1
    first, second, *after = outcomes
    assert [r.posted for r in first] == [True]
    assert [r.skipped_reason for r in second] == ["a digest is being posted by another run"]
    assert after == [[], []] and bot_state.pending_intents() == []
    bot_state.close()
    cron_state.close()


def test_the_same_digest_from_two_state_files_is_still_one_message(tmp_path: Path) -> None:
    # Misconfigured: the bot and cron keep separate state files, so neither sees the other's claim.
    # The digest id is the nonce, and Discord returns the first message for a repeated nonce.
    states = [DigestState(tmp_path / f"{n}.sqlite3") for n in (1, 2)]
    for state in states:
        state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer twice"))])

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        for state in states:
            [result] = await run(state, clock.now, ChannelPoster(client), [source])
            assert result.posted

    standin = discord_run(body, cached=False)
    assert len(digest_posts(standin)) == 1
    sends = [s for s in standin.sent if s.method == "POST" and s.path.endswith("/messages")]
    assert len(sends) == 2 and sends[0].payload["nonce"] == sends[1].payload["nonce"]
    for state in states:
        state.close()


# --- crashes and reconciling --------------------------------------------------------------


def test_reconcile_finds_a_crashed_digest_behind_a_busy_channel(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer crash"))])

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        with pytest.raises(SimulatedCrash):
            await run(state, clock.now, CrashAfterPost(ChannelPoster(client)), [source])
        # The channel is busy while the bot is down: 120 messages after the digest.
        for n in range(120):
            at = clock.now + timedelta(seconds=10 + n)
            await standin.deliver(client, guild_message(f"chat {n}", at=at))
        clock.now += timedelta(hours=1)
        standin.now = clock.now
        assert await run(state, clock.now, ChannelPoster(client), [source]) == []  # recorded, not due

    standin = discord_run(body)
    assert len(digest_posts(standin)) == 1
    assert state.pending_intents() == [] and state.marks(1).last_run_at == utc("2026-03-03T09:00")
    state.close()


@pytest.mark.parametrize("cached", [True, False], ids=["bot", "cron"])
def test_without_read_message_history_a_crashed_digest_is_held_and_its_creator_told(
    tmp_path: Path, cached: bool
) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    made = state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer unreadable"))])
    standin = DiscordStandIn()

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        with pytest.raises(SimulatedCrash):
            await run(state, clock.now, CrashAfterPost(ChannelPoster(client)), [source])
        standin.channels[CHANNEL_ID].bot_deny = READ_MESSAGE_HISTORY  # history now answers []
        if cached:
            standin.connect(client)  # the gateway would have sent the new overwrite
        clock.now += timedelta(hours=1)
        standin.now = clock.now
        # Held: it cannot tell whether the digest went out, so it pauses rather than post it twice.
        assert await run(state, clock.now, ChannelPoster(client), [source]) == []
        clock.now += timedelta(days=1)
        standin.now = clock.now
        assert await run(state, clock.now, ChannelPoster(client), [source]) == []  # paused until resumed

    discord_run(body, standin, cached=cached)
    assert len(digest_posts(standin)) == 1  # never reposted
    paused = state.get_subscription(made.id)
    assert paused is not None and paused.paused and "Read Message History" in paused.paused
    dms = [m for c, ms in standin.history.items() if standin.channels[c].type == 1 for m in ms]
    assert dms and "/digest resume" in dms[0]["content"]
    state.close()


# --- limits, failures, pauses ---------------------------------------------------------------


def _long_items(count: int = 10) -> list[Paper]:
    authors = tuple(
        Author(f"Author Number{n} With A Remarkably Long Name To Fill The Line") for n in range(12)
    )
    return [
        Paper(
            id=paper_id_for(f"Transformer {n} " + "x" * 200),
            title=f"Transformer {n}: " + "a very long title about attention and its many variants " * 4,
            authors=authors,
            year=2026,
            venue="arXiv",
            url=f"https://doi.org/10.48550/arXiv.2603.{n:05d}/a-publisher-landing-page-with-a-long-slug-{n}",
        )
        for n in range(count)
    ]


def test_an_oversized_digest_is_split_into_messages_discord_accepts(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(sub(top_n=10), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), p) for p in _long_items()])

    def rank(papers: list[Paper], s: Subscription) -> list[Ranked]:
        # Reasons as long as real ones get when a channel follows several topics and people.
        why = "matches “transformer”; by Author Number1 and Author Number2, whom this channel follows"
        return [Ranked(p, 0.9, why) for p in papers]

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        [result] = await run_due(
            clock.now, state=state, sources=[source], rank=rank, absorb=lambda papers: None,
            poster=ChannelPoster(client),
        )  # fmt: skip
        assert result.posted, result.skipped_reason

    standin = discord_run(body)
    assert not standin.rejected()
    posts = digest_posts(standin)
    assert len(posts) >= 2 and len(posted_titles(standin)) == 10
    total = sum(len(e["description"]) for m in posts for e in m["embeds"])
    assert total > 6000  # one message could not have carried it


def test_digest_messages_keep_every_limit() -> None:
    items = tuple(Ranked(p, 0.9, "matches “transformer”; " + "why " * 100) for p in _long_items())
    digest = Digest("d" * 16, 1, CHANNEL_ID, utc("2026-03-03T09:00"), items, problems=("arxiv down " * 300,))
    messages = digest_messages(digest)
    assert len(messages) >= 2
    for embeds in messages:
        payload = {"embeds": [e.to_dict() for e in embeds]}
        assert form_errors(payload) == {}
        assert digest.marker in embeds[0].footer.text  # type: ignore[operator]


def test_a_forbidden_channel_pauses_the_digest_and_tells_its_creator(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    made = state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer forbidden"))])
    standin = DiscordStandIn()
    standin.channels[CHANNEL_ID].bot_deny = SEND_MESSAGES

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        [failed] = await run(state, clock.now, ChannelPoster(client), [source])
        assert not failed.posted and "Send Messages" in (failed.skipped_reason or "")
        for _ in range(5):  # later checks neither post nor fetch again
            clock.now += timedelta(hours=2)
            standin.now = clock.now
            assert await run(state, clock.now, ChannelPoster(client), [source]) == []

    discord_run(body, standin, cached=False)
    assert len(source.calls) == 1 and digest_posts(standin) == []
    paused = state.get_subscription(made.id)
    assert paused is not None and paused.paused and state.pending_intents() == []
    dms = [m for c, ms in standin.history.items() if standin.channels[c].type == 1 for m in ms]
    assert len(dms) == 1 and "paused" in dms[0]["content"]
    assert state.resume(made.id, CHANNEL_ID) and state.get_subscription(made.id).paused is None  # type: ignore[union-attr]
    state.close()


def test_server_errors_back_off_then_post_once(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    made = state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer flaky"))])
    standin = DiscordStandIn()
    standin.fail_posts = [(503, {"message": "Service Unavailable", "code": 0})] * 2

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        for minutes in range(0, 120, 5):  # the bot checks every 5 minutes
            now = clock.now + timedelta(minutes=minutes)
            standin.now = now
            await run(state, now, ChannelPoster(client), [source], backoff=timedelta(minutes=5))

    discord_run(body, standin)
    assert len(digest_posts(standin)) == 1
    # Two failures (waits of 5 and 10 minutes, then the grace before checking the channel): a few
    # fetches, not one every 5 minutes for two hours.
    assert len(source.calls) <= 4
    assert state.marks(made.id).failures == 0 and state.pending_intents() == []
    state.close()


def test_repeated_failures_pause_after_max_failures(tmp_path: Path) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    made = state.add_subscription(sub(), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), paper("Transformer broken"))])
    standin = DiscordStandIn()
    standin.fail_posts = [(400, {"message": "Invalid Form Body", "code": 50035, "errors": {}})] * 10

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        for hours in range(0, 48):
            now = clock.now + timedelta(hours=hours)
            standin.now = now
            await run(state, now, ChannelPoster(client), [source], max_failures=3)

    discord_run(body, standin)
    paused = state.get_subscription(made.id)
    assert paused is not None and paused.paused and "3 posts failed" in paused.paused
    assert len(source.calls) == 3  # a 400 made no message: each retry rebuilt and posted afresh
    state.close()


# --- /digest through the bot ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Any:
    """The bundled sample in a store of its own (digests absorb new papers into it)."""
    from scholarbot.answers import Answerer

    from conftest import sample_store

    answerer = Answerer(sample_store(tmp_path_factory.mktemp("digest-store"), model_cache))
    answerer.warm()
    return answerer


def make_digests(answerer: Any, tmp_path: Path, papers: list[Paper]) -> Any:
    from scholarbot.config import Settings
    from scholarbot.digest.service import Digests

    settings = Settings()
    settings.digest.state_path = tmp_path / "digests.sqlite3"
    services = type(
        "S", (), {"store": answerer.store, "embedder": answerer.embedder, "people_table": lambda self: None}
    )()
    return Digests(settings, services, sources=[AlwaysSource(papers)], background=answerer.index.matrix)  # type: ignore[arg-type]


@dataclass
class AlwaysSource:
    """New papers in every window (the window arithmetic has its own tests above)."""

    papers: list[Paper]
    name: str = "memory"

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        return Fetched(self.name, list(self.papers))


def bot_run(
    answerer: Any, digests: Any, body: Callable[[Any, DiscordStandIn], Awaitable[None]], **digest_cfg: Any
) -> DiscordStandIn:
    from scholarbot.bot.client import ScholarBot
    from scholarbot.config import Settings

    settings = Settings()
    for key, value in digest_cfg.items():
        setattr(settings.digest, key, value)
    return run_client(
        DiscordStandIn(), lambda: ScholarBot(settings=settings, answerer=answerer, digests=digests), body
    )


async def digest_command(bot: Any, name: str, member_permissions: str = "2147483647", **options: Any) -> None:
    from discord_standin import command_interaction

    payload = command_interaction("digest", {})
    payload["member"]["permissions"] = member_permissions
    types = {bool: 5, int: 4, float: 10}
    payload["data"]["options"] = [
        {
            "type": 1,
            "name": name,
            "options": [{"type": types.get(type(v), 3), "name": k, "value": v} for k, v in options.items()],
        }
    ]
    await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))


def replies(standin: DiscordStandIn) -> list[str]:
    return [m.payload.get("content") or "" for m in standin.messages() if m.ephemeral]


FEDTINY = Paper(
    id=paper_id_for("FedTiny: Federated Fine-Tuning of Large Language Models on Phones"),
    title="FedTiny: Federated Fine-Tuning of Large Language Models on Phones",
    abstract="We fine-tune large language models across phones with federated learning.",
    authors=(Author("Hanlin Gu"), Author("Ada Lovelace")),
    year=2026,
    venue="arXiv",
    url="https://arxiv.org/abs/2611.00001",
    sources=("memory",),
)


def test_digest_commands_preview_and_a_scheduled_post(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [FEDTINY])

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()  # the test drives time itself
        await digest_command(bot, "subscribe", topics="federated LLMs")
        [made] = digests.state.list_subscriptions(channel_id=CHANNEL_ID)
        await digest_command(bot, "list")
        # Preview builds the next digest now, though none is due for hours.
        await digest_command(bot, "preview")
        later = datetime.now(UTC) + timedelta(days=2)
        standin.now = later
        first = await digests.run(later, ChannelPoster(bot))
        again = await digests.run(later + timedelta(days=1), ChannelPoster(bot))
        assert [r.posted for r in first] == [True], first
        assert all(not r.posted for r in again)  # the same paper is never sent to a channel twice
        await digest_command(bot, "unsubscribe", subscription=made.id)
        await digest_command(bot, "unsubscribe", subscription=made.id)

    standin = bot_run(sample, digests, body)
    said = replies(standin)
    assert said[0].startswith("Subscribed") and "federated LLMs" in said[0]
    assert said[1].startswith("**#1**") and "daily at 09:00 UTC" in said[1]
    assert "FedTiny" in said[2] and "Nothing is due" not in said[2]
    assert said[3:] == ["Digest #1 stopped.", "No digest #1 in this channel."]
    [post] = digest_posts(standin)
    embed = post["embeds"][0]
    assert "FedTiny" in embed["description"] and "federated LLMs" in embed["description"]
    assert embed["footer"]["text"].startswith("digest:") and not standin.rejected()


def test_changing_digests_needs_manage_channels(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [])

    made = digests.state.add_subscription(Subscription(0, GUILD_ID, CHANNEL_ID, topics=("graphs",)))

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "subscribe", member_permissions="0", topics="speech")
        await digest_command(bot, "edit", member_permissions="0", subscription=made.id, hour=3)
        await digest_command(bot, "pause", member_permissions="0", subscription=made.id)
        digests.state.pause(made.id, "the bot lacks Send Messages in the channel")
        await digest_command(bot, "resume", member_permissions="0", subscription=made.id)
        await digest_command(bot, "unsubscribe", member_permissions="0", subscription=made.id)
        # Nothing changed: no new digest, the old one as it was (still paused by the bot).
        [kept] = digests.state.list_subscriptions()
        assert kept == replace(made, paused="the bot lacks Send Messages in the channel")
        await bot.sync_commands()

    standin = bot_run(sample, digests, body)
    said = standin.messages()
    assert len(said) == 5
    assert all("Manage Channels" in m.payload["content"] and m.ephemeral for m in said)
    # The synced group also asks Discord to hide it from members without the permission.
    (group,) = [c for c in standin.synced_commands if c["name"] == "digest"]
    assert int(group["default_member_permissions"]) & (1 << 4)
    assert {o["name"] for o in group["options"]} >= {
        "subscribe", "list", "edit", "pause", "resume", "unsubscribe", "preview"
    }  # fmt: skip


def test_following_a_researcher_sends_their_papers_not_their_namesakes(sample: Any, tmp_path: Path) -> None:
    # Two new papers by a "Zheng Lin": one with Yuxin Zhang, a frequent coauthor of the split-learning
    # Zheng Lin this channel follows; one with Weiping Wang, who writes with another Zheng Lin.
    theirs = Paper(
        id=paper_id_for("SplitFed on satellites"),
        title="SplitFed on satellites",
        authors=(Author("Zheng Lin"), Author("Yuxin Zhang")),
    )
    namesake = Paper(
        id=paper_id_for("Probing dialogue models"),
        title="Probing dialogue models",
        authors=(Author("Zheng Lin"), Author("Weiping Wang")),
    )
    digests = make_digests(sample, tmp_path, [theirs, namesake])
    followed = "r_cc89174fda56e2a5"
    assert sample.people.entries[followed].name == "Zheng Lin"

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "subscribe", researcher=f"id:{followed}")
        later = datetime.now(UTC) + timedelta(days=2)
        standin.now = later
        [result] = await digests.run(later, ChannelPoster(bot))
        assert result.posted, result
        [made] = digests.state.list_subscriptions()
        assert made.researcher_ids == (followed,) and digests.state.followed(made.id)[followed]

    standin = bot_run(sample, digests, body)
    assert posted_titles(standin) == ["SplitFed on satellites"]


def test_the_digest_loop_posts_on_its_own(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [FEDTINY])
    now = datetime.now(UTC)
    digests.state.add_subscription(
        Subscription(0, GUILD_ID, CHANNEL_ID, topics=("federated LLMs",), hour=now.hour),
        created_at=now - timedelta(days=2),
    )

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot._ready.set()  # as after the gateway's READY, which the loop waits for
        for _ in range(100):
            if digest_posts(standin) and not digests.state.pending_intents():
                return  # posted and recorded
            await asyncio.sleep(0.1)

    standin = bot_run(sample, digests, body, check_minutes=0.005)
    assert len(digest_posts(standin)) == 1


async def digest_autocomplete(
    bot: Any, name: str, focused: str, typed: str = "", channel_id: int = CHANNEL_ID, **options: Any
) -> None:
    """An APPLICATION_COMMAND_AUTOCOMPLETE for /digest `name`: `typed` so far in option `focused`.

    Discord sends the focused option's partial text as a string even for integer options.
    """
    from discord_standin import command_interaction

    payload = command_interaction("digest", {}, channel_id=channel_id)
    payload["type"] = 4
    given = [{"type": 4 if k == "subscription" else 3, "name": k, "value": v} for k, v in options.items()]
    given.append(
        {"type": 4 if focused == "subscription" else 3, "name": focused, "value": typed, "focused": True}
    )
    payload["data"]["options"] = [{"type": 1, "name": name, "options": given}]
    await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))


def autocomplete_answers(standin: DiscordStandIn) -> list[list[dict[str, Any]]]:
    """The choices of every autocomplete answer (callback type 8), in order."""
    return [c["data"]["choices"] for c in standin.callbacks() if c["type"] == 8]


def test_edit_keeps_history_and_schedule_and_pause_stops_posting(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [FEDTINY])

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "subscribe", topics="federated LLMs")
        [made] = digests.state.list_subscriptions(channel_id=CHANNEL_ID)
        later = datetime.now(UTC) + timedelta(days=2)
        standin.now = later
        [first] = await digests.run(later, ChannelPoster(bot))
        assert first.posted
        before = digests.state.marks(made.id)
        await digest_command(bot, "edit", subscription=made.id, hour=7, timezone="Europe/Berlin", top_n=3)
        edited = digests.state.get_subscription(made.id)
        assert (edited.hour, edited.timezone, edited.top_n, edited.topics) == (
            7,
            "Europe/Berlin",
            3,
            made.topics,
        )
        assert digests.state.marks(made.id).last_run_at == before.last_run_at  # its place in the schedule
        assert digests.state.already_sent(CHANNEL_ID, [FEDTINY.id]) == {FEDTINY.id}  # and its history
        await digest_command(bot, "edit", subscription=made.id, timezone="Mars/Olympus")
        await digest_command(bot, "edit", subscription=made.id + 1, hour=3)
        await digest_command(bot, "edit", subscription=made.id)
        # Paused: a due digest is not posted; resumed: it is.
        await digest_command(bot, "pause", subscription=made.id)
        await digest_command(bot, "list")
        digests.sources[0].papers.append(replace_paper(FEDTINY, "FedTiny 2: federated LLMs on watches"))
        much_later = later + timedelta(days=3)
        standin.now = much_later
        assert not any(r.posted for r in await digests.run(much_later, ChannelPoster(bot)))
        await digest_command(bot, "resume", subscription=made.id)
        assert [r.posted for r in await digests.run(much_later, ChannelPoster(bot))] == [True]

    standin = bot_run(sample, digests, body)
    said = replies(standin)
    assert said[1].startswith("Digest #1 now:") and "07:00 Europe/Berlin, top 3" in said[1]
    assert said[2] == "Unknown time zone 'Mars/Olympus'."
    assert said[3] == "No digest #2 in this channel."
    assert said[4].startswith("Nothing to change")
    assert "is paused" in said[5] and "**paused**: paused by" in said[6]
    assert posted_titles(standin) == [FEDTINY.title, "FedTiny 2: federated LLMs on watches"]


def replace_paper(paper: Paper, title: str) -> Paper:
    return replace(paper, id=paper_id_for(title), title=title)


def test_subscription_and_time_zone_autocomplete(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [])
    other = digests.state.add_subscription(
        Subscription(id=0, guild_id=GUILD_ID, channel_id=CHANNEL_ID + 1, topics=("x",))
    )
    long_topic = "very long topic " * 18

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "subscribe", topics="graph neural networks")
        await digest_command(bot, "subscribe", topics="speech", cadence="weekly", timezone="Asia/Tokyo")
        await digest_command(bot, "subscribe", topics=long_topic)
        await digest_command(bot, "pause", subscription=other.id + 2)
        for command in ("edit", "pause", "resume", "unsubscribe"):
            await digest_autocomplete(bot, command, "subscription")
        await digest_autocomplete(bot, "edit", "subscription", typed="speech")
        await digest_autocomplete(bot, "resume", "subscription", typed="#4")
        await digest_autocomplete(bot, "pause", "subscription", typed="9")  # an id, not "09:00"
        await digest_autocomplete(bot, "unsubscribe", "subscription", channel_id=CHANNEL_ID + 2)
        await digest_autocomplete(bot, "subscribe", "timezone")
        await digest_autocomplete(bot, "edit", "timezone", typed="berl", subscription=other.id + 1)
        await digest_autocomplete(bot, "subscribe", "timezone", typed="new york")
        await digest_autocomplete(bot, "subscribe", "timezone", typed="Mars/")

    standin = bot_run(sample, digests, body)
    answers = autocomplete_answers(standin)
    assert len(answers) == 12 and not standin.rejected()
    ours = [other.id + 1, other.id + 2, other.id + 3]
    for choices in answers[:4]:  # this channel's subscriptions only, labelled so a manager tells them apart
        assert [c["value"] for c in choices] == ours
        assert choices[0]["name"] == f"#{ours[0]} · “graph neural networks” · daily at 09:00 UTC"
        assert choices[1]["name"] == f"#{ours[1]} · “speech” · mondays at 09:00 Asia/Tokyo · paused"
        assert len(choices[2]["name"]) == 100 and choices[2]["name"].endswith("…")
    assert [c["value"] for c in answers[4]] == [ours[1]]  # filtered by what was typed
    assert [c["value"] for c in answers[5]] == [ours[2]]
    assert answers[6] == []
    assert answers[7] == []  # another channel's list is its own
    zones = answers[8]
    assert len(zones) == 25 and all(c["name"] == c["value"] and len(c["value"]) <= 100 for c in zones)
    assert [c["value"] for c in answers[9]] == ["Europe/Berlin"]
    assert [c["value"] for c in answers[10]] == ["America/New_York"]
    assert answers[11] == []


def test_edit_changes_the_researcher_and_keeps_one_thing_to_follow(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [])
    followed = "r_cc89174fda56e2a5"  # the split-learning Zheng Lin

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "subscribe", topics="graph neural networks")
        [made] = digests.state.list_subscriptions()
        await digest_autocomplete(bot, "edit", "researcher", typed="no", subscription=made.id)
        await digest_command(bot, "edit", subscription=made.id, researcher=f"id:{followed}", topics="")
        edited = digests.state.get_subscription(made.id)
        assert edited.topics == () and edited.researcher_ids == (followed,)
        assert edited.researcher_names == ("Zheng Lin",) and digests.state.followed(made.id)[followed]
        # Nothing left to follow: refused, and the digest stays as it was.
        await digest_command(bot, "edit", subscription=made.id, researcher="none")
        assert digests.state.get_subscription(made.id) == edited
        await digest_command(bot, "edit", subscription=made.id, researcher="none", topics="speech")
        edited = digests.state.get_subscription(made.id)
        assert (edited.topics, edited.researcher_ids) == (("speech",), ())
        assert digests.state.followed(made.id) == {}

    standin = bot_run(sample, digests, body)
    [none] = autocomplete_answers(standin)
    assert none[0] == {"name": "none (follow the topics only)", "value": "none"}
    said = replies(standin)
    assert said[1].startswith("Digest #1 now: Zheng Lin — daily at 09:00 UTC")
    assert said[2].startswith("A digest needs topics or a researcher")
    assert said[3].startswith("Digest #1 now: “speech”")


def test_resume_restarts_a_digest_the_bot_paused_itself(sample: Any, tmp_path: Path) -> None:
    digests = make_digests(sample, tmp_path, [])
    made = digests.state.add_subscription(Subscription(0, GUILD_ID, CHANNEL_ID, topics=("graphs",)))
    digests.state.pause(made.id, "8 posts failed in a row, the last with: Discord answered 400")
    digests.state.record_failure(made.id, datetime.now(UTC) + timedelta(hours=6))

    async def body(bot: Any, standin: DiscordStandIn) -> None:
        bot.get_cog("Digest").loop.cancel()
        await digest_command(bot, "list")
        await digest_command(bot, "resume", subscription=made.id)
        await digest_command(bot, "list")
        marks = digests.state.marks(made.id)
        assert digests.state.get_subscription(made.id).paused is None
        assert (marks.failures, marks.retry_at) == (0, None)

    standin = bot_run(sample, digests, body)
    listed, resumed, relisted = replies(standin)
    assert "**paused**: 8 posts failed in a row" in listed
    assert resumed == "Digest #1 will post again at its next check."
    assert "paused" not in relisted


def test_a_digest_that_died_between_its_messages_is_finished_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(sub(top_n=10), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), p) for p in _long_items()])
    send = discord.abc.Messageable.send
    calls = 0

    async def dies_on_the_second(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SimulatedCrash("the process died between the digest's two messages")
        return await send(self, *args, **kwargs)

    def rank(papers: list[Paper], s: Subscription) -> list[Ranked]:
        return [Ranked(p, 0.9, "matches “transformer”; by people this channel follows " * 2) for p in papers]

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        standin.now = clock.now
        monkeypatch.setattr(discord.abc.Messageable, "send", dies_on_the_second)
        with pytest.raises(SimulatedCrash):
            await run_due(clock.now, state=state, sources=[source], rank=rank, absorb=lambda p: None,
                          poster=ChannelPoster(client))  # fmt: skip
        monkeypatch.setattr(discord.abc.Messageable, "send", send)
        assert len(digest_posts(standin)) == 1
        # The next runs (a restart, the cron job) find the first part and send only the rest.
        for minutes in (5, 30, 60):
            later = clock.now + timedelta(minutes=minutes)
            standin.now = later
            await run_due(later, state=state, sources=[source], rank=rank, absorb=lambda p: None,
                          poster=ChannelPoster(client))  # fmt: skip

    standin = discord_run(body)
    titles = posted_titles(standin)
    assert len(titles) == len(set(titles)) == 10  # every paper once, none lost
    footers = [e["footer"]["text"] for m in digest_posts(standin) for e in m["embeds"]]
    assert len(footers) == len(set(footers)) >= 2  # every part once
    assert state.pending_intents() == [] and not standin.rejected()
    state.close()


def _sends_failing_on(
    monkeypatch: pytest.MonkeyPatch, failures: dict[int, BaseException]
) -> Callable[[], None]:
    """Make the n-th channel send (1-based, counted from now) raise `failures[n]`; return an undo."""
    send = discord.abc.Messageable.send
    calls = 0

    async def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls in failures:
            raise failures[calls]
        return await send(self, *args, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", failing)
    return lambda: monkeypatch.setattr(discord.abc.Messageable, "send", send)


def _long_rank(papers: list[Paper], s: Subscription) -> list[Ranked]:
    return [Ranked(p, 0.9, "matches “transformer”; by people this channel follows " * 2) for p in papers]


def test_a_digest_stopped_twice_between_its_messages_sends_each_part_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three parts. The process dies after part 1; the bot is down for hours, so the run that finishes
    # the digest posts part 2 long after the intent (past the span a channel search covers), then dies
    # again. The last run must still know part 2 is out: it was recorded as it went out.
    state = DigestState(tmp_path / "d.sqlite3")
    made = state.add_subscription(sub(top_n=16), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), p) for p in _long_items(16)])

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        async def run_at(at: datetime) -> list[RunResult]:
            standin.now = at
            return await run_due(at, state=state, sources=[source], rank=_long_rank, absorb=lambda p: None,
                                 poster=ChannelPoster(client))  # fmt: skip

        undo = _sends_failing_on(monkeypatch, {2: SimulatedCrash("died after part 1")})
        with pytest.raises(SimulatedCrash):
            await run_at(clock.now)
        undo()
        [pending] = state.pending_intents()
        assert list(pending.parts) == [0]  # part 1 is recorded as out
        undo = _sends_failing_on(monkeypatch, {2: SimulatedCrash("died after part 2")})
        with pytest.raises(SimulatedCrash):
            await run_at(clock.now + timedelta(hours=3))
        undo()
        assert sorted(state.posted_parts(pending.id)) == [0, 1]
        assert await run_at(clock.now + timedelta(hours=4)) == []  # finished, recorded, nothing due
        assert state.marks(made.id).last_run_at == clock.now

    standin = discord_run(body)
    titles = posted_titles(standin)
    assert len(titles) == len(set(titles)) == 16  # every paper once, none lost
    footers = [e["footer"]["text"] for m in digest_posts(standin) for e in m["embeds"]]
    assert len(footers) == len(set(footers)) == 3 and footers[-1].endswith("3/3")  # every part once
    assert state.pending_intents() == [] and not standin.rejected()
    state.close()


def test_a_part_that_failed_to_post_is_sent_later_without_repeating_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No crash: Discord does not answer the second message. The bot checks every 5 minutes; once the
    # intent is past its grace, the run sends part 2 alone (part 1's nonce has long expired).
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(sub(top_n=10), created_at=START)
    clock = Clock(utc("2026-03-03T09:00"))
    source = LaggedSource("arxiv", clock, [(START, timedelta(0), p) for p in _long_items()])
    results: list[RunResult] = []

    async def body(client: discord.Client, standin: DiscordStandIn) -> None:
        undo = _sends_failing_on(monkeypatch, {2: OSError("connection reset by peer")})
        for minutes in range(0, 90, 5):
            now = clock.now + timedelta(minutes=minutes)
            standin.now = now
            results.extend(
                await run_due(
                    now,
                    state=state,
                    sources=[source],
                    rank=_long_rank,
                    absorb=lambda p: None,
                    poster=ChannelPoster(client),
                )
            )
            undo()

    standin = discord_run(body)
    assert "no answer from Discord" in (results[0].skipped_reason or "")
    titles = posted_titles(standin)
    assert len(titles) == len(set(titles)) == 10
    footers = [e["footer"]["text"] for m in digest_posts(standin) for e in m["embeds"]]
    assert len(footers) == len(set(footers)) == 2
    assert state.pending_intents() == [] and not standin.rejected()
    state.close()
