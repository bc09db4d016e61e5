"""When digests are due: pure functions over a subscription's cadence, its time zone and a clock.

All instants returned are aware datetimes in UTC; the local wall-clock hour is resolved with `zoneinfo`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scholarbot.digest.types import Subscription


def period(sub: Subscription) -> timedelta:
    """The nominal gap between two digests (a DST day is an hour shorter or longer than this)."""
    return timedelta(days=7) if sub.cadence == "weekly" else timedelta(days=1)


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime would be read in the host's zone, and the answer would depend on the server.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def latest_due(sub: Subscription, now: datetime) -> datetime:
    """Return the most recent scheduled instant at or before `now`, in UTC."""
    _require_aware("now", now)
    zone = ZoneInfo(sub.timezone)
    local_today = now.astimezone(zone).date()
    step = 7 if sub.cadence == "weekly" else 1
    day = local_today
    if sub.cadence == "weekly":
        # Walk back to the most recent `weekday` (today included); e.g. Wed (2) -> Mon (0) is 2 days back.
        day -= timedelta(days=(local_today.weekday() - sub.weekday) % 7)
    while True:
        # Build the wall-clock time in the zone and only then convert: that is what makes 09:00 Berlin
        # 08:00 UTC in winter and 07:00 UTC in summer. An hour that does not exist on a spring-forward
        # day (02:00) resolves with fold=0 to the pre-transition offset, i.e. 03:00 local, which is
        # what people expect from an alarm clock. Compare in UTC: aware datetimes sharing a tzinfo
        # are compared by wall clock, which is wrong across a transition.
        candidate = datetime.combine(day, time(sub.hour), tzinfo=zone).astimezone(UTC)
        if candidate <= now:
            return candidate
        day -= timedelta(days=step)


def next_due(sub: Subscription, after: datetime) -> datetime:
    """Return the first scheduled instant strictly after `after`, in UTC."""
    _require_aware("after", after)
    # Jump one period plus a day past `after`, then step back: latest_due does the calendar work, and a
    # DST change moves an instant by at most an hour, far less than the extra day.
    probe = after + period(sub) + timedelta(days=1)
    due = latest_due(sub, probe)
    while True:
        earlier = latest_due(sub, due - timedelta(seconds=1))
        if earlier <= after:
            return due
        due = earlier


def is_due(
    sub: Subscription, last_run_at: datetime | None, now: datetime, created_at: datetime
) -> datetime | None:
    """Return the instant a digest is due for, or None when the subscription is up to date.

    Args:
        sub: The subscription (cadence, weekday, hour, timezone).
        last_run_at: The due instant the last digest (or empty run) covered; None before the first.
        now: The current time (aware).
        created_at: When the subscription was made; with no last run, the first digest is due at
            the first scheduled instant after this.
    """
    _require_aware("created_at", created_at)
    if last_run_at is not None:
        _require_aware("last_run_at", last_run_at)
    due = latest_due(sub, now)
    reference = last_run_at if last_run_at is not None else created_at
    # Missed schedules coalesce: after a three-day outage this returns only the latest instant, and the
    # runner covers everything since the last run in that one digest. One post per missed day would
    # flood the channel right after the outage (no spam); skipping to the next instant would lose the
    # papers announced while the bot was down (not zero).
    return due if due > reference else None
