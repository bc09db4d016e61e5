"""Records survive the trip through Chroma rows unchanged."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import numpy as np
import pytest

from scholarbot.records import Author, Paper, ProfilePage, Researcher, paper_id_for
from scholarbot.store.store import (
    PAPER_KEY,
    Store,
    paper_dict,
    paper_from_blob,
    paper_text,
    record_hash,
    researcher_dict,
    researcher_hash,
    text_hash,
)

from fakes import HashChromaEF

TITLE = "Über-Robust Parsing of “Quoted” Titles: A Study"

PAPER = Paper(
    id=paper_id_for(TITLE),
    title=TITLE,
    abstract="First line.\nSecond line with a tab\tand unicode: αβγ.",
    authors=(Author("Noémie Elhadad", "~Noémie_Elhadad1", ("Columbia University",)), Author("Jason Zucker")),
    authors_complete=False,
    authors_omitted=2,
    year=2024,
    date="2024-05-01",
    venue="COLM 2024",
    url="https://openreview.net/forum?id=x",
    code_urls=("https://github.com/a/b",),
    external_ids={"openreview": "x", "arxiv": "2401.00001"},
    versions=("2401.00001v1", "2401.00001v2"),
    citation_count=4,
    tags=("keyword:summarization",),
    sources=("paperlists:colm2024", "seed:pubs-list:x.txt"),
)


def test_paper_round_trip(hash_store):
    store, emb = hash_store
    store.upsert_papers([PAPER], emb.embed_documents([PAPER.title]))
    assert store.get_papers([PAPER.id]) == {PAPER.id: PAPER}
    assert list(store.iter_papers()) == [PAPER]


def test_researcher_and_profile_round_trip(hash_store):
    store, emb = hash_store
    person = Researcher(
        id="r_1",
        name="Noémie Elhadad",
        aliases=("Noemie Elhadad",),
        affiliations=("Columbia University",),
        metrics={"h_index": 5, "papers_in_store": 1},
        topics=("clinical NLP",),
        sources=("paperlists:colm2024",),
        paper_ids=(PAPER.id,),
        coauthors=(("r_2", 3),),
    )
    store.upsert_researchers([person])
    assert store.get_researchers(["r_1"]) == {"r_1": person}
    page = ProfilePage(
        name="Zheng Lin", source="seed:paper-feed:x", page_format="paper-feed", metrics={"h_index": 44}
    )
    store.upsert_profiles([page], np.asarray(emb.embed_documents([page.name])))
    assert list(store.iter_profiles()) == [page]


def _legacy_row(person: Researcher) -> dict[str, str]:
    """A researcher as stores before packs held it: a row of its own."""
    return {"record": json.dumps(researcher_dict(person), sort_keys=True, ensure_ascii=False)}


def test_researchers_written_before_placeholder_vectors_still_take_writes(hash_store):
    store, emb = hash_store
    old = Researcher(id="r_old", name="Ann Lee")
    # As older stores hold them: a row per researcher with a full vector of the researcher's text.
    store.researchers.upsert(
        ids=[old.id], embeddings=emb.embed_documents([old.name]), metadatas=[_legacy_row(old)]
    )
    reopened = Store(store.settings, HashChromaEF(emb))
    assert reopened.get_researchers(["r_old"]) == {"r_old": old} and reopened.count("researchers") == 1
    new = Researcher(id="r_new", name="Bo Chen")
    reopened.upsert_researchers([new])
    assert reopened.get_researchers(["r_old", "r_new"]) == {"r_old": old, "r_new": new}
    assert reopened.count("researchers") == 2
    # Both moved into packs, which keep the collection's vector dimension.
    rows = reopened.researchers.get(include=["embeddings"])
    assert all(i.startswith("rp_") for i in rows["ids"])
    assert len(rows["embeddings"][0]) == len(emb.embed_documents(["x"])[0])


def test_hand_written_serialisers_match_asdict():
    # They exist for speed; a field added to a record must not be silently dropped.
    placed = dataclasses.replace(PAPER, affiliations=("Alibaba Group",))
    assert paper_dict(placed) == _plain(dataclasses.asdict(placed))
    # Written only when a paper has them, so the records (and hashes) of all others stay as they were.
    assert paper_dict(PAPER) == {
        k: v for k, v in _plain(dataclasses.asdict(PAPER)).items() if k != "affiliations"
    }
    r = Researcher(id="r", name="n", coauthors=(("a", 2),), metrics={"h": 1}, paper_ids=("p",))
    assert researcher_dict(r) == _plain(dataclasses.asdict(r))


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _keyed_row(paper: Paper, *, text_as_document: bool = False) -> dict[str, object]:
    """A paper row as stores before the packed value wrote it: text, record and hashes as keys
    (0.1 kept title and abstract as the Chroma document instead)."""
    rec = paper_dict(paper)
    del rec["title"], rec["abstract"], rec["id"]
    row: dict[str, object] = {
        "first_seen": 1_700_000_000,
        "written_at": 1_700_000_000_000,
        "record": json.dumps(rec, ensure_ascii=False),
        "record_hash": record_hash(paper),
        "text_hash": text_hash(paper),
        "year": paper.year or 0,
        "venue": paper.venue or "",
    }
    if not text_as_document:
        row |= {"title": paper.title, "abstract": paper.abstract}
    return row


@pytest.mark.parametrize("text_as_document", [False, True], ids=["keys", "document"])
def test_rows_of_older_layouts_still_read_and_take_rewrites(hash_store, text_as_document):
    store, emb = hash_store
    vectors = np.asarray(emb.embed_documents([PAPER.title]), dtype=np.float32)
    store.papers.upsert(
        ids=[PAPER.id],
        embeddings=vectors,
        documents=[paper_text(PAPER)] if text_as_document else None,
        metadatas=[_keyed_row(PAPER, text_as_document=text_as_document)],
    )
    assert store.get_papers([PAPER.id]) == {PAPER.id: PAPER}
    assert store.papers_without_deep_vectors() == [(PAPER.id, paper_text(PAPER), text_hash(PAPER))]
    (page,) = store.paper_pages()
    assert (page.texts, page.text_hashes, page.venues, page.years) == (
        [paper_text(PAPER)],
        [text_hash(PAPER)],
        ["COLM 2024"],
        [2024],
    )
    assert paper_from_blob(page.records[0]) == PAPER

    # A record rewritten in place (its text unchanged) keeps the old keys beside the new value,
    # and the new value is what reads.
    cited = dataclasses.replace(PAPER, citation_count=40)
    store.update_paper_records([cited])
    assert store.get_papers([PAPER.id]) == {PAPER.id: cited}
    assert store.first_seen([PAPER.id]) == {PAPER.id: 1_700_000_000}
    assert store.papers_first_seen(1_700_000_000, 1_700_000_001) == [cited]


def test_papers_first_seen_in_a_window_across_layouts(hash_store):
    """A digest's window finds new papers whichever layout their rows have, and only new ones."""
    store, emb = hash_store
    now = int(time.time())
    titles = ["Old keyed row first seen long ago", "Keyed row first seen in the window", "New row"]
    old, keyed, new = (dataclasses.replace(PAPER, id=paper_id_for(t), title=t) for t in titles)
    vectors = np.asarray(emb.embed_documents(titles), dtype=np.float32)
    rows = [_keyed_row(old), _keyed_row(keyed) | {"first_seen": now - 10, "written_at": (now - 10) * 1000}]
    store.papers.upsert(ids=[old.id, keyed.id], embeddings=vectors[:2], metadatas=rows)
    store.upsert_papers([new], vectors[2:])
    window = store.papers_first_seen(now - 100, now + 100)
    assert sorted(p.title for p in window) == sorted([keyed.title, new.title])


def test_a_row_is_the_record_compressed_plus_the_keys_filters_read(hash_store):
    store, emb = hash_store
    store.upsert_papers([PAPER], emb.embed_documents([PAPER.title]), first_seen={PAPER.id: 5})
    (meta,) = store.papers.get(ids=[PAPER.id], include=["metadatas"])["metadatas"]
    assert set(meta) == {"written_at", PAPER_KEY}
    assert len(meta[PAPER_KEY]) < len(json.dumps(paper_dict(PAPER), ensure_ascii=False))
    assert store.first_seen([PAPER.id]) == {PAPER.id: 5}
    assert store.papers_first_seen(5, 6) == [PAPER]
    # Written just now, but first seen long before: not new in a window starting an hour ago.
    assert store.papers_first_seen(time.time() - 3600, time.time() + 60) == []
    (page,) = store.paper_pages()
    assert (page.venues, page.years, page.text_hashes) == (["COLM 2024"], [2024], [text_hash(PAPER)])


def test_blobs_of_indexes_built_before_the_hashes_joined_them_still_read():
    rec = paper_dict(PAPER)
    del rec["title"], rec["abstract"], rec["id"]
    old = json.dumps([PAPER.title, PAPER.abstract, json.dumps(rec)]).encode()
    assert paper_from_blob(old) == PAPER


def test_new_rows_carry_no_document(hash_store):
    """Chroma full-text-indexes documents on every write; our rows keep their text as metadata."""
    store, emb = hash_store
    store.upsert_papers([PAPER], emb.embed_documents([PAPER.title]))
    assert store.papers.get(ids=[PAPER.id], include=["documents"])["documents"] == [None]


def test_two_flag_writers_never_undo_each_other(hash_store):
    """A digest's ingest and an enrich write flags through their own handles at the same time."""
    store, emb = hash_store
    other = Store(store.settings, HashChromaEF(emb))

    def write(handle: Store, prefix: str) -> None:
        for i in range(40):
            handle.set_flag(f"{prefix}{i}", i)

    threads = [threading.Thread(target=write, args=(h, p)) for h, p in ((store, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flags = store.flags()
    assert {f"{p}{i}": i for p in "ab" for i in range(40)}.items() <= flags.items()


def test_flags_kept_by_older_stores_in_collection_metadata_are_adopted(hash_store):
    store, emb = hash_store
    store.papers.modify(metadata={"embedder": "old-model", "people_stale": True})
    assert not store.flags()  # as a store written before flag rows: values only in the metadata

    reopened = Store(store.settings, HashChromaEF(emb))
    reopened.set_flag("people_stale", False)

    assert reopened.get_flag("embedder") == "old-model"
    assert Store(store.settings, HashChromaEF(emb)).flags()["people_stale"] is False


def test_a_scan_spanning_many_pages_reads_every_row_once_in_store_order(hash_store, monkeypatch):
    import scholarbot.store.store as store_module

    store, _emb = hash_store
    people = [Researcher(id=f"r_{i:03d}", name=f"Person {i}", paper_ids=(f"p{i}",)) for i in range(23)]
    store.upsert_researchers(people)
    store.delete_researchers(["r_005"])
    first = [r.id for r in store.iter_researchers()]
    monkeypatch.setattr(store_module, "SCAN_PAGE", 4)
    paged = list(store.iter_researchers())
    assert [r.id for r in paged] == first and len(first) == 22 and "r_005" not in first
    assert sorted(paged, key=lambda r: r.id) == [p for p in people if p.id != "r_005"]


def test_researcher_hashes_read_rows_with_and_without_a_stored_hash(hash_store):
    # Older stores wrote each researcher's name and record hash as metadata keys of their own.
    store, _ = hash_store
    old, new = Researcher(id="r_old", name="Ann Lee"), Researcher(id="r_new", name="Bo Chen", topics=("NLP",))
    row = _legacy_row(old)
    store.researchers.upsert(
        ids=[old.id],
        embeddings=np.ones((1, 1), dtype=np.float32),
        metadatas=[{**row, "name": old.name, "record_hash": researcher_hash(old)}],
    )
    store.upsert_researchers([new])
    assert store.researcher_hashes() == {"r_old": researcher_hash(old), "r_new": researcher_hash(new)}
    changed = dataclasses.replace(new, topics=("NLP", "IR"))
    assert researcher_hash(changed) != store.researcher_hashes()["r_new"]


def _many(n: int, start: int = 0) -> list[Researcher]:
    return [
        Researcher(
            id=f"r_{i:05d}", name=f"Person {i}", paper_ids=(f"p{i}",), coauthors=((f"r_{i + 1:05d}", 1),)
        )
        for i in range(start, start + n)
    ]


def test_researchers_are_kept_many_to_a_row_and_a_change_rewrites_only_its_row(hash_store, monkeypatch):
    store, _ = hash_store
    people = _many(400)
    store.upsert_researchers(people)
    assert len(store.researchers.get(include=[])["ids"]) <= len(people) / 8
    assert store.count("researchers") == 400 and store.get_researchers(["r_00123"]) == {
        "r_00123": people[123]
    }
    written: list[list[str]] = []
    write = store._write_researcher_rows
    monkeypatch.setattr(
        store, "_write_researcher_rows", lambda ids, rows: written.append(ids) or write(ids, rows)
    )
    changed = dataclasses.replace(people[7], name="Person Seven")
    store.upsert_researchers([changed])
    assert [len(ids) for ids in written] == [1]  # one row rewritten, not the store
    assert store.get_researchers([changed.id]) == {changed.id: changed}
    store.delete_researchers([p.id for p in people[:399]])
    assert store.count("researchers") == 1 and len(store.researchers.get(include=[])["ids"]) == 1
    assert list(store.iter_researchers()) == [people[399]]


def test_a_researcher_write_that_raises_writes_nothing(hash_store):
    store, _ = hash_store
    with pytest.raises(RuntimeError), store.researcher_writer() as writer:
        writer.upsert(_many(5))
        raise RuntimeError("interrupted")
    assert store.count("researchers") == 0 and list(store.iter_researchers()) == []


def test_a_large_write_spills_to_disk_and_rows_are_remade_as_the_store_grows(hash_store, monkeypatch):
    import scholarbot.store.packs as packs

    store, _ = hash_store
    monkeypatch.setattr(packs, "SPILL", 50)
    first = _many(30)
    store.upsert_researchers(first)
    assert store.get_flag(packs.PACKS_FLAG) == 16
    more = _many(3000, start=30)
    with store.researcher_writer() as writer:
        for start in range(0, len(more), 100):
            writer.upsert(more[start : start + 100])
    buckets = store.get_flag(packs.PACKS_FLAG)
    assert buckets > 16 and 3030 / buckets <= packs.PER_PACK
    assert len(store.researchers.get(include=[])["ids"]) <= buckets  # no row of the old layout left
    assert store.count("researchers") == 3030
    assert sorted(store.iter_researchers(), key=lambda r: r.id) == first + more
    assert store.get_researchers(["r_00005", "r_02000"]) == {"r_00005": first[5], "r_02000": more[1970]}


def test_a_move_into_packs_cut_short_leaves_the_old_rows_in_charge(hash_store):
    from scholarbot.store.packs import encode

    store, _ = hash_store
    old = _many(3)
    stray = _many(1, start=50)[0]
    store.researchers.upsert(
        ids=[r.id for r in old] + ["rp_0"],
        embeddings=np.ones((4, 1), dtype=np.float32),
        # A pack written before the move was cut short, holding a record the old rows do not.
        metadatas=[*map(_legacy_row, old), {"records": encode({stray.id: _legacy_row(stray)["record"]})}],
    )
    assert list(store.iter_researchers()) == old and store.count("researchers") == 4  # rows, not records
    late = _many(1, start=3)
    store.upsert_researchers(late)
    assert sorted(store.iter_researchers(), key=lambda r: r.id) == old + late
    assert store.count("researchers") == 4
    assert all(i.startswith("rp_") for i in store.researchers.get(include=[])["ids"])
