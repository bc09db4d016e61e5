"""The people directory as a SQLite table: built once per store generation, opened without reading it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarbot.records import Researcher, name_key
from scholarbot.search.directory import PeopleDirectory, PeopleTable

PEOPLE = [
    Researcher(id="r1", name="Hainan Zhang", affiliations=("Beihang University",), paper_ids=("p1", "p2")),
    Researcher(
        id="r2", name="Zhang Hainan", aliases=("H. Zhang",), affiliations=("JD.com",), paper_ids=("p3",)
    ),
    Researcher(id="r3", name="Zheng Lin", affiliations=("Beihang University", "HKU"), paper_ids=("p1",)),
    Researcher(id="r4", name="Noémie Elhadad", paper_ids=("p4",)),
]


class FakeStore:
    """What the directory needs of a store: its generation, its researchers, and a count of scans."""

    def __init__(self, generation: str = "g1") -> None:
        self.gen = generation
        self.scans = 0

    def people_generation(self) -> str:
        return self.gen

    def iter_researchers(self) -> Iterator[Researcher]:
        self.scans += 1
        return iter(PEOPLE)


def test_directory_answers_from_its_table(tmp_path: Path):
    people = PeopleDirectory.open(FakeStore(), tmp_path)  # type: ignore[arg-type]
    assert len(people) == 4 and len(people.names) == 4  # "hainan zhang" (2 people), "h zhang", 2 more
    both = people.names.lookup("Hainan Zhang")
    assert both.exact and [p.id for p in both.people] == ["r1"]  # asked in his printed order
    assert [p.id for p in people.names.by_key["hainan zhang"]] == ["r1", "r2"]  # most published first
    typo = people.names.lookup("Hainan Zhnag")
    assert not typo.exact and {p.id for p in typo.people} == {"r1", "r2"}
    assert people.names.lookup("Noemie Elhadad").people[0].name == "Noémie Elhadad"
    assert people.names.lookup("Totally Unknown").people == ()
    assert people.names.suggest("zhe") == ["Zheng Lin"]
    assert people.names.spot("what has Zheng Lin written?") == ("Zheng Lin", "lin zheng")
    assert people.names.word_count("zhang") == 3 and people.names.word_count("long") == 0
    assert sorted(people.names.keys_with_word("zhang")) == ["h zhang", "hainan zhang"]
    assert sorted(people.authors_of("p1")) == ["r1", "r3"] and people.authors_of("nope") == []
    assert people.members(lambda aff: aff.startswith("Beihang")) == {"r1", "r3"}
    assert people.affiliations() == ["Beihang University", "JD.com", "HKU"]
    assert people.entries["r3"].affiliations == ("Beihang University", "HKU") and "r9" not in people.entries
    assert people.record("r2").aliases == ("H. Zhang",)


def test_the_table_is_reused_until_the_store_changes(tmp_path: Path):
    store = FakeStore("g1")
    PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    again = PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    assert store.scans == 1 and len(again) == 4  # opened, not rebuilt
    store.gen = "g2"
    PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    assert store.scans == 2


def test_a_table_of_another_layout_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from scholarbot.search import directory

    store = FakeStore("g1")
    PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(directory, "TABLE_FORMAT", directory.TABLE_FORMAT + 1)
    PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    assert store.scans == 2


def test_whole_records_come_from_the_table_without_the_store(tmp_path: Path):
    # FakeStore has no get_researchers: a directory reaching into the store fails here.
    rich = Researcher(
        id="r9",
        name="Tor Lattimore",
        aliases=("T. Lattimore",),
        affiliations=("DeepMind",),
        metrics={"h_index": 40, "citations": 12000.5},
        topics=("bandits", "RL"),
        links=("https://example.org/tor",),
        sources=("openreview", "dblp"),
        paper_ids=("p7", "p8"),
        coauthors=(("r1", 3), ("r3", 1)),
        rarity_joins=2,
    )
    store = FakeStore()
    store_people = [*PEOPLE, rich]
    store.iter_researchers = lambda: iter(store_people)  # type: ignore[method-assign]
    people = PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    reopened = PeopleDirectory.open(store, tmp_path)  # type: ignore[arg-type]
    assert reopened.records(["r9", "nope", "r1", "r9"]) == {"r9": rich, "r1": PEOPLE[0]}
    assert list(reopened.records(["r4", "r2"])) == ["r4", "r2"]
    assert people.record("r9") == rich and people.names.lookup("Tor Lattimore").people[0].id == "r9"


def test_a_damaged_table_is_rebuilt(tmp_path: Path):
    (tmp_path / "people.sqlite3").write_bytes(b"not a database")
    people = PeopleDirectory.open(FakeStore(), tmp_path)  # type: ignore[arg-type]
    assert people.names.lookup("Zheng Lin").exact


def test_an_in_memory_directory_needs_no_folder():
    people = PeopleDirectory(iter([]))
    assert len(people) == 0 and people.names.lookup("Anyone").people == ()
    with pytest.raises(KeyError):
        people.entries["r1"]


def test_ingest_saves_the_directory_so_no_reader_scans_the_store(hash_store, tmp_path: Path, monkeypatch):
    from scholarbot.ingest.pipeline import ingest_paths

    store, embedder = hash_store
    f = tmp_path / "naacl2021.json"
    f.write_text('[{"title": "A Paper", "abstract": "words", "author": "Ann Lee; Bo Chen"}]')
    folder = tmp_path / "index"
    ingest_paths([f], store, embedder, people=PeopleTable(folder))
    scan = store.iter_researchers
    scans: list[int] = []
    monkeypatch.setattr(store, "iter_researchers", lambda: scans.append(1) or scan())
    assert PeopleDirectory.open(store, folder).names.lookup("Ann Lee").exact
    assert scans == []  # the saved table matched the store's people generation
    store.set_flag("something", 1)  # another write that leaves the people as they were
    assert PeopleDirectory.open(store, folder).names.lookup("Bo Chen").exact
    assert scans == []
    store.people_resolved()  # another writer resolved people: the saved table is stale now
    assert PeopleDirectory.open(store, folder).names.lookup("Bo Chen").exact
    assert scans == [1]


def test_names_match_with_a_middle_initial_set_aside_but_not_a_swapped_surname():
    people = PeopleDirectory(
        [
            Researcher(id="n1", name="Noah A. Smith", paper_ids=("p1",)),
            Researcher(id="n2", name="Ann Lee", paper_ids=("p2",)),
            Researcher(id="n3", name="Andrew Wang", paper_ids=("p3",)),
        ]
    )
    found = people.names.lookup("Noah Smith")
    assert [p.id for p in found.people] == ["n1"] and found.exact
    assert [p.id for p in people.names.lookup("Ann B. Lee").people] == ["n2"]
    # Initials and a surname stand for the one name they abbreviate, and for no one when several fit.
    assert [p.id for p in people.names.lookup("A. Lee").people] == ["n2"]
    assert [p.id for p in people.names.lookup("A. B. Lee").people] == ["n2"]
    assert people.names.lookup("C. Lee").people == ()
    two = PeopleDirectory([Researcher(id="a", name="Ann Lee"), Researcher(id="b", name="Alex Lee")])
    asked = two.names.lookup("A. Lee")
    assert asked.people == () and asked.abbreviates == 2 and set(asked.suggestions) == {"Ann Lee", "Alex Lee"}
    # "andrew ng" scores 90 against "andrew wang" as a whole; "ng" is no misspelling of "wang".
    missing = people.names.lookup("Andrew Ng")
    assert missing.people == () and "Andrew Wang" in missing.suggestions
    assert [p.id for p in people.names.lookup("Andrew Wnag").people] == ["n3"]  # a real typo still is


def test_a_typo_between_two_names_is_read_as_the_one_with_far_more_papers():
    people = PeopleDirectory(
        [
            Researcher(id="choi", name="Yejin Choi", paper_ids=tuple(f"c{i}" for i in range(44))),
            Researcher(id="cho", name="Yejin Cho", paper_ids=("x1",)),
        ]
    )
    # One letter off Yejin Cho, two off Yejin Choi: the name written about 44 times as often wins.
    assert [p.id for p in people.names.lookup("yejin choy").people] == ["choi"]
    assert [p.id for p in people.names.lookup("Yejin Cho").people] == ["cho"]  # an exact name is exact
    # With as many papers each, the nearer spelling stays the reading.
    even = PeopleDirectory(
        [
            Researcher(id="choi", name="Yejin Choi", paper_ids=("c1",)),
            Researcher(id="cho", name="Yejin Cho", paper_ids=("x1",)),
        ]
    )
    assert [p.id for p in even.names.lookup("yejin choy").people] == ["cho"]


def test_a_long_surname_one_letter_apart_is_offered_as_another_spelling_of_the_name():
    people = PeopleDirectory(
        [
            Researcher(id="a", name="Pushpak Bhattacharyya", paper_ids=("p1",)),
            Researcher(id="b", name="Pushpak Bhattacharya", paper_ids=("p2",)),
            Researcher(id="c", name="Yejin Choi", paper_ids=("p3",)),
            Researcher(id="d", name="Yejin Cho", paper_ids=("p4",)),
        ]
    )
    assert people.names.spelling_variants(["Pushpak Bhattacharya"]) == {name_key("Pushpak Bhattacharyya")}
    # Short surnames one letter apart are different names, not spellings.
    assert people.names.spelling_variants(["Yejin Cho"]) == set()
