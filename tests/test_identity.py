"""Identity: a rare name is itself evidence, a common one is not, and two ids of one scheme are two people.

Corpora are real paperlists files written to a temp dir: a background of a few thousand authorships
(Western names mostly unique, Chinese names from a few family and given names, as in real lists) gives
the name frequencies, and the people under test are added on top.
"""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from scholarbot.ingest.identity import (
    NameFrequencies,
    drops_east_asian_syllable,
    keys_anchored,
    middles_agree,
    name_form,
)
from scholarbot.ingest.importers import expand_paths, read_file
from scholarbot.ingest.people import RarityMerge, resolve_people
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.records import Paper, ProfilePage, Researcher, merge_by_id, name_key, person_key

from conftest import SEEDS

RARE = "Orlaith Quennevaux"
MDP = (
    "We study Markov decision processes with stochastic transitions and compute policies that"
    " minimise expected cost in stochastic shortest path problems, with guarantees on the policy."
)
_WEST_GIVEN = [
    a + b
    for a, b in product(
        ["Al", "Bren", "Cor", "Dav", "El", "Fen", "Gor", "Hal"], ["den", "ric", "wyn", "mar", "ton"]
    )
]
_WEST_FAMILY = [
    a + b
    for a, b in product(
        ["Ash", "Black", "Crow", "Dun", "East", "Fair", "Gold", "Hart"],
        ["worth", "field", "more", "ford", "wick"],
    )
]
_CN_FAMILY = ["Wang", "Li", "Zhang", "Liu", "Chen"]
_CN_GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Jun", "Yan", "Tao"]


def _background(n_papers: int = 900) -> list[dict[str, Any]]:
    """Papers whose authors set realistic name frequencies (3 authors each, 2 Western, 1 Chinese)."""
    rows = []
    for i in range(n_papers):
        west = [
            f"{_WEST_GIVEN[(3 * i + k) % 40]} {_WEST_FAMILY[(7 * i + 11 * k + i // 40) % 40]}" for k in (0, 1)
        ]
        chinese = f"{_CN_GIVEN[i % 8]} {_CN_FAMILY[(i // 8) % 5]}"
        rows.append({"title": f"Background study number {i}", "author": "; ".join([*west, chinese])})
    return rows


def _write(folder: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (folder / name).write_text(json.dumps(rows))
    return folder


def _resolve(*paths: Path, rarity: bool = True, merges: list[RarityMerge] | None = None) -> list[Researcher]:
    papers: list[Paper] = []
    pages: list[ProfilePage] = []
    for path in expand_paths(list(paths)):
        batch = read_file(path)
        papers.extend(batch.papers)
        pages.extend(batch.profiles)
    return resolve_people(list(merge_by_id(papers).values()), pages, rarity=rarity, merges=merges)


def _named(people: list[Researcher], name: str) -> list[Researcher]:
    return [r for r in people if name_key(r.name) == name_key(name)]


def _rare_across_venues(tmp_path: Path, first: str = RARE, second: str = RARE) -> Path:
    acl = {
        "title": "Risk-aware shortest paths in Markov decision processes",
        "author": f"{first}; Ysolde Marchetti",
        "aff": "University of Galway; University of Galway",
        "abstract": MDP,
    }
    ijcai = {
        "title": "Certified policy synthesis for Markov decision processes under uncertainty",
        "author": f"Thaddeus Ocampo; {second}; Brunhild Szabo",
        "aff": "ETH Zurich; Lancaster University Leipzig; ETH Zurich",
        "abstract": MDP,
    }
    return _write(
        tmp_path / "rare",
        {"acl2022.json": [acl], "ijcai2023.json": [ijcai], "aaai2022.json": _background()},
    )


def test_a_rare_name_across_venues_with_disjoint_coauthors_is_one_person(tmp_path):
    folder = _rare_across_venues(tmp_path)
    assert len(_named(_resolve(folder, rarity=False), RARE)) == 2  # nothing but the name links them

    merges: list[RarityMerge] = []
    (person,) = _named(_resolve(folder, merges=merges), RARE)
    assert len(person.paper_ids) == 2
    assert set(person.affiliations) == {"University of Galway", "Lancaster University Leipzig"}
    (merge,) = [m for m in merges if m.key == person_key(RARE)]
    assert merge.evidence.expected_namesakes < 0.01 and not merge.evidence.romanised


def test_a_rare_name_printed_with_and_without_a_middle_initial_is_one_person(tmp_path):
    folder = _rare_across_venues(tmp_path, RARE, "Orlaith M. Quennevaux")
    (person,) = _named(_resolve(folder), RARE)
    assert {person.name, *person.aliases} == {RARE, "Orlaith M. Quennevaux"} and len(person.paper_ids) == 2
    # Two different middle initials are two people, however rare the rest of the name.
    folder = _rare_across_venues(tmp_path / "two", "Orlaith K. Quennevaux", "Orlaith M. Quennevaux")
    people = [r for r in _resolve(folder) if person_key(r.name) == person_key(RARE)]
    assert sorted(r.name for r in people) == ["Orlaith K. Quennevaux", "Orlaith M. Quennevaux"]


def test_two_namesakes_with_different_ids_of_one_scheme_stay_apart(tmp_path):
    colm = [
        {
            "title": "Rare name paper one",
            "author": f"{RARE};Ysolde Marchetti",
            "authorids": "~Orlaith_Quennevaux1;",
        },
        {
            "title": "Rare name paper two",
            "author": f"{RARE};Brunhild Szabo",
            "authorids": "~Orlaith_Quennevaux2;",
        },
    ]
    no_id = [{"title": "Rare name paper three", "author": f"{RARE}; Thaddeus Ocampo"}]
    folder = _write(
        tmp_path / "ids", {"colm2024.json": colm, "acl2022.json": no_id, "aaai2022.json": _background()}
    )
    people = _named(_resolve(folder), RARE)
    # Two ids: two people hold the name, and the paper without an id can not tell which it is.
    assert sorted(len(r.paper_ids) for r in people) == [1, 1, 1]
    assert sorted(tuple(r.links) for r in people) == [
        (),
        ("~Orlaith_Quennevaux1",),
        ("~Orlaith_Quennevaux2",),
    ]


def test_a_common_chinese_name_with_disjoint_coauthors_stays_split(tmp_path):
    rows = {
        f"{venue}.json": [
            {"title": f"Wei Wang paper at {venue} {k}", "author": f"Wei Wang; Solo{venue}{k} Author{k}"}
            for k in range(2)
        ]
        for venue in ("acl2022", "naacl2022", "coling2022")
    }
    folder = _write(tmp_path / "common", {**rows, "aaai2022.json": _background()})
    merges: list[RarityMerge] = []
    after = _named(_resolve(folder, merges=merges), "Wei Wang")
    before = _named(_resolve(folder, rarity=False), "Wei Wang")
    assert len(after) == len(before) > 6  # the background's Wei Wangs too
    assert sum(1 for r in after if r.sources[0].split(":")[1] != "aaai2022") == 6  # one per paper
    assert not [m for m in merges if m.key == person_key("Wei Wang")]
    freq = NameFrequencies(name_key(r.name) for r in _resolve(folder, rarity=False))
    assert freq.romanised("wang wei")
    assert (freq.expected_namesakes("wang wei") or 0) > 1


def test_family_names_outside_the_syllable_tables_are_known_by_their_given_names():
    # "Park" is no pinyin or Revised Romanization syllable; the names it comes with are Korean.
    keys = [name_key(f"{g} Park") for g in ("Seongmin", "Jihoon", "Donghyun", "Minsoo", "Yejin")]
    freq = NameFrequencies([*keys, name_key("Kevin Gimpel"), name_key(RARE)])
    assert freq.romanised(name_key("Seongmin Park"))
    assert not freq.romanised(name_key("Kevin Gimpel")) and not freq.romanised(name_key(RARE))


def test_rarity_joins_do_not_depend_on_input_order_and_reingest_changes_nothing(hash_store, tmp_path):
    folder = _rare_across_venues(tmp_path)
    forward = {r.id: r.paper_ids for r in _resolve(folder)}
    files = sorted(folder.iterdir(), reverse=True)
    assert {r.id: r.paper_ids for r in _resolve(*files)} == forward

    store, emb = hash_store
    ingest_paths([folder], store, emb)
    assert {r.id: r.paper_ids for r in store.iter_researchers()} == forward
    again = ingest_paths([folder], store, emb)
    assert again.researchers_changed == again.researchers_removed == 0
    assert again.papers_added == again.papers_updated == 0


@pytest.fixture(scope="module")
def whole_corpus(corpus: Path) -> tuple[list[Researcher], list[RarityMerge]]:
    merges: list[RarityMerge] = []
    return _resolve(SEEDS, corpus, merges=merges), merges


def test_the_seeds_zheng_lin_page_still_splits_on_the_whole_corpus(whole_corpus):
    people, merges = whole_corpus
    zheng_lin = _named(people, "Zheng Lin")
    # The feed page mixes NLP, vision and split-learning researchers: no rarity join may undo that.
    assert len(zheng_lin) >= 3
    assert [r for r in zheng_lin if r.metrics.get("h_index") == 44] == []
    assert not [m for m in merges if m.key == person_key("Zheng Lin")]
    # A name held by many: "Wei Wang" stays as split as its evidence leaves it.
    assert len(_named(people, "Wei Wang")) > 5


def test_rare_names_in_the_corpus_are_joined_and_every_join_is_explained(whole_corpus):
    people, merges = whole_corpus
    assert len(merges) > 100
    assert all(m.evidence.odds >= 100 and m.papers[0] and m.papers[1] for m in merges)
    # Two authorships of one person that nothing but the name links: one researcher now.
    (freeman,) = _named(people, "Rupert Freeman")
    assert len(freeman.paper_ids) == 3


def test_a_printed_name_reads_as_given_middle_and_family_name_and_variants_must_agree() -> None:
    chi_kit, ck = name_form("Jackie Chi Kit Cheung"), name_form("Jackie CK Cheung")
    assert chi_kit is not None and ck is not None and chi_kit.block == ck.block == "jackie cheung"
    assert (chi_kit.words, ck.letters) == ({"chi", "kit"}, {"c", "k"}) and middles_agree(chi_kit, ck)
    assert name_form("Nanyun (Violet) Peng") == name_form("Nanyun Peng")  # a nickname is no middle name
    hyphen, spaced, capitals = (name_form(n) for n in ("See-Kiong Ng", "See Kiong Ng", "JACKIE CK CHEUNG"))
    assert hyphen and spaced and capitals and hyphen.compact == spaced.compact == "seekiongng"
    assert capitals.words == {"ck"}  # in a name all in capitals, "CK" may be a word
    assert name_form("J. Smith") is None
    diego, a = name_form("Juan Diego Rodriguez"), name_form("Juan A. Rodriguez")
    assert diego is not None and a is not None and not middles_agree(diego, a)
    juan, xiao = name_form("Xiao Juan Wang"), name_form("Xiao Wang")
    eric, xin = name_form("Xin Eric Wang"), name_form("Xin Wang")
    assert juan and xiao and eric and xin
    assert drops_east_asian_syllable(juan, xiao) and not drops_east_asian_syllable(eric, xin)
    # One person's keys share a given and family name, or are one string of letters spaced differently.
    assert keys_anchored(["cheung chi jackie kit", "cheung ck jackie", "cheung jackie"])
    assert keys_anchored(["kiong ng see", "ng seekiong"]) and not keys_anchored(["ng see", "ng seekiong"])
