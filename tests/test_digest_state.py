"""Digest schedule, state and runner: a simulated week, outages, crashes, failing sources, DST, dry runs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scholarbot.digest.runner import RunResult, digest_id, run_due
from scholarbot.digest.schedule import is_due, latest_due, next_due
from scholarbot.digest.sources.common import SourceError
from scholarbot.digest.state import SCHEMA_VERSION, DigestState
from scholarbot.digest.types import Digest, Fetched, PaperSource, PostedParts, Ranked, Subscription
from scholarbot.records import Paper, paper_id_for


def utc(text: str) -> datetime:
    """'2025-03-03T08:00' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CREATED = utc("2025-03-02T12:00")  # a Sunday; Berlin is UTC+1 until 2025-03-30


# --- fakes ----------------------------------------------------------------------------------


@dataclass
class ListSource:
    """Papers announced at known instants; `fetch` returns those inside the window."""

    name: str
    items: list[tuple[datetime, Paper]]
    calls: list[tuple[datetime, datetime]] = field(default_factory=list)

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        self.calls.append((since, until))
        return Fetched(self.name, [paper for when, paper in self.items if since <= when < until])


@dataclass
class BrokenSource:
    """A source that is down for the whole run."""

    name: str = "broken"
    calls: list[tuple[datetime, datetime]] = field(default_factory=list)

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        self.calls.append((since, until))
        raise SourceError(self.name, "answered HTTP 503 after 3 attempts")


class SimulatedCrash(BaseException):
    """The process dies: not an Exception, so nothing in the runner may swallow it."""


@dataclass
class RecordingPoster:
    """The channels' history: posted digests, findable by marker like a search of recent messages."""

    posted: list[Digest] = field(default_factory=list)
    finds: int = 0
    crash_before_post: bool = False
    crash_after_post: bool = False
    fail_channels: set[int] = field(default_factory=set)

    async def post(
        self, digest: Digest, *, resume_after: datetime | None = None, parts: PostedParts | None = None
    ) -> int | None:
        if resume_after is not None:  # finishing a digest: what the channel holds is not sent again
            for n, done in enumerate(self.posted, 1001):
                if done.id == digest.id:
                    return n
        if self.crash_before_post:
            self.crash_before_post = False
            raise SimulatedCrash("died before the message went out")
        if digest.channel_id in self.fail_channels:
            raise RuntimeError("403 Forbidden: Missing Permissions")
        self.posted.append(digest)
        if self.crash_after_post:
            self.crash_after_post = False
            raise SimulatedCrash("died after posting, before recording")
        return 1000 + len(self.posted)

    async def notify(self, sub: Subscription, text: str) -> bool:
        return False

    async def find(self, channel_id: int, marker: str, *, after: datetime) -> int | None:
        self.finds += 1
        if channel_id in self.fail_channels:
            raise RuntimeError("403 Forbidden: Missing Access")
        for number, digest in enumerate(self.posted, start=1001):
            if digest.channel_id == channel_id and digest.marker == marker:
                return number
        return None

    def titles(self, channel_id: int) -> list[list[str]]:
        return [[i.paper.title for i in d.items] for d in self.posted if d.channel_id == channel_id]


def keyword_rank(papers: list[Paper], sub: Subscription) -> list[Ranked]:
    """Score 0.9 when the title names a topic, else 0.1 (below every threshold used here)."""
    ranked = []
    for paper in papers:
        hits = [t for t in sub.topics if t in paper.title.lower()]
        ranked.append(Ranked(paper, 0.9 if hits else 0.1, f"mentions {', '.join(hits) or 'nothing'}"))
    return ranked


def daily_papers(first: str = "2025-02-20", days: int = 50) -> list[tuple[datetime, Paper]]:
    """Two papers announced at 03:00 UTC each day: one on transformers, one off topic."""
    start = utc(f"{first}T03:00")
    items = []
    for n in range(days):
        when = start + timedelta(days=n)
        day = when.date().isoformat()
        for title in (f"Transformer trick of {day}", f"Cell biology of {day}"):
            items.append((when, Paper(id=paper_id_for(title), title=title, date=day)))
    return items


def sub(channel_id: int = 1, **overrides: Any) -> Subscription:
    fields: dict[str, Any] = {"topics": ("transformer",), "timezone": "Europe/Berlin", "hour": 9}
    fields.update(overrides)
    return Subscription(id=0, guild_id=7, channel_id=channel_id, **fields)


@dataclass
class Harness:
    """One bot process: state file, sources, poster; `restart()` reopens the file like a new process."""

    path: Path
    sources: list[PaperSource]
    poster: RecordingPoster = field(default_factory=RecordingPoster)
    absorbed: list[list[Paper]] = field(default_factory=list)
    state: DigestState = field(init=False)

    def __post_init__(self) -> None:
        self.state = DigestState(self.path)

    def restart(self) -> None:
        self.state.close()
        self.state = DigestState(self.path)

    def run(self, now: datetime, **kwargs: Any) -> list[RunResult]:
        return asyncio.run(
            run_due(
                now,
                state=self.state,
                sources=self.sources,
                rank=keyword_rank,
                absorb=self.absorbed.append,
                poster=self.poster,
                **kwargs,
            )
        )


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path / "data" / "digests.sqlite3", [ListSource("arxiv", daily_papers())])
    yield harness
    harness.state.close()


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    now = start
    while now <= end:
        yield now
        now += timedelta(hours=1)


# --- schedule -------------------------------------------------------------------------------

LATEST_DUE_CASES = [
    # (cadence, weekday, hour, timezone, now, expected latest due)
    ("daily", 0, 9, "Europe/Berlin", "2025-03-29T12:00", "2025-03-29T08:00"),  # CET, UTC+1
    ("daily", 0, 9, "Europe/Berlin", "2025-03-30T12:00", "2025-03-30T07:00"),  # CEST from 02:00 that day
    ("daily", 0, 9, "Europe/Berlin", "2025-03-30T06:59", "2025-03-29T08:00"),
    ("daily", 0, 9, "Europe/Berlin", "2025-03-30T07:00", "2025-03-30T07:00"),  # due instant itself counts
    ("daily", 0, 9, "Europe/Berlin", "2025-10-26T12:00", "2025-10-26T08:00"),  # back to CET
    ("daily", 0, 2, "Europe/Berlin", "2025-03-30T12:00", "2025-03-30T01:00"),  # 02:00 does not exist
    ("daily", 0, 23, "America/New_York", "2025-03-04T02:00", "2025-03-03T04:00"),  # local date differs
    ("weekly", 0, 9, "Europe/Berlin", "2025-03-05T12:00", "2025-03-03T08:00"),  # Wed -> Mon
    ("weekly", 0, 9, "Europe/Berlin", "2025-03-03T07:59", "2025-02-24T08:00"),  # Mon, before 09:00
    ("weekly", 6, 9, "Europe/Berlin", "2025-04-01T00:00", "2025-03-30T07:00"),  # Sunday of the DST switch
]


@pytest.mark.parametrize(("cadence", "weekday", "hour", "tz", "now", "expected"), LATEST_DUE_CASES)
def test_latest_due(cadence: Any, weekday: int, hour: int, tz: str, now: str, expected: str) -> None:
    s = Subscription(
        id=1, guild_id=None, channel_id=1, cadence=cadence, weekday=weekday, hour=hour, timezone=tz
    )
    assert latest_due(s, utc(now)) == utc(expected)
    assert latest_due(s, utc(now)).tzinfo is UTC


def test_next_due_crosses_dst() -> None:
    s = sub()
    assert next_due(s, utc("2025-03-29T08:00")) == utc("2025-03-30T07:00")
    assert next_due(s, utc("2025-03-29T07:59")) == utc("2025-03-29T08:00")


def test_is_due_first_digest_waits_for_the_first_instant_after_creation() -> None:
    s = sub(timezone="UTC")
    created = utc("2025-03-03T08:55")
    assert is_due(s, None, utc("2025-03-03T08:59"), created) is None
    assert is_due(s, None, utc("2025-03-03T09:00"), created) == utc("2025-03-03T09:00")
    late = utc("2025-03-03T09:30")  # made after today's slot: first digest is tomorrow's
    assert is_due(s, None, utc("2025-03-03T23:00"), late) is None
    assert is_due(s, None, utc("2025-03-04T09:00"), late) == utc("2025-03-04T09:00")
    assert is_due(s, utc("2025-03-04T09:00"), utc("2025-03-04T20:00"), late) is None


def test_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_due(sub(), datetime(2025, 3, 3, 9))


# --- runner over simulated time -------------------------------------------------------------


def test_a_week_of_hourly_ticks_posts_seven_dailies_and_one_weekly(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(channel_id=1), created_at=CREATED)
    weekly = bot.state.add_subscription(
        sub(channel_id=2, cadence="weekly", weekday=0, top_n=10), created_at=CREATED
    )

    results = [
        r for now in hours(CREATED + timedelta(hours=1), CREATED + timedelta(days=7)) for r in bot.run(now)
    ]

    # Every result is a post: no empty runs, no failures, nothing posted on a tick that was not due.
    assert all(r.posted and r.skipped_reason is None for r in results)
    dailies = [d.due_at for d in bot.poster.posted if d.subscription_id == daily.id]
    assert dailies == [utc(f"2025-03-{day:02d}T08:00") for day in range(3, 10)]  # 09:00 CET
    assert [d.due_at for d in bot.poster.posted if d.subscription_id == weekly.id] == [
        utc("2025-03-03T08:00")
    ]
    # Each daily carries that day's on-topic paper; the first weekly looks back a week.
    assert bot.poster.titles(1) == [[f"Transformer trick of 2025-03-{day:02d}"] for day in range(3, 10)]
    week = [(utc("2025-02-25T00:00") + timedelta(days=n)).date().isoformat() for n in range(7)]
    assert bot.poster.titles(2) == [[f"Transformer trick of {day}" for day in week]]  # 02-25 .. 03-03
    for channel in (1, 2):
        ids = [i.paper.id for d in bot.poster.posted if d.channel_id == channel for i in d.items]
        assert len(ids) == len(set(ids)), "a paper reached a channel twice"
        assert bot.state.already_sent(channel, ids) == set(ids)
    assert bot.state.marks(daily.id).last_run_at == utc("2025-03-09T08:00")
    assert bot.state.pending_intents() == []
    assert all(papers for papers in bot.absorbed)


def test_three_days_down_coalesce_into_one_digest(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    assert [r.posted for r in bot.run(utc("2025-03-03T08:30"))] == [True]

    bot.restart()  # down from 03-03 08:30 until 03-06 10:00: three schedules missed
    results = bot.run(utc("2025-03-06T10:00"))

    assert len(results) == 1 and results[0].posted
    assert results[0].due_at == utc("2025-03-06T08:00")
    assert bot.poster.titles(1)[-1] == [f"Transformer trick of 2025-03-0{day}" for day in (4, 5, 6)]
    source = bot.sources[0]
    assert isinstance(source, ListSource)
    assert source.calls[-1] == (utc("2025-03-03T08:00"), utc("2025-03-06T08:00"))  # no gap, no overlap
    assert bot.run(utc("2025-03-06T11:00")) == []
    assert bot.state.marks(daily.id).last_run_at == utc("2025-03-06T08:00")


def test_crash_after_posting_is_reconciled_not_reposted(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    bot.poster.crash_after_post = True
    with pytest.raises(SimulatedCrash):
        bot.run(utc("2025-03-03T08:30"))
    [pending] = bot.state.pending_intents()
    assert pending.id == digest_id(daily.id, utc("2025-03-03T08:00"))

    bot.restart()
    assert bot.run(utc("2025-03-03T09:30")) == []  # reconciled, hence no longer due

    assert len(bot.poster.posted) == 1
    assert bot.state.pending_intents() == []
    assert bot.state.marks(daily.id).last_run_at == utc("2025-03-03T08:00")
    paper = paper_id_for("Transformer trick of 2025-03-03")
    assert bot.state.already_sent(1, [paper, "p_other"]) == {paper}
    with sqlite3.connect(bot.path) as db:
        row = db.execute("SELECT status, message_id FROM digests WHERE id = ?", (pending.id,)).fetchone()
    assert row == ("posted", 1001)  # the id `find` reported


def test_an_unreadable_channel_holds_its_digest_back_instead_of_reposting(bot: Harness) -> None:
    bot.state.add_subscription(sub(), created_at=CREATED)
    bot.poster.crash_after_post = True
    with pytest.raises(SimulatedCrash):
        bot.run(utc("2025-03-03T08:30"))

    bot.restart()
    bot.poster.fail_channels = {1}  # the history search fails: we cannot tell whether it went out
    [held] = bot.run(utc("2025-03-03T09:30"))
    assert (held.posted, held.skipped_reason) == (False, "earlier digest not yet reconciled")
    bot.poster.fail_channels = set()
    assert bot.run(utc("2025-03-03T10:30")) == []
    assert len(bot.poster.posted) == 1 and bot.state.pending_intents() == []


def test_crash_before_posting_posts_once_on_the_next_run(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    bot.poster.crash_before_post = True
    with pytest.raises(SimulatedCrash):
        bot.run(utc("2025-03-03T08:30"))
    assert bot.poster.posted == [] and len(bot.state.pending_intents()) == 1

    bot.restart()
    [result] = bot.run(utc("2025-03-03T09:30"))

    assert result.posted and result.due_at == utc("2025-03-03T08:00")
    assert [d.id for d in bot.poster.posted] == [digest_id(daily.id, utc("2025-03-03T08:00"))]
    assert bot.state.pending_intents() == []
    assert bot.run(utc("2025-03-03T10:30")) == []
    assert len(bot.poster.posted) == 1


def test_a_failing_channel_does_not_stop_the_others(bot: Harness) -> None:
    bot.state.add_subscription(sub(channel_id=1), created_at=CREATED)
    bot.state.add_subscription(sub(channel_id=2), created_at=CREATED)
    bot.poster.fail_channels = {1}
    first = bot.run(utc("2025-03-03T08:30"))
    assert [(r.posted, (r.skipped_reason or "")[:11]) for r in first] == [(False, "post failed"), (True, "")]

    bot.poster.fail_channels = set()
    [retry] = bot.run(utc("2025-03-03T09:30"))
    assert retry.posted and retry.digest is not None and retry.digest.channel_id == 1
    assert [d.channel_id for d in bot.poster.posted] == [2, 1]


def test_two_subscriptions_of_one_channel_never_repeat_a_paper(bot: Harness) -> None:
    bot.state.add_subscription(sub(), created_at=CREATED)
    bot.state.add_subscription(sub(topics=("transformer", "biology")), created_at=CREATED)
    results = bot.run(utc("2025-03-03T08:30"))
    assert [r.posted for r in results] == [True, True]
    assert bot.poster.titles(1) == [["Transformer trick of 2025-03-03"], ["Cell biology of 2025-03-03"]]


def test_a_failing_source_is_reported_and_asked_again_for_its_window(bot: Harness) -> None:
    broken = BrokenSource()
    bot.sources.append(broken)
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    [result] = bot.run(utc("2025-03-03T08:30"))
    assert result.posted
    assert result.problems == ("broken answered HTTP 503 after 3 attempts",)
    assert bot.poster.posted[0].problems == result.problems
    assert bot.poster.titles(1) == [["Transformer trick of 2025-03-03"]]
    # The others moved on; the broken source keeps its place, so its window is not skipped for good.
    assert bot.state.source_marks(daily.id) == {
        "arxiv": utc("2025-03-03T08:00"),
        "broken": utc("2025-03-02T08:00"),
    }
    bot.run(utc("2025-03-04T08:30"))
    assert broken.calls[1] == (utc("2025-03-02T08:00"), utc("2025-03-04T08:00"))
    assert bot.sources[0].calls[-1] == (utc("2025-03-03T08:00"), utc("2025-03-04T08:00"))  # type: ignore[attr-defined]


def test_all_sources_failing_keeps_the_subscriptions_place(bot: Harness) -> None:
    good = bot.sources
    bot.sources = [BrokenSource("arxiv"), BrokenSource("openalex")]
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    assert bot.run(utc("2025-03-03T08:30")) == [
        RunResult(
            daily.id,
            utc("2025-03-03T08:00"),
            None,
            False,
            "all sources failed",
            ("arxiv answered HTTP 503 after 3 attempts", "openalex answered HTTP 503 after 3 attempts"),
        )
    ]
    assert bot.state.marks(daily.id).last_run_at is None and bot.poster.posted == []

    bot.sources = good  # back up two days later: nothing from the missed window is lost
    [result] = bot.run(utc("2025-03-05T08:30"))
    assert result.posted
    assert bot.poster.titles(1) == [[f"Transformer trick of 2025-03-0{day}" for day in (3, 4, 5)]]


def test_nothing_worth_sending_advances_without_posting(bot: Harness) -> None:
    quiet = bot.state.add_subscription(sub(topics=("quantum",)), created_at=CREATED)
    [result] = bot.run(utc("2025-03-03T08:30"))
    assert (result.posted, result.digest, result.skipped_reason) == (
        False,
        None,
        "nothing new above the threshold",
    )
    assert bot.state.marks(quiet.id).last_run_at == utc("2025-03-03T08:00")

    loud = bot.state.add_subscription(
        sub(channel_id=3, topics=("quantum",), post_empty=True), created_at=CREATED
    )
    [result] = bot.run(utc("2025-03-03T09:30"))
    assert result.subscription_id == loud.id and result.posted
    assert bot.poster.titles(3) == [[]]


def test_dst_switch_moves_the_daily_post_from_0800_to_0700_utc(bot: Harness) -> None:
    bot.state.add_subscription(sub(), created_at=utc("2025-03-28T12:00"))
    fired = [
        r.due_at for now in hours(utc("2025-03-28T13:00"), utc("2025-03-31T12:00")) for r in bot.run(now)
    ]
    assert fired == [utc("2025-03-29T08:00"), utc("2025-03-30T07:00"), utc("2025-03-31T07:00")]


def test_dry_run_records_nothing(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    [dry] = bot.run(utc("2025-03-03T08:30"), dry_run=True)

    assert dry.digest is not None and not dry.posted and dry.skipped_reason == "dry run"
    assert [i.paper.title for i in dry.digest.items] == ["Transformer trick of 2025-03-03"]
    assert bot.poster.posted == [] and bot.poster.finds == 0 and bot.absorbed == []
    assert bot.state.marks(daily.id).last_run_at is None
    assert bot.state.pending_intents() == []
    assert bot.state.already_sent(1, [i.paper.id for i in dry.digest.items]) == set()

    [real] = bot.run(utc("2025-03-03T08:30"))
    assert real.digest == dry.digest  # the preview is exactly what goes out


def test_channel_filter_runs_only_that_channel(bot: Harness) -> None:
    bot.state.add_subscription(sub(channel_id=1), created_at=CREATED)
    bot.state.add_subscription(sub(channel_id=2), created_at=CREATED)
    assert [r.digest.channel_id for r in bot.run(utc("2025-03-03T08:30"), channel_id=2) if r.digest] == [2]
    assert [d.channel_id for d in bot.poster.posted] == [2]


# --- state ----------------------------------------------------------------------------------


def test_state_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "digests.sqlite3"
    with DigestState(path) as state:
        made = state.add_subscription(
            sub(researcher_ids=("r_1",), researcher_names=("Ada Lovelace",), created_by=42),
            created_at=CREATED,
        )
        other = state.add_subscription(Subscription(id=0, guild_id=8, channel_id=9, cadence="weekly"))
        items = (Ranked(Paper(id="p_1", title="One"), 0.9, "why"),)
        sent = Digest("d1", made.id, made.channel_id, utc("2025-03-03T08:00"), items)
        state.record_intent(sent)
        state.record_posted("d1", 55, utc("2025-03-03T08:01"))
        state.record_intent(Digest("d2", other.id, other.channel_id, utc("2025-03-03T08:00"), ()))

    with DigestState(path) as state:
        assert made.id == 1 and other.id == 2
        assert state.list_subscriptions() == [made, other]
        assert state.list_subscriptions(guild_id=8) == [other]
        assert state.list_subscriptions(channel_id=1, guild_id=7) == [made]
        assert state.get_subscription(made.id) == made and state.get_subscription(99) is None
        assert state.marks(made.id)[:2] == (CREATED, utc("2025-03-03T08:00"))
        assert state.already_sent(1, ["p_1", "p_2"]) == {"p_1"}
        assert [p.id for p in state.pending_intents()] == ["d2"]
        assert state.pending_intents()[0].marker == "digest:d2"
        assert state.remove_subscription(other.id, channel_id=1) is False  # not that channel's
        assert state.remove_subscription(other.id, channel_id=9) is True
        state.drop_intent("d2")

    with DigestState(path) as state, sqlite3.connect(path) as db:
        assert state.list_subscriptions() == [made] and state.pending_intents() == []
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_recording_is_idempotent_and_never_rewinds(tmp_path: Path) -> None:
    with DigestState(tmp_path / "d.sqlite3") as state:
        s = state.add_subscription(sub(), created_at=CREATED)
        state.record_empty_run(s.id, utc("2025-03-05T08:00"))
        state.record_intent(Digest("old", s.id, 1, utc("2025-03-04T08:00"), ()))
        state.record_posted("old", 1, utc("2025-03-05T09:00"))
        state.record_posted("old", 2, utc("2025-03-05T10:00"))  # a second reconcile: no-op
        assert state.marks(s.id).last_run_at == utc("2025-03-05T08:00")
        with pytest.raises(DigestState.NotFound):
            state.record_posted("never-recorded", 3, utc("2025-03-05T10:00"))


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DigestState.TooNew, match="Upgrade scholarbot"):
        DigestState(path)


def test_recording_the_intent_is_the_claim(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    with DigestState(path) as one, DigestState(path) as two:  # two processes on one file
        s = one.add_subscription(sub(), created_at=CREATED)
        digest = Digest("same", s.id, 1, utc("2025-03-03T08:00"), ())
        assert one.record_intent(digest, at=utc("2025-03-03T08:00")) is True
        assert two.record_intent(digest, at=utc("2025-03-03T08:00")) is False  # lost: must not post
        one.record_posted("same", 7, utc("2025-03-03T08:01"))
        assert two.record_intent(digest) is False  # a posted digest is never claimed again


def test_a_lookback_asks_each_source_again_for_late_papers(bot: Harness) -> None:
    daily = bot.state.add_subscription(sub(), created_at=CREATED)
    bot.run(utc("2025-03-03T08:30"), lookback={"arxiv": timedelta(days=3)})
    bot.run(utc("2025-03-04T08:30"), lookback={"arxiv": timedelta(days=3)})
    source = bot.sources[0]
    assert isinstance(source, ListSource)
    assert source.calls[-1] == (utc("2025-02-28T08:00"), utc("2025-03-04T08:00"))  # 3 days before 03-03
    # Asking again never sends again: each day's paper went out once (the first digest also looked
    # back 3 days before its window, where late-announced papers of those days would be).
    first = [
        f"Transformer trick of {day}" for day in ("2025-02-28", "2025-03-01", "2025-03-02", "2025-03-03")
    ]
    assert bot.poster.titles(1) == [first, ["Transformer trick of 2025-03-04"]]
    assert bot.state.marks(daily.id).last_run_at == utc("2025-03-04T08:00")


def test_a_version_1_file_is_migrated_in_place(tmp_path: Path) -> None:
    from scholarbot.digest.state import _MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_MIGRATIONS[0])
        db.execute(
            "INSERT INTO subscriptions (guild_id, channel_id, topics, researcher_ids, researcher_names,"
            " cadence, weekday, hour, timezone, top_n, threshold, post_empty, created_by, last_run_at,"
            " created_at)"
            " VALUES (7, 1, '[\"graphs\"]', '[]', '[]', 'daily', 0, 9, 'UTC', 5, 0.35, 0, 42, NULL, ?)",
            ("2025-03-02T12:00:00.000000+00:00",),
        )
        db.execute("PRAGMA user_version = 1")
    with DigestState(path) as state:
        [old] = state.list_subscriptions()
        assert old.topics == ("graphs",) and old.paused is None
        assert state.marks(old.id).failures == 0 and state.source_marks(old.id) == {}


def test_each_posted_part_is_recorded_and_keeps_its_intent(tmp_path: Path) -> None:
    with DigestState(tmp_path / "d.sqlite3") as state:
        s = state.add_subscription(sub(), created_at=CREATED)
        state.record_intent(Digest("split", s.id, 1, utc("2025-03-03T08:00"), ()), at=utc("2025-03-03T08:00"))
        state.record_part("split", 0, 111)
        state.record_part("split", 0, 999)  # a part's first message stays its own
        state.record_part("split", 1, 112)
        assert state.posted_parts("split") == {0: 111, 1: 112}
        [pending] = state.pending_intents()
        assert pending.parts == {0: 111, 1: 112}
        state.drop_intent("split")  # part of it is out: never forgotten (rebuilt and posted again)
        assert [p.id for p in state.pending_intents()] == ["split"]
        state.record_posted("split", 111, utc("2025-03-03T08:05"))
        assert state.pending_intents() == [] and state.marks(s.id).last_run_at == utc("2025-03-03T08:00")


def test_an_edit_keeps_the_schedule_and_changes_researchers_together(tmp_path: Path) -> None:
    with DigestState(tmp_path / "d.sqlite3") as state:
        s = state.add_subscription(
            sub(researcher_ids=("r_1",), researcher_names=("Ada",)), followed={"r_1": ("p_1",)}
        )
        state.record_empty_run(s.id, utc("2025-03-03T08:00"), {"arxiv": utc("2025-03-03T08:00")})
        edited = state.update_subscription(s.id, 1, hour=7, timezone="UTC", top_n=3)
        assert edited == replace(s, hour=7, timezone="UTC", top_n=3) == state.get_subscription(s.id)
        assert state.marks(s.id).last_run_at == utc("2025-03-03T08:00")
        assert state.source_marks(s.id) == {"arxiv": utc("2025-03-03T08:00")}
        assert state.update_subscription(s.id, 2, hour=3) is None  # another channel's
        with pytest.raises(ValueError, match="researchers change together"):
            state.update_subscription(s.id, 1, researcher_ids=("r_2",))
        with pytest.raises(ValueError, match="cannot be edited"):
            state.update_subscription(s.id, 1, channel_id=2)
        state.update_subscription(
            s.id, 1, researcher_ids=("r_2",), researcher_names=("Grace",), followed={"r_2": ("p_2",)}
        )
        assert state.followed(s.id) == {"r_2": ("p_2",)}
        assert state.get_subscription(s.id).researcher_names == ("Grace",)  # type: ignore[union-attr]
