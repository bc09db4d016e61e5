"""Where digest papers come from: the arXiv API, OpenAlex, and papers newly ingested into the store.

Retries, rate limits and malformed answers are handled here: the digest sees `Fetched` or `SourceError`.
"""

from __future__ import annotations

import email.utils
import io
import logging
import re
import threading
import time
import xml.sax
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import httpx
import tenacity

from scholarbot.digest.types import Fetched
from scholarbot.errors import ScholarbotError
from scholarbot.records import Author, Paper, merge_papers, paper_id_for, split_arxiv_id
from scholarbot.store import Store, paper_from_chroma

log = logging.getLogger(__name__)

USER_AGENT = "scholarbot/0.1 (research digest bot)"
#: Longest Retry-After we wait; a longer ask is cut to this so one digest cannot stall for hours.
MAX_RETRY_AFTER_S = 300.0
#: Pages per query before we stop paging: a runaway cursor must not hold a digest forever.
MAX_PAGES = 50
#: Chroma `get` page size when scanning locally ingested papers.
LOCAL_PAGE = 1000
_BACKOFF = tenacity.wait_exponential_jitter(initial=1, max=30)
_SPACE = re.compile(r"\s+")


class SourceError(ScholarbotError):
    """A source could not be read (after retries), or answered something we cannot parse."""

    def __init__(self, source: str, why: str) -> None:
        self.source = source
        super().__init__(f"{source} {why}")


class _Transient(Exception):
    """A failure worth retrying (timeout, connection, 429, 5xx), with the server's Retry-After."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


class _WebSource:
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
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=self.sleep,
            before_sleep=tenacity.before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        try:
            return retrying(self._attempt, client, url, params)
        except _Transient as e:
            raise SourceError(self.label, f"could not be read after {self.retries + 1} attempts: {e}") from e

    def _attempt(self, client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Response:
        self._pace()
        try:
            response = client.get(url, params=params, timeout=self.timeout_s)
        except httpx.TimeoutException as e:
            raise _Transient(f"timed out after {self.timeout_s:g} s ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise _Transient(f"connection failed ({type(e).__name__}: {e})") from e
        code = response.status_code
        if code == 429 or code >= 500:
            raise _Transient(f"HTTP {code}", _retry_after(response.headers.get("Retry-After")))
        if code >= 400:  # our request's fault: retrying would only repeat it
            raise SourceError(self.label, f"rejected the request (HTTP {code}): {response.text[:200]!r}")
        return response


def _wait(state: tenacity.RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Transient) and exc.retry_after is not None:
        return exc.retry_after
    return float(_BACKOFF(state))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds, or an HTTP date."""
    try:
        seconds = float(value or "")
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value or "") - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _client() -> httpx.Client:
    return httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def _squash(text: str | None) -> str:
    """Collapse the line breaks and indentation the APIs put inside titles and abstracts."""
    return _SPACE.sub(" ", text or "").strip()


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, which is what both APIs report in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dedupe(papers: list[Paper]) -> list[Paper]:
    """One record per paper id, merged (two arXiv versions, or one work found by two queries)."""
    merged: dict[str, Paper] = {}
    for paper in papers:
        merged[paper.id] = merge_papers(merged[paper.id], paper) if paper.id in merged else paper
    return list(merged.values())


# --- arXiv ------------------------------------------------------------------------------------


@dataclass
class ArxivSource(_WebSource):
    """New submissions from the arXiv API (Atom), newest first, paced at one request per interval."""

    name = "arxiv"
    label = "arXiv"

    base_url: str = "https://export.arxiv.org/api/query"
    min_interval_s: float = 3.0
    timeout_s: float = 20.0
    max_results: int = 200
    retries: int = 4
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last_request: float | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _pace(self) -> None:
        # SEE: https://info.arxiv.org/help/api/tou.html ("no more than one request every three seconds")
        # The lock is held while sleeping so that digests fetched from several threads queue up.
        with self._lock:
            if self._last_request is not None:
                wait = self.min_interval_s - (self.clock() - self._last_request)
                if wait > 0:
                    self.sleep(wait)
            self._last_request = self.clock()

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        """Papers first submitted in [since, until) matching any topic (all:) or author (au:)."""
        query = arxiv_query(topics, authors)
        if not query:
            return Fetched(self.name)
        since, until = _utc(since), _utc(until)
        papers: list[Paper] = []
        problems: list[str] = []
        with _client() as client:
            for entry in self._entries(client, query, since):
                published = _arxiv_time(entry.get("published"))
                if published is None or not since <= published < until:
                    continue
                if paper := _arxiv_paper(entry, published):
                    papers.append(paper)
                else:
                    problems.append(f"arXiv entry {entry.get('id', '?')} has no title; skipped")
        return Fetched(self.name, _dedupe(papers), list(dict.fromkeys(problems)))

    def _entries(self, client: httpx.Client, query: str, since: datetime) -> Iterator[Any]:
        params: dict[str, Any] = {"search_query": query, "sortBy": "submittedDate", "sortOrder": "descending"}
        start = 0
        for _ in range(MAX_PAGES):
            feed = _parse_feed(
                self._get(client, self.base_url, params | {"start": start, "max_results": self.max_results})
            )
            yield from feed.entries
            start += len(feed.entries)
            total = int(feed.feed.get("opensearch_totalresults") or 0)
            oldest = _arxiv_time(feed.entries[-1].get("published")) if feed.entries else None
            # Sorted newest first: once a page reaches past `since`, later pages are older still.
            if len(feed.entries) < self.max_results or start >= total or oldest is None or oldest < since:
                return


def arxiv_query(topics: tuple[str, ...], authors: tuple[str, ...]) -> str:
    """The arXiv `search_query`: quoted phrases OR-ed, e.g. `all:"federated learning" OR au:"Hanlin Gu"`."""
    # SEE: https://info.arxiv.org/help/api/user-manual.html#query_details (quotes make a phrase)
    terms = [
        f'{prefix}:"{_squash(v.replace(chr(34), " "))}"'
        for prefix, values in (("all", topics), ("au", authors))
        for v in values
        if v.strip()
    ]
    return " OR ".join(terms)


def _parse_feed(response: httpx.Response) -> Any:
    # Bytes in a stream: feedparser would fetch or open a *string* that looks like a URL or path.
    feed = feedparser.parse(io.BytesIO(response.content), response_headers=dict(response.headers))
    version = str(feed.get("version") or "")
    # A document that is not well-formed was cut off or garbled: its entries cannot be trusted to be
    # complete. Other bozo reasons (a charset the headers got wrong) are harmless when entries parsed.
    broken = isinstance(feed.get("bozo_exception"), xml.sax.SAXException) or not feed.entries
    if (feed.bozo and broken) or not version.startswith("atom"):
        why = feed.get("bozo_exception") or f"not an Atom feed (format {version or 'unknown'!r})"
        raise SourceError("arXiv", f"returned a malformed feed: {why}")
    for entry in feed.entries:
        # The API reports a bad query as a feed with one entry whose id is .../api/errors#...
        if "/api/errors" in str(entry.get("id", "")):
            raise SourceError("arXiv", f"rejected the query: {_squash(entry.get('summary'))}")
    return feed


def _arxiv_time(value: str | None) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def _arxiv_paper(entry: Any, published: datetime) -> Paper | None:
    title = _squash(entry.get("title"))
    if not title:
        return None
    base, version = split_arxiv_id(str(entry.get("id", ""))) or (None, None)
    external_ids = {"arxiv": base} if base else {}
    if entry.get("arxiv_doi"):
        external_ids["doi"] = str(entry["arxiv_doi"])
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    categories = [primary, *(t.get("term") for t in entry.get("tags", []))]
    # Version-less links show the newest version and stay equal when two versions are merged.
    return Paper(
        id=paper_id_for(title),
        title=title,
        abstract=_squash(entry.get("summary")),
        authors=tuple(Author(_squash(a["name"])) for a in entry.get("authors", []) if a.get("name")),
        authors_complete=True,
        year=published.year,
        date=published.date().isoformat(),
        venue="arXiv",
        url=f"https://arxiv.org/abs/{base}" if base else entry.get("link"),
        pdf_url=f"https://arxiv.org/pdf/{base}" if base else None,
        external_ids=external_ids,
        versions=(f"{base}{version}",) if base and version else (),
        tags=tuple(dict.fromkeys(f"subject:{c}" for c in categories if c)),
        sources=("arxiv",),
    )


# --- OpenAlex ---------------------------------------------------------------------------------


@dataclass
class OpenAlexSource(_WebSource):
    """Works from OpenAlex by publication date, one filtered search per topic and per author name."""

    name = "openalex"
    label = "OpenAlex"

    base_url: str = "https://api.openalex.org"
    api_key: str | None = field(default=None, repr=False)
    email: str | None = None
    timeout_s: float = 20.0
    per_page: int = 100
    retries: int = 4
    sleep: Callable[[float], None] = time.sleep

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...], authors: tuple[str, ...]
    ) -> Fetched:
        """Works whose publication date falls in [since, until) matching any topic or author name."""
        days = _day_range(_utc(since), _utc(until))
        if days is None:
            return Fetched(self.name)
        first, last = (d.isoformat() for d in days)
        # SEE: https://developers.openalex.org/guides/recipe-audit-author-profile-works
        # raw_author_name.search matches the byline as printed, so it also finds works the author
        # resolver has not linked yet, which is most of them in the first days after publication.
        searches = [("title_and_abstract", t) for t in topics] + [("raw_author_name", a) for a in authors]
        papers: list[Paper] = []
        problems: list[str] = []
        with _client() as client:
            for key, raw in searches:
                # Commas separate filters and `|` ORs values, so neither may appear inside a value.
                if not (value := _squash(re.sub(r"[,|:]", " ", raw))):
                    continue
                flt = f"from_publication_date:{first},to_publication_date:{last},{key}.search:{value}"
                for work in self._works(client, flt):
                    if (paper := openalex_paper(work)) is None:
                        problems.append(f"OpenAlex work {work.get('id', '?')} has no title; skipped")
                    elif paper.date and first <= paper.date <= last:  # the API's filter, double-checked
                        papers.append(paper)
        return Fetched(self.name, _dedupe(papers), list(dict.fromkeys(problems)))

    def _works(self, client: httpx.Client, flt: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"filter": flt, "per_page": self.per_page}
        if self.api_key:
            params["api_key"] = self.api_key
        if self.email:
            params["mailto"] = self.email  # the "polite pool"
        cursor: str | None = "*"
        for _ in range(MAX_PAGES):
            response = self._get(client, f"{self.base_url.rstrip('/')}/works", params | {"cursor": cursor})
            try:
                body = response.json()
                results, cursor = body["results"], (body.get("meta") or {}).get("next_cursor")
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise SourceError("OpenAlex", f"returned an unreadable answer: {e!r}") from e
            yield from results
            if not results or not cursor:
                return


def _day_range(since: datetime, until: datetime) -> tuple[date, date] | None:
    """Publication days whose midnight (UTC) lies in [since, until), or None if there is none.

    OpenAlex dates have no time; counting a day in the window holding its midnight gives every day
    to exactly one of consecutive windows (e.g. [Jan 3 09:00, Jan 4 09:00) holds Jan 4 only).
    """
    tick = timedelta(microseconds=1)
    first = (since - tick).date() + timedelta(days=1)  # since at midnight -> that day, else the next
    last = (until - tick).date()
    return (first, last) if first <= last else None


def rebuild_abstract(inverted: dict[str, list[int]] | None) -> str:
    """The abstract text from OpenAlex's inverted index ({"word": [positions]})."""
    slots = {pos: word for word, positions in (inverted or {}).items() for pos in positions}
    return " ".join(slots[i] for i in sorted(slots))


def openalex_paper(work: dict[str, Any]) -> Paper | None:
    """Map one OpenAlex work to a Paper; None when it has no title."""
    title = _squash(work.get("display_name") or work.get("title"))
    if not title:
        return None
    ids = work.get("ids") or {}
    doi = (work.get("doi") or ids.get("doi") or "").removeprefix("https://doi.org/")
    oa_id = (work.get("id") or ids.get("openalex") or "").removeprefix("https://openalex.org/")
    external_ids = {k: v for k, v in (("doi", doi), ("openalex", oa_id)) if v}
    primary = work.get("primary_location") or {}
    # arXiv's own DOIs are 10.48550/arXiv.<id>; otherwise an arxiv.org location names the id.
    locations = [primary, *(work.get("locations") or [])]
    urls = [loc.get(k) for loc in locations for k in ("landing_page_url", "pdf_url")]
    if doi.lower().startswith("10.48550/arxiv."):
        external_ids["arxiv"] = doi[len("10.48550/arxiv.") :]
    elif found := [hit for u in urls if u and "arxiv.org" in u and (hit := split_arxiv_id(u))]:
        external_ids["arxiv"] = found[0][0]
    return Paper(
        id=paper_id_for(title),
        title=title,
        abstract=_squash(rebuild_abstract(work.get("abstract_inverted_index"))),
        authors=tuple(a for a in map(_openalex_author, work.get("authorships") or []) if a.name),
        # OpenAlex cuts list responses at 100 authors and says so in is_authors_truncated.
        authors_complete=not work.get("is_authors_truncated", False),
        year=work.get("publication_year"),
        date=work.get("publication_date"),
        venue=(primary.get("source") or {}).get("display_name"),
        url=f"https://doi.org/{doi}" if doi else work.get("id"),
        pdf_url=(work.get("best_oa_location") or {}).get("pdf_url") or primary.get("pdf_url"),
        external_ids=external_ids,
        citation_count=work.get("cited_by_count"),
        sources=("openalex",),
    )


def _openalex_author(authorship: dict[str, Any]) -> Author:
    person = authorship.get("author") or {}
    aid = (person.get("id") or "").removeprefix("https://openalex.org/")
    return Author(
        _squash(person.get("display_name") or authorship.get("raw_author_name")),
        f"openalex:{aid}" if aid else None,
        tuple(i["display_name"] for i in authorship.get("institutions") or [] if i.get("display_name")),
    )


# --- papers ingested locally ------------------------------------------------------------------


class LocalSource:
    """Papers first written to the local store in the window (topics and authors are ranked later)."""

    name = "local"

    def __init__(self, store: Store) -> None:
        self.store = store

    def fetch(
        self, since: datetime, until: datetime, *, topics: tuple[str, ...] = (), authors: tuple[str, ...] = ()
    ) -> Fetched:
        """Papers whose `first_seen` metadata (unix seconds) falls in [since, until)."""
        lo, hi = _utc(since).timestamp(), _utc(until).timestamp()
        where = {"$and": [{"first_seen": {"$gte": lo}}, {"first_seen": {"$lt": hi}}]}
        papers: list[Paper] = []
        while True:
            try:
                res = self.store.papers.get(
                    where=where, include=["documents", "metadatas"], limit=LOCAL_PAGE, offset=len(papers)
                )
            except Exception as e:  # chromadb raises plain Exception subclasses for a broken store
                raise SourceError("The local store", f"could not be read: {e}") from e
            if not res["ids"]:
                return Fetched(self.name, papers)
            papers += map(paper_from_chroma, res["documents"], res["metadatas"])
