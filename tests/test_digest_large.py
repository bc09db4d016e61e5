"""A bot on a large store does its digests' store work in child processes.

Reading a large Chroma collection loads its whole vector index into the reader, and Chroma keeps it
(~750 MB at 500k papers): the bot's digests write new papers and read the local source's in a child,
and read followed researchers' records from the search index and the people table.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scholarbot.answers import Answerer
from scholarbot.digest import service
from scholarbot.digest.service import Digests
from scholarbot.digest.sources.local import LocalSource
from scholarbot.digest.types import Subscription
from scholarbot.records import Author, Paper, paper_id_for
from scholarbot.search import index as search_index
from scholarbot.store.store import Store

from conftest import sample_store

pytestmark = pytest.mark.integration


def _paper(title: str, *authors: str) -> Paper:
    return Paper(
        paper_id_for(title),
        title,
        abstract=f"{title}. We study it.",
        authors=tuple(Author(a) for a in authors),
        year=2026,
        venue="arXiv",
        sources=("test",),
    )


def test_a_large_store_s_digests_never_read_or_write_the_store_in_the_bot(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    svc = sample_store(tmp_path / "store", model_cache)
    answerer = Answerer(svc)
    answerer.warm()  # the saved index says how large the store is
    monkeypatch.setattr(
        search_index, "REFRESH_ELSEWHERE_ROWS", 1
    )  # the sample is small; a large store's rule
    # Someone with a coauthor: a new paper with that coauthor is theirs, a namesake's without is not.
    person = next(p for p in (answerer.people.record(r) for r in answerer.people.entries) if p.coauthors)
    coauthor = answerer.people.record(person.coauthors[0][0])
    theirs = _paper("Sparse probing of tokamak controllers", person.name, coauthor.name)
    namesake = _paper("Weather radar nowcasting with diffusion", person.name, "Ida Quist")
    settings = svc.settings.model_copy(deep=True)
    settings.digest.state_path = tmp_path / "digests.sqlite3"
    digests = Digests(settings, svc, sources=[])
    # The papers that identify the person survive re-resolution giving them another id.
    sub = digests.state.add_subscription(
        Subscription(
            id=0, guild_id=None, channel_id=1, researcher_ids=(person.id,), researcher_names=(person.name,)
        ),
        followed={person.id: person.paper_ids},
    )

    def here(*_: object, **__: object) -> None:
        raise AssertionError("the bot's process read or wrote the store")

    time.sleep(1.1)  # first_seen is in whole seconds: the sample's papers are older than `start`
    start = datetime.fromtimestamp(int(time.time()), UTC)
    with monkeypatch.context() as m:
        for name in ("get_papers", "get_researchers", "papers_first_seen", "upsert_papers"):
            m.setattr(Store, name, here)
        m.setattr(service, "ingest_records", here)
        m.setattr(search_index.PaperIndex, "_update", classmethod(here))
        digests.absorb([theirs, namesake])
        fetched = LocalSource(svc).fetch(start, datetime.now(UTC) + timedelta(minutes=1))
        assert sorted(p.title for p in fetched.papers) == sorted([theirs.title, namesake.title])
        ranked = digests.rank(fetched.papers, sub)
    assert [r.paper.title for r in ranked] == [theirs.title]
    assert person.name in ranked[0].reason
    assert svc.store.papers_first_seen(start.timestamp(), time.time() + 60) != []  # written for real

    # A child that cannot start: the bot does the work itself, and the log says why.
    monkeypatch.setattr("scholarbot.services.sys.executable", str(tmp_path / "no-python"))
    later = _paper("Coil current limits in tokamak shape control", person.name, coauthor.name)
    with caplog.at_level(logging.WARNING):
        digests.absorb([later])
        got = LocalSource(svc).fetch(start, datetime.now(UTC) + timedelta(minutes=1))
    assert later.title in {p.title for p in got.papers}
    assert "no-python" in caplog.text
