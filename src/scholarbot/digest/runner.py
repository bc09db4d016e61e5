"""Run the digests that are due: reconcile crashed posts, fetch, rank, filter, record, post.

No discord here: posting goes through the `Poster` seam, so the bot loop, a cron job and `--dry-run` share it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from scholarbot.digest.schedule import is_due, period
from scholarbot.digest.state import DigestState
from scholarbot.digest.types import Digest, Fetched, PaperSource, Poster, Ranked, Subscription
from scholarbot.errors import ScholarbotError
from scholarbot.records import Paper

log = logging.getLogger(__name__)

Rank = Callable[[list[Paper], Subscription], list[Ranked]]
Absorb = Callable[[list[Paper]], None]


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


def digest_id(subscription_id: int, due_at: datetime) -> str:
    """Return the stable id of one subscription's digest for one due instant."""
    # Stable across retries: a digest rebuilt after a crash gets the same id, hence the same marker.
    key = f"{subscription_id}:{due_at.isoformat()}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


async def reconcile(state: DigestState, poster: Poster, *, now: datetime | None = None) -> Reconciled:
    """Settle every intent left by a run that stopped between recording and posting."""
    now = now or datetime.now(UTC)
    result = Reconciled()
    for pending in state.pending_intents():
        try:
            message_id = await poster.find(pending.channel_id, pending.marker)
        except Exception:  # one unreadable channel must not block every other subscription
            log.exception("could not check channel %s for digest %s", pending.channel_id, pending.id)
            result.unresolved.add(pending.subscription_id)
            continue
        if message_id is not None:
            # The post went out and the process died before recording it: record it now, never repost.
            state.record_posted(pending.id, message_id, now)
            result.recorded.append(pending.id)
        else:
            # It never went out; its papers are not in `sent`, so this run rebuilds and posts it.
            state.drop_intent(pending.id)
            result.dropped.append(pending.id)
    if result.recorded or result.dropped:
        log.info("reconciled digests: recorded %s, dropped %s", result.recorded, result.dropped)
    return result


async def _fetch(source: PaperSource, since: datetime, until: datetime, sub: Subscription) -> Fetched:
    # Sources do blocking HTTP; a thread keeps the Discord gateway heartbeat alive meanwhile.
    return await asyncio.to_thread(
        source.fetch, since, until, topics=sub.topics, authors=sub.researcher_names
    )


async def _fetch_all(
    sources: list[PaperSource], since: datetime, until: datetime, sub: Subscription
) -> tuple[list[Fetched], list[str]]:
    """Fetch from every source concurrently; a failing source becomes a problem, not a failed run."""
    outcomes = await asyncio.gather(
        *(_fetch(source, since, until, sub) for source in sources), return_exceptions=True
    )
    fetched: list[Fetched] = []
    problems: list[str] = []
    for source, outcome in zip(sources, outcomes, strict=True):
        if isinstance(outcome, ScholarbotError):
            # SourceError messages already open with the source's name ("arxiv timed out ...").
            text = str(outcome)
            problems.append(text if text.startswith(source.name) else f"{source.name}: {text}")
        elif isinstance(outcome, BaseException):
            raise outcome  # a bug or a cancellation, not a source being down: let it surface
        else:
            fetched.append(outcome)
            problems.extend(f"{outcome.source}: {problem}" for problem in outcome.problems)
    return fetched, problems


def _choose(ranked: list[Ranked], sub: Subscription, exclude: set[str]) -> tuple[Ranked, ...]:
    """Keep the best `top_n` papers at or above the threshold that the channel has not seen."""
    fresh = [r for r in ranked if r.paper.id not in exclude and r.score >= sub.threshold]
    fresh.sort(key=lambda r: r.score, reverse=True)  # stable: ties keep the ranker's order
    return tuple(fresh[: sub.top_n])


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
) -> list[RunResult]:
    """Post every digest due at `now` (only `channel_id`'s when given); return one result per due one.

    Args:
        now: The current time (aware); the caller owns the clock so tests and cron agree.
        state: Subscriptions, sent papers and digests in flight.
        sources: Where papers come from; each is asked for the window since the last run.
        rank: Scores papers for a subscription (0..1); the runner applies threshold and top_n.
        absorb: Called with the fetched papers so the caller can upsert them into the store.
        poster: Where digests go.
        channel_id: Only run this channel's subscriptions.
        dry_run: Build and return digests without recording, absorbing or posting anything.
    """
    unresolved = set() if dry_run else (await reconcile(state, poster, now=now)).unresolved
    results: list[RunResult] = []
    # Papers chosen in this run per channel: two subscriptions of one channel due together must not
    # repeat a paper, and in a dry run nothing reaches `sent` to prevent it.
    chosen: dict[int, set[str]] = {}
    for sub in state.list_subscriptions(channel_id=channel_id):
        marks = state.marks(sub.id)
        due_at = is_due(sub, marks.last_run_at, now, marks.created_at)
        if due_at is None:
            continue
        if sub.id in unresolved:
            # Posting now could repeat a digest that did go out; wait until the channel can be checked.
            results.append(RunResult(sub.id, due_at, None, False, "earlier digest not yet reconciled"))
            continue
        result = await _run_one(
            sub,
            due_at,
            # A first digest looks back one period even if the subscription is minutes old: a window
            # from created_at alone would make the first daily digest nearly always empty.
            since=marks.last_run_at or min(marks.created_at, due_at - period(sub)),
            now=now,
            state=state,
            sources=sources,
            rank=rank,
            absorb=absorb,
            poster=poster,
            chosen=chosen.setdefault(sub.channel_id, set()),
            dry_run=dry_run,
        )
        results.append(result)
    return results


async def _run_one(
    sub: Subscription,
    due_at: datetime,
    *,
    since: datetime,
    now: datetime,
    state: DigestState,
    sources: list[PaperSource],
    rank: Rank,
    absorb: Absorb,
    poster: Poster,
    chosen: set[str],
    dry_run: bool,
) -> RunResult:
    # The window ends at the due instant, not at `now`: papers announced after it belong to the next
    # digest's window [due_at, next due), so windows tile with no gap and no overlap.
    fetched, problems = await _fetch_all(sources, since, due_at, sub)
    if not fetched:
        # Every source failed: keep last_run_at where it is so the next run asks for this window again.
        reason = "all sources failed" if sources else "no sources configured"
        return RunResult(sub.id, due_at, None, False, reason, tuple(problems))

    by_id: dict[str, Paper] = {}
    for batch in fetched:
        for paper in batch.papers:
            by_id.setdefault(paper.id, paper)  # first copy wins; absorb() merges versions in the store
    papers = list(by_id.values())
    if not dry_run and papers:
        # Upserting (and re-resolving people) and embedding take seconds: off the event loop, so the
        # bot keeps its gateway heartbeat and answers other users meanwhile.
        await asyncio.to_thread(absorb, papers)
    ranked = await asyncio.to_thread(rank, papers, sub)
    exclude = chosen | state.already_sent(sub.channel_id, [r.paper.id for r in ranked])
    items = _choose(ranked, sub, exclude)

    if not items and not sub.post_empty:
        if not dry_run:
            state.record_empty_run(sub.id, due_at)
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

    state.record_intent(digest, at=now)
    try:
        message_id = await poster.post(digest)
    except Exception as e:  # any failure of one channel (permissions, HTTP) must not stop the others
        # The intent stays: the message may have gone out before the error, and the next run's
        # reconcile looks for it before deciding to post again.
        log.exception("posting digest %s to channel %s failed", digest.id, sub.channel_id)
        return RunResult(sub.id, due_at, digest, False, f"post failed: {e}", digest.problems)
    state.record_posted(digest.id, message_id, now)
    return RunResult(sub.id, due_at, digest, True, None, digest.problems)
