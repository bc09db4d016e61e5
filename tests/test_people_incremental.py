"""A late ingest re-resolves only the names its papers carry, and ends where a full resolution would."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from scholarbot.config import StoreSettings
from scholarbot.ingest.importers import read_file
from scholarbot.ingest.people import RarityMerge, resolve_people
from scholarbot.ingest.pipeline import (
    IngestReport,
    _is_current,
    _write_papers,
    ingest_paths,
    ingest_records,
    refresh_touched,
)
from scholarbot.records import Author, Paper, ProfilePage, bare_key, paper_id_for, person_key
from scholarbot.search.directory import TABLE_FILE, PeopleDirectory, PeopleTable
from scholarbot.store.store import Store, researcher_dict

from conftest import SAMPLE, SEEDS
from fakes import HashChromaEF, HashEmbedder


def _split_sample(tmp_path: Path) -> tuple[Path, Path]:
    """The bundled sample as an early ingest and a late one: the last papers of every file, one
    early paper again with an author added, and three of the four seed profile pages."""
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    for f in sorted((SAMPLE / "paperlists").glob("*.json")):
        rows = json.loads(f.read_text())
        cut = len(rows) - max(1, len(rows) // 8)
        (early / f.name).write_text(json.dumps(rows[:cut]))
        tail = rows[cut:]
        if f.name == "acl2022.json":
            grown = dict(rows[0], author=f"{rows[0]['author']}; Late Coauthor")
            tail.append(grown)
        (late / f.name).write_text(json.dumps(tail))
    for page in sorted(SEEDS.iterdir()):
        # The 50-paper "Zheng Lin" page goes early, keeping the late ingest a small share of the store.
        (early if page.name.startswith("003") else late).joinpath(page.name).write_bytes(page.read_bytes())
    return early, late


def _store(path: Path) -> tuple[Store, HashEmbedder]:
    embedder = HashEmbedder()
    return Store(StoreSettings(path=path, batch_size=200), HashChromaEF(embedder)), embedder


def _people(store: Store) -> dict[str, Any]:
    return {r.id: researcher_dict(r) for r in store.iter_researchers()}


def _table(folder: Path) -> dict[str, Any]:
    """What the people table answers, person by person and name by name."""
    import sqlite3

    db = sqlite3.connect(folder / TABLE_FILE)
    try:
        return {
            "people": sorted(
                db.execute("SELECT id, name, key, aliases, paper_ids, affiliations FROM people")
            ),
            "keys": sorted(db.execute("SELECT k.key, p.id FROM keys k JOIN people p ON p.n = k.n")),
            "authorship": sorted(
                db.execute("SELECT a.paper, p.id FROM authorship a JOIN people p USING (n)")
            ),
            "affiliations": sorted(
                db.execute("SELECT p.id, a.pos, a.aff FROM affiliations a JOIN people p USING (n)")
            ),
            "words": sorted(db.execute("SELECT word, key, people FROM words")),
            "display": sorted(db.execute("SELECT key FROM display")),
        }
    finally:
        db.close()


def _rarity_joins(store: Store) -> set[str]:
    """Person keys a full resolution of the store joins on name rarity."""
    merges: list[RarityMerge] = []
    resolve_people(list(store.iter_papers()), list(store.iter_profiles()), merges=merges)
    return {m.key for m in merges}


def _without(people: dict[str, Any], table: dict[str, Any], keys: set[str]) -> tuple[Any, Any]:
    """People and table rows with the people of these person keys left out, and every pointer to them."""
    gone = {rid for rid, r in people.items() if person_key(r["name"]) in keys}
    kept = {
        rid: {**r, "coauthors": [c for c in r["coauthors"] if c[0] not in gone]}
        for rid, r in people.items()
        if rid not in gone
    }
    by_id = {"people": 0, "keys": 1, "authorship": 1, "affiliations": 0}
    rows = {name: [r for r in table[name] if r[by_id[name]] not in gone] for name in by_id}
    rows |= {
        name: [r for r in table[name] if bare_key(r[-2 if name == "words" else 0]) not in keys]
        for name in ("words", "display")
    }
    return kept, rows


def test_a_late_ingest_resolves_only_touched_names_and_matches_a_full_resolution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early, late = _split_sample(tmp_path)

    store, emb = _store(tmp_path / "incremental")
    table = PeopleTable(tmp_path / "incremental-index")
    ingest_paths([early], store, emb, people=table)
    before = _people(store)
    joined_before = _rarity_joins(store)
    scans: list[str] = []
    scan_papers, scan_people = store.iter_papers, store.researcher_hashes
    monkeypatch.setattr(store, "iter_papers", lambda: scans.append("papers") or scan_papers())
    monkeypatch.setattr(store, "researcher_hashes", lambda: scans.append("people") or scan_people())
    report = ingest_paths([late], store, emb, people=table)
    assert scans == []  # neither every paper nor every researcher was read
    assert report.papers_added > 40 and report.papers_updated >= 1 and report.researchers_changed > 0
    monkeypatch.undo()

    full, full_emb = _store(tmp_path / "full")
    full_table = PeopleTable(tmp_path / "full-index")
    ingest_paths([early], full, full_emb)
    ingest_paths([late], full, full_emb, people=full_table)  # no table before it: everyone resolved

    # A name-rarity join weighs the whole store's name and topic figures, which every new paper
    # moves a little. The late ingest re-decides the names its papers carry; a name it does not
    # touch keeps its person (or people) rather than split or join because unrelated papers came.
    touched = {person_key(a.name) for f in late.iterdir() for p in read_file(f).papers for a in p.authors}
    drifted = (joined_before ^ _rarity_joins(full)) - touched
    incremental, full_people = _people(store), _people(full)
    assert report.researchers_total == len(incremental)
    assert _without(incremental, _table(tmp_path / "incremental-index"), drifted) == _without(
        full_people, _table(tmp_path / "full-index"), drifted
    )
    for key in drifted:
        assert {rid for rid, r in incremental.items() if person_key(r["name"]) == key} == {
            rid for rid, r in before.items() if person_key(r["name"]) == key
        }
    # Readers take the patched table as it is: it carries the store's people generation.
    built: list[int] = []
    monkeypatch.setattr(store, "iter_researchers", lambda: built.append(1) or iter(()))
    directory = PeopleDirectory.open(store, tmp_path / "incremental-index")
    assert built == [] and directory.names.lookup("Late Coauthor").exact
    # The patched table holds the store's records whole, and its institution list is the store's.
    monkeypatch.undo()
    stored = {r.id: r for r in store.iter_researchers()}
    assert directory.records(sorted(stored)) == {i: stored[i] for i in sorted(stored)}
    affiliations = {a for r in stored.values() for a in r.affiliations}
    assert sorted(directory.affiliations()) == sorted(affiliations) and affiliations


def test_a_stale_or_missing_table_means_a_full_resolution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early, late = _split_sample(tmp_path)
    store, emb = _store(tmp_path / "store")
    folder = tmp_path / "index"
    ingest_paths([early], store, emb, people=PeopleTable(folder))
    store.people_resolved()  # another writer resolved people since the table was written
    scans: list[int] = []
    scan_papers = store.iter_papers
    monkeypatch.setattr(store, "iter_papers", lambda: scans.append(1) or scan_papers())
    ingest_paths([late], store, emb, people=PeopleTable(folder))
    assert scans == [1] and PeopleTable(folder).generation() == store.people_generation()
    (folder / TABLE_FILE).unlink()
    one = tmp_path / "naacl2021.json"
    one.write_text('[{"title": "One More", "abstract": "words", "author": "Ann Lee; Bo Chen"}]')
    ingest_paths([one], store, emb, people=PeopleTable(folder))  # no table: everyone, and a new table
    assert scans == [1, 1] and PeopleTable(folder).generation() == store.people_generation()
    ingest_paths([one], store, emb, people=PeopleTable(folder))  # nothing changed: nothing resolved
    assert scans == [1, 1]
    ingest_paths([one], store, emb, people=PeopleTable(folder), resolve_all=True)  # asked for: everyone
    assert scans == [1, 1, 1]


def _paper(title: str, *names: str) -> Paper:
    return Paper(id=paper_id_for(title), title=title, authors=tuple(Author(n) for n in names))


def _filler(n: int) -> list[Paper]:
    """Papers by distinct people with letters-only names: the population name rarity is judged in."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    tags = ["".join(letters[(i // 26**k) % 26] for k in range(3)) for i in range(n)]
    return [_paper(f"Filler study number {i}", f"Fil{t} Pers{t}") for i, t in enumerate(tags)]


def _late_then_full(
    tmp_path: Path, early: list[Paper], late: list[Paper], pages=((), ())
) -> tuple[Store, Store]:
    inc, emb = _store(tmp_path / "inc")
    ingest_records(early, list(pages[0]), inc, emb, people=PeopleTable(tmp_path / "inc-index"))
    scan = inc.iter_papers
    inc.iter_papers = lambda: pytest.fail("a late ingest scanned every paper") or scan()  # type: ignore[method-assign]
    ingest_records(late, list(pages[1]), inc, emb, people=PeopleTable(tmp_path / "inc-index"))
    full, full_emb = _store(tmp_path / "full")
    ingest_records(early, list(pages[0]), full, full_emb)
    ingest_records(late, list(pages[1]), full, full_emb, resolve_all=True)
    return inc, full


def test_name_rarity_of_touched_names_counts_clusters_before_rarity_joins(tmp_path: Path) -> None:
    # "Zyx Qqq" is two clusters that name rarity joins into one person; how common the token "zyx"
    # is must still count both, or the late "Zyx Www" paper is joined where a full pass keeps two people.
    early = [*_filler(695), _paper("Alpha qqq work", "Zyx Qqq"), _paper("Beta qqq work", "Zyx Qqq")]
    early.append(_paper("Gamma zebra crossing", "Zyx Www"))
    inc, full = _late_then_full(tmp_path, early, [_paper("Delta ocelot habitat", "Zyx Www")])
    assert _people(inc) == _people(full)
    www = [r for r in full.iter_researchers() if r.name == "Zyx Www"]
    assert len(www) == 2 and [r.rarity_joins for r in full.iter_researchers() if r.name == "Zyx Qqq"] == [1]


def test_a_touched_name_of_initials_only_still_counts_in_the_store_total(tmp_path: Path) -> None:
    # "J. K." shares no word of two letters with anyone; its old clusters must still leave the total,
    # or every other touched name looks rarer than a full pass finds it and is joined.
    def acl(title: str, *names: str) -> Paper:
        return dataclasses.replace(_paper(title, *names), year=2020, venue="ACL 2020")

    early = [*_filler(126), acl("Bandit regret bounds", "Tor Lattimore")]
    early += [acl(f"Initials paper {i}", "J. K.") for i in range(3)]
    late = [acl("Protein folding atlas", "Tor Lattimore", "Xa Ya"), acl("Initials paper late", "J. K.")]
    inc, full = _late_then_full(tmp_path, early, late)
    assert _people(inc) == _people(full)
    assert len([r for r in full.iter_researchers() if r.name == "Tor Lattimore"]) == 2


def test_pages_of_one_source_are_judged_together(tmp_path: Path) -> None:
    # One page file read again under another heading: two pages of one source. A full pass judges the
    # source mixed for both (two unlinked "Zheng Lin" groups), so the late page's metrics are not used.
    zl = [_paper("NLP one", "Zheng Lin", "Bo Chen"), _paper("NLP two", "Zheng Lin", "Bo Chen")]
    zl += [_paper("Vision one", "Zheng Lin", "Kim Park"), _paper("Vision two", "Zheng Lin", "Kim Park")]
    ann = [_paper("Ann first", "Ann Lee"), _paper("Ann second", "Ann Lee")]
    source = "seed:profile-page:003.html"
    zl_page = ProfilePage("Zheng Lin", source, "pubs-list", {"h": 3}, paper_ids=tuple(p.id for p in zl))
    ann_page = ProfilePage("Ann Lee", source, "pubs-list", {"h": 9}, paper_ids=tuple(p.id for p in ann))
    inc, full = _late_then_full(tmp_path, zl + ann + _filler(40), [], ([zl_page], [ann_page]))
    assert _people(inc) == _people(full)
    assert [r.metrics for r in full.iter_researchers() if r.name == "Ann Lee"] == [{"papers_in_store": 2}]


def test_an_ingest_that_resolved_people_meanwhile_means_a_full_pass(tmp_path: Path) -> None:
    # A digest's ingest (B) and a CLI ingest (A) on one store, interleaved: B reads the table and writes
    # its paper, A runs to the end, then B resolves. B's table lacks A's paper, so B must not trust it.
    first = _paper("Early joint work", "Wei Wang", "Bo Chen")
    early = [*_filler(40), first]
    # Titles whose ids sort after the first paper's, so every person keeps their id (an id the store
    # lacks would send B to a full pass for another reason).
    a_title = next(t for t in (f"Digest paper {i}" for i in range(99)) if paper_id_for(t) > first.id)
    b_title = next(t for t in (f"CLI paper {i}" for i in range(99)) if paper_id_for(t) > first.id)
    a = _paper(a_title, "Wei Wang", "Bo Chen", "Ann Lee")
    b = _paper(b_title, "Wei Wang", "Bo Chen")
    store, emb = _store(tmp_path / "store")
    folder = tmp_path / "index"
    ingest_records(early, [], store, emb, people=PeopleTable(folder))
    table_b = PeopleTable(folder)
    since = _is_current(table_b, store)
    touched_b = _write_papers([b], store, emb, IngestReport(), None)
    ingest_records([a], [], store, emb, people=PeopleTable(folder))
    refresh_touched(store, table_b, touched_b, since=since)
    full, full_emb = _store(tmp_path / "full")
    ingest_records([*early, a, b], [], full, full_emb)
    assert _people(store) == _people(full)
    assert PeopleTable(folder).generation() == store.people_generation()


def test_a_late_paper_printing_a_middle_initial_joins_the_person_printed_without_it(tmp_path: Path) -> None:
    early = [*_filler(40), _paper("Parsing one", "Christopher Manning", "Percy Liang")]
    early.append(_paper("Parsing two", "Christopher A. Manning", "Dan Klein"))
    late = [_paper("Parsing three", "Christopher D. Manning", "Percy Liang")]
    inc, full = _late_then_full(tmp_path, early, late)
    assert _people(inc) == _people(full)
    names = sorted(tuple(sorted({r.name, *r.aliases})) for r in full.iter_researchers() if "Mann" in r.name)
    assert names == [("Christopher A. Manning",), ("Christopher D. Manning", "Christopher Manning")]


def test_a_late_paper_printing_a_name_without_its_middle_names_joins_the_person_filed_under_them(
    tmp_path: Path,
) -> None:
    # The person is filed under "Jackie Chi Kit Cheung"; the late papers touch only the keys of
    # "Jackie Cheung" and "Jackie CK Cheung", so the late ingest must bring the filed key in too.
    early = [*_filler(40), _paper("Summaries one", "Jackie Chi Kit Cheung", "Siva Reddy")]
    early += [_paper("Summaries two", "Jackie Chi Kit Cheung", "Ann Lee", "Siva Reddy")]
    early += [_paper("Summaries three", "Jackie Cheung", "Siva Reddy"), _paper("Other", "Jackie Cheung")]
    late = [
        _paper("Summaries four", "Jackie Cheung", "Siva Reddy"),
        _paper("Five", "Jackie CK Cheung", "Ann Lee"),
    ]
    inc, full = _late_then_full(tmp_path, early, late)
    assert _people(inc) == _people(full)
    names = sorted(tuple(sorted({r.name, *r.aliases})) for r in full.iter_researchers() if "Cheung" in r.name)
    assert names == [("Jackie CK Cheung", "Jackie Cheung", "Jackie Chi Kit Cheung"), ("Jackie Cheung",)]
