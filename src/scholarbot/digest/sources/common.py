"""What the digest sources share: GET with retries and backoff, SourceError, text and time helpers.

Retries, rate limits and malformed answers are handled here: the digest sees `Fetched` or `SourceError`.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import tenacity

from scholarbot.errors import ScholarbotError

log = logging.getLogger(__name__)

USER_AGENT = "scholarbot/0.1 (research digest bot)"
#: Longest Retry-After we wait; a longer ask is cut to this so one digest cannot stall for hours.
MAX_RETRY_AFTER_S = 300.0
#: Pages per query before we stop paging: a runaway cursor must not hold a digest forever.
MAX_PAGES = 50
_BACKOFF = tenacity.wait_exponential_jitter(initial=1, max=30)
_SPACE = re.compile(r"\s+")


class SourceError(ScholarbotError):
    """A source could not be read (after retries), or answered something we cannot parse."""

    def __init__(self, source: str, why: str) -> None:
        self.source = source
        super().__init__(f"{source} {why}")


class Transient(Exception):
    """A failure worth retrying (timeout, connection, 429, 5xx), with the server's Retry-After."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


class WebSource:
    """What the web sources share: GET with retries, exponential backoff and Retry-After."""

    label = "?"
    timeout_s: float
    retries: int
    sleep: Callable[[float], None]

    def _pace(self) -> None:
        """Wait, when the source needs it, before every attempt (retries included)."""

    def _get(self, client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Response:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retries + 1),  # e.g. retries=4 -> 5 attempts in all
            wait=_wait,
            retry=tenacity.retry_if_exception_type(Transient),
            sleep=self.sleep,
            before_sleep=tenacity.before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        try:
            return retrying(self._attempt, client, url, params)
        except Transient as e:
            raise SourceError(self.label, f"could not be read after {self.retries + 1} attempts: {e}") from e

    def _attempt(self, client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Response:
        self._pace()
        try:
            response = client.get(url, params=params, timeout=self.timeout_s)
        except httpx.TimeoutException as e:
            raise Transient(f"timed out after {self.timeout_s:g} s ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise Transient(f"connection failed ({type(e).__name__}: {e})") from e
        code = response.status_code
        if code == 429 or code >= 500:
            raise Transient(f"HTTP {code}", retry_after_seconds(response.headers.get("Retry-After")))
        if code >= 400:  # our request's fault: retrying would only repeat it
            raise SourceError(self.label, f"rejected the request (HTTP {code}): {response.text[:200]!r}")
        return response


def _wait(state: tenacity.RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Transient) and exc.retry_after is not None:
        return exc.retry_after
    return float(_BACKOFF(state))


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds, or an HTTP date."""
    try:
        seconds = float(value or "")
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value or "") - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def http_client() -> httpx.Client:
    return httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def squash(text: str | None) -> str:
    """Collapse the line breaks and indentation the APIs put inside titles and abstracts."""
    return _SPACE.sub(" ", text or "").strip()


def utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, which is what both APIs report in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
