"""Run the digests that are due: reconcile crashed posts, fetch, rank, filter, claim, post.

No discord here: posting goes through the `Poster` seam, so the bot loop, a cron job and `--dry-run` share it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from scholarbot.digest.schedule import is_due, period
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import (
    ChannelUnreadable,
    Digest,
    Fetched,
    PaperSource,
    PostedParts,
    Poster,
    PostFailed,
    Ranked,
    Subscription,
)
from scholarbot.errors import ScholarbotError
from scholarbot.records import Paper

log = logging.getLogger(__name__)
T = TypeVar("T")

Rank = Callable[[list[Paper], Subscription], list[Ranked]]
Absorb = Callable[[list[Paper]], None]

#: An intent younger than this may be another runner's post in flight: reconcile leaves it alone.
DEFAULT_GRACE = timedelta(minutes=15)
#: The first wait after a failed post; it doubles with each failure in a row, up to MAX_BACKOFF.
DEFAULT_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
DEFAULT_MAX_FAILURES = 8
#: However long a source was down, one fetch asks for at most this much (a month of arXiv is plenty).
MAX_WINDOW = timedelta(days=30)
#: Clocks of two runners (or of this host and Discord) may disagree by this much.
CLOCK_SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class RunResult:
    """What happened to one due subscription in one run."""

    subscription_id: int
    due_at: datetime
    digest: Digest | None
    posted: bool
    skipped_reason: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reconciled:
    """What reconciliation did with the intents a previous run left behind."""

    recorded: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: Subscriptions whose intent could not be checked (the channel search failed); skipped this run.
    unresolved: set[int] = field(default_factory=set)
    #: Subscriptions with an intent younger than the grace period: possibly another runner's, in flight.
    in_flight: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Window:
    """What one source is asked for: [since, until), and where its mark stands if the fetch fails."""

    since: datetime
    until: datetime
    start: datetime


async def _db(fn: Callable[..., T], *args: Any) -> T:
    """Run a DigestState call in a worker thread: a write may wait up to SQLite's busy timeout (5 s)
    for another process's lock, which must never freeze the bot's event loop."""
    return await asyncio.to_thread(fn, *args)


def digest_id(subscription_id: int, due_at: datetime) -> str:
    """Return the stable id of one subscription's digest for one due instant."""
    # Stable across retries and runners: a digest rebuilt after a crash, or by a second runner, gets
    # the same id, hence the same claim, the same marker and the same nonce.
    key = f"{subscription_id}:{due_at.isoformat()}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


async def reconcile(
    state: DigestState, poster: Poster, *, now: datetime | None = None, grace: timedelta = DEFAULT_GRACE
) -> Reconciled:
    """Settle every intent older than `grace` left by a run that stopped between claiming and posting."""
    now = now or datetime.now(UTC)
    result = Reconciled()
    for pending in await _db(state.pending_intents):
        if now - pending.created_at < grace:
            result.in_flight.add(pending.subscription_id)
            continue
        try:
            # A part recorded as posted is known to be out; the search also finds what went out just
            # before a crash could record it (and says whether the channel can be read at all).
            message_id = await poster.find(
                pending.channel_id, pending.marker, after=pending.created_at - CLOCK_SKEW
            )
            if message_id is None and pending.parts:
                message_id = pending.parts[min(pending.parts)]
        except ChannelUnreadable as e:
            # "Cannot read" is not "not posted": reposting could double the digest. Hold it, and make
            # the hold visible, since only a person can grant the permission back.
            result.unresolved.add(pending.subscription_id)
            await _pause(
                state, poster, pending.subscription_id, f"cannot check digest {pending.id} was posted: {e}"
            )
            continue
        except Exception:  # one unreadable channel must not block every other subscription
            log.exception("could not check channel %s for digest %s", pending.channel_id, pending.id)
            result.unresolved.add(pending.subscription_id)
            continue
        if message_id is not None:
            # Some of it went out and the process died before recording it. A digest split into
            # several messages may have stopped between them: send the missing parts (those recorded
            # or found in the channel are skipped), then record it. Never repost a part.
            digest = pending.digest()
            if digest is not None:
                parts = PostedParts(dict(pending.parts), _part_recorder(state, pending.id))
                try:
                    message_id = (
                        await poster.post(digest, resume_after=pending.created_at - CLOCK_SKEW, parts=parts)
                        or message_id
                    )
                except Exception as e:  # left as an intent: the next run tries again
                    log.warning(
                        "could not finish digest %s in channel %s: %s", pending.id, pending.channel_id, e
                    )
                    result.unresolved.add(pending.subscription_id)
                    if isinstance(e, PostFailed) and e.permanent:
                        await _pause(
                            state, poster, pending.subscription_id, f"cannot finish digest {pending.id}: {e}"
                        )
                    continue
            await _db(state.record_posted, pending.id, message_id, now)
            result.recorded.append(pending.id)
        else:
            # It never went out; its papers are not in `sent`, so this run rebuilds and posts it.
            await _db(state.drop_intent, pending.id)
            result.dropped.append(pending.id)
    if result.recorded or result.dropped:
        log.info("reconciled digests: recorded %s, dropped %s", result.recorded, result.dropped)
    return result


def _part_recorder(state: DigestState, digest_id: str) -> Callable[[int, int], Awaitable[None]]:
    """Record each part of a digest as it goes out, so a later run sends only the rest."""

    async def record(part: int, message_id: int) -> None:
        await _db(state.record_part, digest_id, part, message_id)

    return record


async def _pause(state: DigestState, poster: Poster, subscription_id: int, reason: str) -> None:
    """Pause a subscription and tell its managers, once."""
    sub = await _db(state.get_subscription, subscription_id)
    if sub is None or sub.paused is not None:
        return
    await _db(state.pause, subscription_id, reason)
    log.warning("digest subscription %s paused: %s", subscription_id, reason)
    text = (
        f"Your scholarbot digest #{subscription_id} in <#{sub.channel_id}> is paused: {reason}. "
        f"Fix it, then run `/digest resume subscription:{subscription_id}` in that channel."
    )
    try:
        if not await poster.notify(sub, text):
            log.warning("could not tell anyone that subscription %s is paused", subscription_id)
    except Exception:
        log.exception("telling the managers of subscription %s failed", subscription_id)


def windows(
    sub: Subscription,
    due_at: datetime,
    base: datetime,
    sources: list[PaperSource],
    marks: Mapping[str, datetime],
    lookback: Mapping[str, timedelta],
) -> dict[str, Window]:
    """Each source's window: from its own mark (a source that failed is asked again) minus its lookback.

    Sources list papers by first submission or publication, but show them days later; the lookback
    asks again for those days, and the `sent` table drops what a channel already had.
    """
    out = {}
    for source in sources:
        start = min(marks.get(source.name, base), base)
        since = max(start - lookback.get(source.name, timedelta(0)), due_at - MAX_WINDOW)
        out[source.name] = Window(since, due_at, start)
    return out


async def _fetch(
    source: PaperSource, window: Window, sub: Subscription, executor: Executor | None
) -> Fetched:
    # Sources do blocking HTTP (and arXiv sleeps 3 s between requests): a thread keeps the gateway
    # heartbeat alive, and an executor of their own keeps them from starving answers and lookups.
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor,
        lambda: source.fetch(window.since, window.until, topics=sub.topics, authors=sub.researcher_names),
    )


async def _fetch_all(
    sources: list[PaperSource], plan: dict[str, Window], sub: Subscription, executor: Executor | None
) -> tuple[list[Fetched], list[str], dict[str, datetime]]:
    """Fetch from every source concurrently; a failing source becomes a problem, not a failed run.

    Returns the batches, the problems, and the marks to record: the window's end for each source that
    answered, the window's start (unchanged) for each that failed.
    """
    outcomes = await asyncio.gather(
        *(_fetch(source, plan[source.name], sub, executor) for source in sources), return_exceptions=True
    )
    fetched: list[Fetched] = []
    problems: list[str] = []
    marks: dict[str, datetime] = {}
    for source, outcome in zip(sources, outcomes, strict=True):
        window = plan[source.name]
        if isinstance(outcome, ScholarbotError):
            # SourceError messages already open with the source's name ("arxiv timed out ...").
            text = str(outcome)
            problems.append(text if text.startswith(source.name) else f"{source.name}: {text}")
            marks[source.name] = window.start
        elif isinstance(outcome, BaseException):
            raise outcome  # a bug or a cancellation, not a source being down: let it surface
        else:
            fetched.append(outcome)
            problems.extend(f"{outcome.source}: {problem}" for problem in outcome.problems)
            marks[source.name] = window.until
    return fetched, problems, marks


def _choose(ranked: list[Ranked], sub: Subscription, exclude: set[str]) -> tuple[Ranked, ...]:
    """Keep the best `top_n` papers at or above the threshold that the channel has not seen."""
    fresh = [r for r in ranked if r.paper.id not in exclude and r.score >= sub.threshold]
    fresh.sort(key=lambda r: r.score, reverse=True)  # stable: ties keep the ranker's order
    return tuple(fresh[: sub.top_n])


@dataclass
class Runner:
    """The collaborators of one run, so the per-subscription steps share them without long signatures."""

    state: DigestState
    sources: list[PaperSource]
    rank: Rank
    absorb: Absorb
    poster: Poster
    lookback: Mapping[str, timedelta] = field(default_factory=dict)
    grace: timedelta = DEFAULT_GRACE
    backoff: timedelta = DEFAULT_BACKOFF
    max_failures: int = DEFAULT_MAX_FAILURES
    executor: Executor | None = None


async def run_due(
    now: datetime,
    *,
    state: DigestState,
    sources: list[PaperSource],
    rank: Rank,
    absorb: Absorb,
    poster: Poster,
    channel_id: int | None = None,
    dry_run: bool = False,
    lookback: Mapping[str, timedelta] | None = None,
    grace: timedelta = DEFAULT_GRACE,
    backoff: timedelta = DEFAULT_BACKOFF,
    max_failures: int = DEFAULT_MAX_FAILURES,
    executor: Executor | None = None,
) -> list[RunResult]:
    """Post every digest due at `now` (only `channel_id`'s when given); return one result per due one.

    Args:
        now: The current time (aware); the caller owns the clock so tests and cron agree.
        state: Subscriptions, sent papers and digests in flight.
        sources: Where papers come from; each is asked for the window since it was last read.
        rank: Scores papers for a subscription (0..1); the runner applies threshold and top_n.
        absorb: Called with the fetched papers so the caller can upsert them into the store.
        poster: Where digests go.
        channel_id: Only run this channel's subscriptions.
        dry_run: Build and return digests without recording, absorbing or posting anything.
        lookback: Per source name, how far before its mark to ask again (announcement lag).
        grace: How old an intent must be before reconcile checks the channel for it.
        backoff: The first wait after a failed post (doubling per failure in a row).
        max_failures: Failed posts in a row before the subscription is paused.
        executor: Where sources' blocking HTTP runs (default: the loop's default executor).
    """
    run = Runner(state, sources, rank, absorb, poster, lookback or {}, grace, backoff, max_failures, executor)
    settled = Reconciled() if dry_run else await reconcile(state, poster, now=now, grace=grace)
    results: list[RunResult] = []
    # Papers chosen in this run per channel: two subscriptions of one channel due together must not
    # repeat a paper, and in a dry run nothing reaches `sent` to prevent it.
    chosen: dict[int, set[str]] = {}
    for sub in await _db(state.list_subscriptions, channel_id):
        if sub.paused is not None:
            continue
        marks = await _db(state.marks, sub.id)
        due_at = is_due(sub, marks.last_run_at, now, marks.created_at)
        if due_at is None or (marks.retry_at is not None and now < marks.retry_at and not dry_run):
            continue  # not due, or backing off after a failed post
        if sub.id in settled.unresolved:
            # Posting now could repeat a digest that did go out; wait until the channel can be checked.
            results.append(RunResult(sub.id, due_at, None, False, "earlier digest not yet reconciled"))
            continue
        if sub.id in settled.in_flight:
            results.append(RunResult(sub.id, due_at, None, False, "a digest is being posted by another run"))
            continue
        result = await _run_one(
            run, sub, due_at, base=_base(sub, marks.last_run_at, marks.created_at, due_at), now=now,
            chosen=chosen.setdefault(sub.channel_id, set()), dry_run=dry_run,
        )  # fmt: skip
        results.append(result)
    return results


async def preview(
    now: datetime,
    channel_id: int,
    *,
    state: DigestState,
    sources: list[PaperSource],
    rank: Rank,
    poster: Poster,
    lookback: Mapping[str, timedelta] | None = None,
    executor: Executor | None = None,
) -> list[RunResult]:
    """Build the next digest of each of a channel's subscriptions as if it were due now; record nothing."""
    run = Runner(state, sources, rank, lambda papers: None, poster, lookback or {}, executor=executor)
    results = []
    chosen: set[str] = set()
    for sub in await _db(state.list_subscriptions, channel_id):
        marks = await _db(state.marks, sub.id)
        base = _base(sub, marks.last_run_at, marks.created_at, now)
        results.append(await _run_one(run, sub, now, base=base, now=now, chosen=chosen, dry_run=True))
    return results


def _base(
    sub: Subscription, last_run_at: datetime | None, created_at: datetime, due_at: datetime
) -> datetime:
    # A first digest looks back one period even if the subscription is minutes old: a window from
    # created_at alone would make the first daily digest nearly always empty.
    return last_run_at or min(created_at, due_at - period(sub))


async def _run_one(
    run: Runner,
    sub: Subscription,
    due_at: datetime,
    *,
    base: datetime,
    now: datetime,
    chosen: set[str],
    dry_run: bool,
) -> RunResult:
    state = run.state
    # Windows end at the due instant, not at `now`: what is announced later belongs to the next digest.
    plan = windows(sub, due_at, base, run.sources, await _db(state.source_marks, sub.id), run.lookback)
    fetched, problems, marks = await _fetch_all(run.sources, plan, sub, run.executor)
    if not fetched:
        # Every source failed: keep last_run_at where it is so the next run asks for this window again.
        reason = "all sources failed" if run.sources else "no sources configured"
        return RunResult(sub.id, due_at, None, False, reason, tuple(problems))

    by_id: dict[str, Paper] = {}
    for batch in fetched:
        for paper in batch.papers:
            by_id.setdefault(paper.id, paper)  # first copy wins; absorb() merges versions in the store
    papers = list(by_id.values())
    if not dry_run and papers:
        # Upserting (and re-resolving people) and embedding take seconds: off the event loop, so the
        # bot keeps its gateway heartbeat and answers other users meanwhile.
        await asyncio.to_thread(run.absorb, papers)
    ranked = await asyncio.to_thread(run.rank, papers, sub)
    exclude = chosen | await _db(state.already_sent, sub.channel_id, [r.paper.id for r in ranked])
    items = _choose(ranked, sub, exclude)

    if not items and not sub.post_empty:
        if not dry_run:
            await _db(state.record_empty_run, sub.id, due_at, marks)
        return RunResult(sub.id, due_at, None, False, "nothing new above the threshold", tuple(problems))

    digest = Digest(
        id=digest_id(sub.id, due_at),
        subscription_id=sub.id,
        channel_id=sub.channel_id,
        due_at=due_at,
        items=items,
        problems=tuple(problems),
    )
    chosen.update(item.paper.id for item in items)
    if dry_run:
        return RunResult(sub.id, due_at, digest, False, "dry run", digest.problems)

    if not await _db(lambda: state.record_intent(digest, at=now, source_marks=marks)):
        # Another runner claimed this very digest (same id) between our reconcile and now.
        return RunResult(sub.id, due_at, digest, False, "claimed by another run", digest.problems)
    try:
        message_id = await run.poster.post(digest, parts=PostedParts(record=_part_recorder(state, digest.id)))
    except Exception as e:  # any failure of one channel (permissions, HTTP) must not stop the others
        await _failed(run, sub, digest, e, now)
        return RunResult(sub.id, due_at, digest, False, f"post failed: {e}", digest.problems)
    await _db(state.record_posted, digest.id, message_id, now)
    return RunResult(sub.id, due_at, digest, True, None, digest.problems)


async def _failed(run: Runner, sub: Subscription, digest: Digest, error: Exception, now: datetime) -> None:
    """Settle a failed post: forget what certainly did not go out; pause, or back off and retry later."""
    delivered = error.delivered if isinstance(error, PostFailed) else None
    if delivered is False:
        await _db(run.state.drop_intent, digest.id)
    # else the intent stays: the message may have gone out, and reconcile looks for it after `grace`.
    if isinstance(error, PostFailed) and error.permanent:
        log.warning("digest %s for channel %s: %s", digest.id, sub.channel_id, error)
        await _pause(run.state, run.poster, sub.id, str(error))
        return
    log.error("posting digest %s to channel %s failed", digest.id, sub.channel_id, exc_info=error)
    failures = (await _db(run.state.marks, sub.id)).failures + 1
    # e.g. 5 min, 10, 20, 40, 80, 160, 320, then 6 h: a broken digest costs a few fetches a day, not 288.
    wait = min(run.backoff * 2 ** (failures - 1), MAX_BACKOFF)
    await _db(run.state.record_failure, sub.id, now + wait)
    if failures >= run.max_failures:
        await _pause(
            run.state, run.poster, sub.id, f"{failures} posts failed in a row, the last with: {error}"
        )
