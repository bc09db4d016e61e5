"""Works from OpenAlex by publication date, one filtered search per topic and per author name."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

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
class OpenAlexSource(WebSource):
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
        days = _day_range(utc(since), utc(until))
        if days is None:
            return Fetched(self.name)
        first, last = (d.isoformat() for d in days)
        # SEE: https://developers.openalex.org/guides/recipe-audit-author-profile-works
        # raw_author_name.search matches the byline as printed, so it also finds works the author
        # resolver has not linked yet, which is most of them in the first days after publication.
        searches = [("title_and_abstract", t) for t in topics] + [("raw_author_name", a) for a in authors]
        papers: list[Paper] = []
        problems: list[str] = []
        with http_client() as client:
            for key, raw in searches:
                # Commas separate filters and `|` ORs values, so neither may appear inside a value.
                if not (value := squash(re.sub(r"[,|:]", " ", raw))):
                    continue
                flt = f"from_publication_date:{first},to_publication_date:{last},{key}.search:{value}"
                for work in self._works(client, flt):
                    if (paper := openalex_paper(work)) is None:
                        problems.append(f"OpenAlex work {work.get('id', '?')} has no title; skipped")
                    elif paper.date and first <= paper.date <= last:  # the API's filter, double-checked
                        papers.append(paper)
        return Fetched(self.name, list(merge_by_id(papers).values()), list(dict.fromkeys(problems)))

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
    title = squash(work.get("display_name") or work.get("title"))
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
        abstract=squash(rebuild_abstract(work.get("abstract_inverted_index"))),
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
        squash(person.get("display_name") or authorship.get("raw_author_name")),
        f"openalex:{aid}" if aid else None,
        tuple(i["display_name"] for i in authorship.get("institutions") or [] if i.get("display_name")),
    )
