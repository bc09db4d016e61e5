"""A full resolution streams researchers to the store and the people table; neither can lose the other's
rows, and a late ingest judges name rarity from the names that share a word with its own."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from scholarbot.config import StoreSettings
from scholarbot.errors import ScholarbotError
from scholarbot.ingest.identity import NameFrequencies
from scholarbot.ingest.pipeline import ingest_paths, ingest_records
from scholarbot.records import Author, Paper, Researcher, name_key, paper_id_for
from scholarbot.search.directory import TABLE_FILE, PeopleTable
from scholarbot.store.store import PEOPLE_STALE, Store, researcher_dict

from conftest import SAMPLE
from fakes import HashChromaEF, HashEmbedder


def _store(path: Path) -> tuple[Store, HashEmbedder]:
    embedder = HashEmbedder()
    return Store(StoreSettings(path=path, batch_size=100), HashChromaEF(embedder)), embedder


def _people(store: Store) -> dict[str, object]:
    return {r.id: researcher_dict(r) for r in store.iter_researchers()}


class _GivesUp(PeopleTable):
    """A table that stops taking rows partway, as PeopleTable does when its disk fills up."""

    def write(self, people: Iterable[Researcher], generation: Callable[[], str]) -> None:
        for n, _ in enumerate(people):
            if n == 30:
                return


def test_a_table_that_gives_up_midway_loses_no_researcher(tmp_path: Path) -> None:
    reference, emb = _store(tmp_path / "reference")
    ingest_paths([SAMPLE], reference, emb)

    store, emb = _store(tmp_path / "store")
    report = ingest_paths([SAMPLE], store, emb, people=_GivesUp(tmp_path / "index"))

    assert _people(store) == _people(reference)
    assert report.researchers_total == len(_people(reference)) > 30
    assert not store.get_flag(PEOPLE_STALE)
    assert not (tmp_path / "index" / TABLE_FILE).exists()


def test_a_store_error_while_writing_people_reaches_the_caller_though_the_table_swallows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, emb = _store(tmp_path / "store")
    write = store._write_researcher_rows

    def failing(ids: list[str], rows: list[dict[str, Any]]) -> None:
        raise OSError("disk full")  # PeopleTable.write suppresses OSError from its own writes

    monkeypatch.setattr(store, "_write_researcher_rows", failing)
    table = PeopleTable(tmp_path / "index")
    with pytest.raises(OSError, match="disk full"):
        ingest_paths([SAMPLE], store, emb, people=table)
    assert store.get_flag(PEOPLE_STALE)  # the next run resolves everyone again
    assert table.generation() is None

    monkeypatch.setattr(store, "_write_researcher_rows", write)
    ingest_paths([SAMPLE], store, emb, people=table)
    reference, emb = _store(tmp_path / "reference")
    ingest_paths([SAMPLE], reference, emb)
    assert _people(store) == _people(reference)
    assert table.generation() == store.people_generation()


def test_name_counts_cover_exactly_the_names_asked_and_those_sharing_a_word(tmp_path: Path) -> None:
    store, emb = _store(tmp_path / "store")
    table = PeopleTable(tmp_path / "index")
    ingest_paths([SAMPLE], store, emb, people=table)
    title = "Known by initials"
    initials = Paper(id=paper_id_for(title), title=title, authors=(Author("J. K."),))
    ingest_records([initials], [], store, emb, people=table)
    db = sqlite3.connect(tmp_path / "index" / TABLE_FILE)
    everyone = dict(db.execute("SELECT key, sum(clusters) FROM people GROUP BY key").fetchall())
    asked = [*sorted(everyone)[::40], name_key("J. K.")]
    words = {w for k in asked for w in k.split() if len(w) > 1}

    counts, total = table.name_counts(asked)

    sharing = {k: n for k, n in everyone.items() if k in asked or words & set(k.split())}
    assert sharing.items() <= counts.items() and set(asked) <= set(counts) < set(everyone)
    # Beyond those, only people filed under another name whose printed variant shares a word
    # ("Mingyu Zheng", printed "Ming Yu Zheng" too): their counts leave the words asked about as they are.
    printed = dict(db.execute("SELECT key, group_concat(aliases, ' ') FROM people GROUP BY key").fetchall())
    for key in set(counts) - set(sharing):
        assert words & {name_key(w) for w in re.findall(r"[^\W\d_]+", printed[key])}
    assert total == sum(everyone.values())


def test_name_frequencies_from_names_sharing_a_word_equal_those_from_every_name() -> None:
    everyone = Counter(
        {
            "wei wang": 40,
            "wang xin": 12,
            "jun park": 3,
            "seongmin park": 2,
            "park jiho": 2,
            "minji park": 2,
            "park sora": 1,
            "tor lattimore": 1,
            "anna lattimore": 1,
            "j smith": 5,
            "mary smith": 2,
            "ada lovelace": 1,
        }
    )
    for asked in (["seongmin park"], ["tor lattimore", "wei wang"], ["mary smith"]):
        words = {w for k in asked for w in k.split() if len(w) > 1}
        sharing = {k: n for k, n in everyone.items() if words & set(k.split())}
        full, partial = NameFrequencies(everyone), NameFrequencies(sharing, sum(everyone.values()))
        for key in asked:
            assert partial.expected_namesakes(key) == pytest.approx(full.expected_namesakes(key))
            assert partial.romanised(key) == full.romanised(key)
    # Without the total the same counts would make every name look commoner than it is.
    lone = {k: n for k, n in everyone.items() if "lattimore" in k}
    assert NameFrequencies(lone).expected_namesakes("tor lattimore") != pytest.approx(
        NameFrequencies(everyone).expected_namesakes("tor lattimore")
    )


class _Closes(PeopleTable):
    """A table that takes one row and closes the stream."""

    def write(self, people: Iterable[Researcher], generation: Callable[[], str]) -> None:
        rows = iter(people)
        next(rows)
        rows.close()  # type: ignore[attr-defined]


def test_a_table_that_closes_the_stream_gets_a_clear_error_and_a_stale_store(tmp_path: Path) -> None:
    store, emb = _store(tmp_path / "store")
    with pytest.raises(ScholarbotError, match="stopped before every researcher was written"):
        ingest_paths([SAMPLE], store, emb, people=_Closes(tmp_path / "index"))
    assert store.get_flag(PEOPLE_STALE)


def test_resolving_everyone_again_marks_the_store_stale_while_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, emb = _store(tmp_path / "store")
    ingest_paths([SAMPLE], store, emb)
    monkeypatch.setattr("scholarbot.ingest.pipeline.researcher_hash", lambda r: "changed")  # all rewritten
    monkeypatch.setattr(store, "_write_researcher_rows", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([SAMPLE], store, emb, resolve_all=True)
    assert store.get_flag(PEOPLE_STALE)  # nothing was written, yet an interruption left people half done
