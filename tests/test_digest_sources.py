"""The digest sources against a real HTTP server on loopback serving recorded-format payloads."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from scholarbot.config import StoreSettings
from scholarbot.digest.sources import local
from scholarbot.digest.sources.arxiv import ArxivSource, arxiv_query
from scholarbot.digest.sources.common import SourceError
from scholarbot.digest.sources.local import LocalSource
from scholarbot.digest.sources.openalex import OpenAlexSource, rebuild_abstract
from scholarbot.records import Author, Paper, paper_id_for
from scholarbot.store.store import Store

from fakes import HashChromaEF, HashEmbedder

DATA = Path(__file__).parent / "data"
ARXIV_FEED = (DATA / "arxiv_feed.xml").read_text()
OA_PAGE1 = json.loads((DATA / "openalex_works.json").read_text())
OA_PAGE2 = json.loads((DATA / "openalex_works_page2.json").read_text())
EMPTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=all:"federated learning"</title>
  <id>http://arxiv.org/api/empty</id>
  <updated>2024-01-05T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">9</opensearch:totalResults>
</feed>
"""
SINCE = datetime(2024, 1, 3, tzinfo=UTC)
UNTIL = datetime(2024, 1, 5, tzinfo=UTC)
FL = ("federated learning",)
GU = ("Hanlin Gu",)


@dataclass
class Reply:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class Loopback:
    """An HTTP server on 127.0.0.1 whose replies each test scripts per path."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.routes: dict[str, Callable[[dict[str, str]], Reply]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append(Seen(url.path, query, dict(self.headers)))
                route = outer.routes.get(url.path)
                reply = route(query) if route else Reply(404, "not found")
                time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    data = reply.body.encode()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def queue(self, path: str, *replies: Reply) -> None:
        """Answer `path` with these replies in turn, repeating the last."""
        pending = list(replies)
        self.routes[path] = lambda _q: pending.pop(0) if len(pending) > 1 else pending[0]


@pytest.fixture
def http() -> Iterator[Loopback]:
    server = Loopback()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


class FakeTime:
    """A clock that only moves when slept on, so rate limits are checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def atom(body: str) -> Reply:
    return Reply(body=body, headers={"Content-Type": "application/atom+xml; charset=utf-8"})


def arxiv(http: Loopback, fake: FakeTime | None = None, **kw: Any) -> ArxivSource:
    fake = fake or FakeTime()
    return ArxivSource(base_url=f"{http.url}/api/query", sleep=fake.sleep, clock=fake.clock, **kw)


def by_arxiv_id(papers: list[Paper]) -> dict[str, Paper]:
    return {p.external_ids["arxiv"]: p for p in papers}


# --- arXiv ------------------------------------------------------------------------------------


def test_arxiv_maps_entries_in_the_window_and_merges_versions(http: Loopback) -> None:
    http.queue("/api/query", atom(ARXIV_FEED))
    got = arxiv(http).fetch(SINCE, UNTIL, topics=FL, authors=GU)

    papers = by_arxiv_id(got.papers)
    # 2401.02871 is on Jan 5 (until is exclusive); 2401.01010 and 2312.17555 are before Jan 3.
    assert sorted(papers) == ["2401.01234", "2401.01899", "2401.02345"]
    assert got.source == "arxiv" and got.problems == []
    bench = papers["2401.01234"]
    assert bench.title == (
        "FedKD-Bench: Benchmarking Knowledge Distillation for Heterogeneous Federated Learning"
    )
    assert bench.id == paper_id_for(bench.title)
    assert set(bench.versions) == {"2401.01234v1", "2401.01234v2"}
    assert bench.tags == ("subject:cs.LG", "subject:cs.DC")
    assert bench.abstract.startswith(
        "Knowledge distillation is a common remedy for model heterogeneity in fed"
    )
    assert "\n" not in bench.abstract
    survey = papers["2401.02345"]
    assert survey.authors == (Author("Hanlin Gu"), Author("Lixin Fan"), Author("Qiang Yang"))
    assert (survey.year, survey.date, survey.venue) == (2024, "2024-01-04", "arXiv")
    assert survey.url == "https://arxiv.org/abs/2401.02345"
    assert survey.pdf_url == "https://arxiv.org/pdf/2401.02345"
    assert survey.external_ids == {"arxiv": "2401.02345", "doi": "10.1145/3637528.3671012"}
    assert survey.versions == ("2401.02345v1",)
    assert survey.tags == ("subject:cs.CR", "subject:cs.LG")
    assert survey.sources == ("arxiv",) and survey.authors_complete
    assert papers["2401.01899"].tags[0] == "subject:cs.CL"  # the primary category first


def test_arxiv_request_names_topics_and_authors(http: Loopback) -> None:
    http.queue("/api/query", atom(ARXIV_FEED))
    arxiv(http, max_results=50).fetch(SINCE, UNTIL, topics=("federated learning", 'say "hi"'), authors=GU)

    (seen,) = http.requests
    assert seen.query == {
        "search_query": 'all:"federated learning" OR all:"say hi" OR au:"Hanlin Gu"',
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": "0",
        "max_results": "50",
    }
    assert seen.headers["User-Agent"].startswith("scholarbot/")


def test_arxiv_without_topics_or_authors_asks_nothing(http: Loopback) -> None:
    assert arxiv_query((), ("  ",)) == ""
    assert arxiv(http).fetch(SINCE, UNTIL, topics=(), authors=()).papers == []
    assert http.requests == []


@pytest.mark.parametrize(
    ("since", "starts"),
    [
        (SINCE, ["0"]),  # the full first page already reaches past `since`: no second page
        (datetime(2023, 12, 1, tzinfo=UTC), ["0", "7"]),  # still inside the window: page on
    ],
)
def test_arxiv_pages_until_entries_are_older_than_since(
    http: Loopback, since: datetime, starts: list[str]
) -> None:
    http.routes["/api/query"] = lambda q: atom(ARXIV_FEED if q["start"] == "0" else EMPTY_FEED)
    arxiv(http, max_results=7).fetch(since, UNTIL, topics=FL, authors=())
    assert [r.query["start"] for r in http.requests] == starts


@pytest.mark.parametrize(("pause_s", "sleeps"), [(0.0, [3.0]), (1.0, [2.0]), (5.0, [])])
def test_arxiv_waits_out_the_interval_between_requests(
    http: Loopback, pause_s: float, sleeps: list[float]
) -> None:
    http.queue("/api/query", atom(ARXIV_FEED))
    fake = FakeTime()
    source = arxiv(http, fake)
    source.fetch(SINCE, UNTIL, topics=FL, authors=())
    fake.now += pause_s
    source.fetch(SINCE, UNTIL, topics=FL, authors=())
    assert len(http.requests) == 2
    assert fake.sleeps == [pytest.approx(s) for s in sleeps]


def test_arxiv_skips_entries_without_a_title(http: Loopback) -> None:
    feed = re.sub(r"<title>Privacy-Preserving.*?</title>", "", ARXIV_FEED, flags=re.S)
    http.queue("/api/query", atom(feed))
    got = arxiv(http).fetch(SINCE, UNTIL, topics=FL, authors=())
    assert "2401.02345" not in by_arxiv_id(got.papers)
    assert got.problems == ["arXiv entry http://arxiv.org/abs/2401.02345v1 has no title; skipped"]


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/24',
        '{"error": "not xml"}',
    ],
)
def test_arxiv_malformed_feed_is_a_source_error(http: Loopback, body: str) -> None:
    http.queue("/api/query", atom(body))
    with pytest.raises(SourceError, match="arXiv returned a malformed feed: "):
        arxiv(http).fetch(SINCE, UNTIL, topics=FL, authors=())


def test_arxiv_error_entry_is_a_source_error(http: Loopback) -> None:
    error_feed = ARXIV_FEED.split("<entry>")[0] + (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>"
        "<summary>incorrect id format for 1234</summary></entry></feed>"
    )
    http.queue("/api/query", atom(error_feed))
    with pytest.raises(SourceError, match="arXiv rejected the query: incorrect id format"):
        arxiv(http).fetch(SINCE, UNTIL, topics=FL, authors=())


# --- retries, shared by both web sources -------------------------------------------------------


def openalex(http: Loopback, fake: FakeTime | None = None, **kw: Any) -> OpenAlexSource:
    return OpenAlexSource(base_url=http.url, sleep=(fake or FakeTime()).sleep, **kw)


def openalex_pages(query: dict[str, str]) -> Reply:
    page = OA_PAGE1 if query["cursor"] == "*" else OA_PAGE2
    return Reply(body=json.dumps(page), headers={"Content-Type": "application/json"})


WEB = [
    pytest.param(arxiv, "/api/query", lambda _q: atom(ARXIV_FEED), id="arxiv"),
    pytest.param(openalex, "/works", openalex_pages, id="openalex"),
]


@pytest.mark.parametrize(("make", "path", "ok"), WEB)
def test_429_waits_for_retry_after_then_succeeds(
    http: Loopback, make: Callable[..., Any], path: str, ok: Callable[[dict[str, str]], Reply]
) -> None:
    calls = iter([Reply(429, "slow down", {"Retry-After": "7"})])
    http.routes[path] = lambda q: next(calls, None) or ok(q)
    fake = FakeTime()
    got = make(http, fake).fetch(SINCE, UNTIL, topics=FL, authors=())
    assert got.papers
    assert fake.sleeps == [7.0]  # the server's wait, and no extra pacing after it


@pytest.mark.parametrize(("make", "path", "ok"), WEB)
def test_503_until_retries_run_out_is_a_source_error(
    http: Loopback, make: Callable[..., Any], path: str, ok: Callable[[dict[str, str]], Reply]
) -> None:
    http.queue(path, Reply(503, "down for maintenance"))
    fake = FakeTime()
    with pytest.raises(SourceError, match=r"could not be read after 3 attempts: HTTP 503"):
        make(http, fake, retries=2).fetch(SINCE, UNTIL, topics=FL, authors=())
    assert len(http.requests) == 3
    assert len([s for s in fake.sleeps if s > 0]) >= 2  # backed off between attempts


@pytest.mark.parametrize(("make", "path", "ok"), WEB)
def test_timeouts_are_retried_then_a_source_error(
    http: Loopback, make: Callable[..., Any], path: str, ok: Callable[[dict[str, str]], Reply]
) -> None:
    http.queue(path, Reply(200, "late", delay_s=0.6))
    with pytest.raises(SourceError, match=r"could not be read after 2 attempts: timed out after 0\.2 s"):
        make(http, timeout_s=0.2, retries=1).fetch(SINCE, UNTIL, topics=FL, authors=())
    assert len(http.requests) == 2


@pytest.mark.parametrize(("make", "path", "ok"), WEB)
def test_a_client_error_is_not_retried(
    http: Loopback, make: Callable[..., Any], path: str, ok: Callable[[dict[str, str]], Reply]
) -> None:
    http.queue(path, Reply(400, "Invalid query"))
    with pytest.raises(SourceError, match=r"rejected the request \(HTTP 400\): 'Invalid query'"):
        make(http).fetch(SINCE, UNTIL, topics=FL, authors=())
    assert len(http.requests) == 1


def test_connection_refused_is_retried_then_a_source_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there now
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    fake = FakeTime()
    source = OpenAlexSource(base_url=url, retries=1, sleep=fake.sleep)
    with pytest.raises(SourceError, match="OpenAlex could not be read after 2 attempts: connection failed"):
        source.fetch(SINCE, UNTIL, topics=FL, authors=())
    assert len(fake.sleeps) == 1


# --- OpenAlex ---------------------------------------------------------------------------------


def test_openalex_maps_works_across_cursor_pages(http: Loopback) -> None:
    http.routes["/works"] = openalex_pages
    source = openalex(http, api_key="k-123", email="me@example.org", per_page=3)
    got = source.fetch(SINCE, UNTIL, topics=FL, authors=GU)

    # 2 searches x 2 pages; each search starts its own cursor and follows next_cursor.
    cursors = [r.query["cursor"] for r in http.requests]
    assert cursors == ["*", OA_PAGE1["meta"]["next_cursor"]] * 2
    assert {r.query["api_key"] for r in http.requests} == {"k-123"}
    assert {r.query["mailto"] for r in http.requests} == {"me@example.org"}
    assert {r.query["per_page"] for r in http.requests} == {"3"}
    assert [r.query["filter"] for r in http.requests[::2]] == [
        "from_publication_date:2024-01-03,to_publication_date:2024-01-04,"
        "title_and_abstract.search:federated learning",
        "from_publication_date:2024-01-03,to_publication_date:2024-01-04,raw_author_name.search:Hanlin Gu",
    ]
    # Both searches found the same works: one record each; the untitled dataset is a problem.
    by_oa = {p.external_ids["openalex"]: p for p in got.papers}
    assert sorted(by_oa) == ["W4390563012", "W4390611200", "W4390700871", "W4390802245"]
    assert set(got.problems) == {"OpenAlex work https://openalex.org/W4390900001 has no title; skipped"}

    survey = by_oa["W4390563012"]
    assert survey.title == "Privacy-Preserving Vertical Federated Learning: A Survey of Attacks and Defenses"
    assert survey.id == paper_id_for(survey.title)
    assert survey.abstract == (
        "Vertical federated learning lets parties holding different features of the same users train a "
        "joint model. We survey inference and backdoor attacks against it and the defenses proposed so "
        "far, and outline open problems."
    )
    assert survey.authors[0] == Author(
        "Hanlin Gu",
        "openalex:A5032147892",
        ("Hong Kong University of Science and Technology", "WeBank (China)"),
    )
    assert [a.name for a in survey.authors] == ["Hanlin Gu", "Lixin Fan", "Qiang Yang"]
    assert survey.external_ids == {
        "doi": "10.48550/arxiv.2401.02345",
        "openalex": "W4390563012",
        "arxiv": "2401.02345",
    }
    assert (survey.year, survey.date, survey.citation_count) == (2024, "2024-01-04", 3)
    assert survey.venue == "arXiv (Cornell University)"
    assert survey.url == "https://doi.org/10.48550/arxiv.2401.02345"
    assert survey.pdf_url == "https://arxiv.org/pdf/2401.02345"
    assert survey.sources == ("openalex",) and survey.authors_complete

    journal = by_oa["W4390611200"]
    assert (journal.venue, journal.external_ids.get("arxiv")) == ("Neural Networks", None)
    no_doi = by_oa["W4390700871"]
    assert (no_doi.url, no_doi.abstract, no_doi.authors[0].affiliations) == (
        "https://openalex.org/W4390700871",
        "",
        ("Kyoto University",),
    )
    acl = by_oa["W4390802245"]
    assert acl.external_ids["arxiv"] == "2401.01899"  # from its arXiv location
    assert not acl.authors_complete  # is_authors_truncated
    assert acl.authors[0] == Author("Sofía Ramírez", "openalex:A5066612345", ())


def test_openalex_window_counts_a_day_where_its_midnight_falls(http: Loopback) -> None:
    http.routes["/works"] = openalex_pages
    since = datetime(2024, 1, 3, 9, 0, tzinfo=UTC)
    got = openalex(http).fetch(since, since + timedelta(days=1), topics=FL, authors=())
    assert (
        http.requests[0]
        .query["filter"]
        .startswith("from_publication_date:2024-01-04,to_publication_date:2024-01-04,")
    )
    assert {p.date for p in got.papers} == {"2024-01-04"}  # the Jan 3 work (served anyway) is dropped
    assert "mailto" not in http.requests[0].query and "api_key" not in http.requests[0].query


def test_openalex_window_without_a_midnight_asks_nothing(http: Loopback) -> None:
    since = datetime(2024, 1, 3, 9, 0, tzinfo=UTC)
    assert openalex(http).fetch(since, since + timedelta(hours=6), topics=FL, authors=()).papers == []
    assert http.requests == []


def test_openalex_unreadable_json_is_a_source_error(http: Loopback) -> None:
    http.queue("/works", Reply(200, "<html>maintenance</html>"))
    with pytest.raises(SourceError, match="OpenAlex returned an unreadable answer"):
        openalex(http).fetch(SINCE, UNTIL, topics=FL, authors=())


def test_rebuild_abstract_orders_words_by_position() -> None:
    assert (
        rebuild_abstract({"learning": [1, 3], "Federated": [0], "is": [2]})
        == "Federated learning is learning"
    )
    assert rebuild_abstract(None) == ""


# --- papers ingested locally ------------------------------------------------------------------


def test_local_source_returns_papers_first_seen_in_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(StoreSettings(path=tmp_path / "store"), HashChromaEF())
    t0 = int(datetime(2024, 1, 3, tzinfo=UTC).timestamp())
    papers = [
        Paper(paper_id_for(t), t, abstract=f"About {t}.", authors=(Author("Hanlin Gu"),), sources=("seed",))
        for t in ("Old Paper", "New Paper One", "New Paper Two", "Future Paper")
    ]
    seen = dict(zip((p.id for p in papers), (t0 - 1, t0, t0 + 3599, t0 + 3600), strict=True))
    vectors = HashEmbedder().embed_documents([p.title for p in papers])
    store.upsert_papers(papers, np.asarray(vectors), first_seen=seen)
    monkeypatch.setattr(local, "LOCAL_PAGE", 1)  # page through one row at a time

    got = LocalSource(store).fetch(
        datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t0 + 3600, UTC), topics=FL, authors=()
    )
    assert got.source == "local"
    assert sorted(p.title for p in got.papers) == ["New Paper One", "New Paper Two"]
    assert got.papers[0] in papers
