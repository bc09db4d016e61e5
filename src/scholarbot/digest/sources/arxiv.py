"""New submissions from the arXiv API (Atom), paced at one request per interval."""

from __future__ import annotations

import io
import threading
import time
import xml.sax
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser
import httpx

from scholarbot.digest.sources.common import (
    MAX_PAGES,
    SourceError,
    WebSource,
    http_client,
    squash,
    utc,
)
from scholarbot.digest.types import Fetched
from scholarbot.records import Author, Paper, merge_by_id, paper_id_for, split_arxiv_id


@dataclass
class ArxivSource(WebSource):
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
        since, until = utc(since), utc(until)
        papers: list[Paper] = []
        problems: list[str] = []
        with http_client() as client:
            for entry in self._entries(client, query, since):
                published = _arxiv_time(entry.get("published"))
                if published is None or not since <= published < until:
                    continue
                if paper := _arxiv_paper(entry, published):
                    papers.append(paper)
                else:
                    problems.append(f"arXiv entry {entry.get('id', '?')} has no title; skipped")
        return Fetched(self.name, list(merge_by_id(papers).values()), list(dict.fromkeys(problems)))

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
        f'{prefix}:"{squash(v.replace(chr(34), " "))}"'
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
            raise SourceError("arXiv", f"rejected the query: {squash(entry.get('summary'))}")
    return feed


def _arxiv_time(value: str | None) -> datetime | None:
    try:
        return utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def _arxiv_paper(entry: Any, published: datetime) -> Paper | None:
    title = squash(entry.get("title"))
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
        abstract=squash(entry.get("summary")),
        authors=tuple(Author(squash(a["name"])) for a in entry.get("authors", []) if a.get("name")),
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
