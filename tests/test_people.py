"""People resolution rules, on small hand-made records."""

from __future__ import annotations

from scholarbot.ingest.people import identifying_id, resolve_people
from scholarbot.records import Author, Paper, Researcher, paper_id_for, person_key
from scholarbot.search.directory import PeopleDirectory


def _paper(title: str, *authors: Author, venue: str | None = None) -> Paper:
    return Paper(id=paper_id_for(title), title=title, authors=authors, venue=venue)


def test_namesakes_on_one_paper_stay_two_people_with_two_ids():
    p = _paper(
        "Two Wei Wangs",
        Author("Wei Wang", "~Wei_Wang1"),
        Author("Li Zhang"),
        Author("Wei Wang", "~Wei_Wang2"),
    )
    q = _paper("Order swapped", Author("Wei Wang"), Author("Wang Wei"))
    people = resolve_people([p, q])
    assert len({r.id for r in people}) == len(people) == 5


def test_shared_coauthor_links_but_conflicting_openreview_ids_do_not():
    a = _paper("A", Author("Xi Xiao", "~Xi_Xiao1"), Author("Bo Li"))
    b = _paper("B", Author("Xi Xiao"), Author("Bo Li"))
    c = _paper("C", Author("Xi Xiao", "~Xi_Xiao2"), Author("Bo Li"))
    xi = [r for r in resolve_people([a, b, c]) if r.name == "Xi Xiao"]
    assert sorted(len(r.paper_ids) for r in xi) == [1, 2]


def test_acl_plain_slug_is_not_identity_but_a_suffixed_one_is():
    assert not identifying_id(Author("Wei Wang", "/w/wei-wang/"))
    assert identifying_id(Author("Wei Wang", "/w/wei-wang-ucla/"))
    a = _paper("A", Author("Wei Wang", "/w/wei-wang/"), Author("Ann Lee"))
    b = _paper("B", Author("Wei Wang", "/w/wei-wang/"), Author("Bob Ray"))
    assert len([r for r in resolve_people([a, b]) if r.name == "Wei Wang"]) == 2


def test_shared_affiliation_links_and_spelling_variants_collapse():
    a = _paper("A", Author("Rui Xie", affiliations=("Meituan Inc.",)), Author("X Y"))
    b = _paper("B", Author("Rui Xie", affiliations=("Meituan Group",)), Author("Z W"))
    c = _paper("C", Author("Rui Xie", affiliations=("Meituan",)), Author("Q R"))
    (rui,) = [r for r in resolve_people([a, b, c]) if r.name == "Rui Xie"]
    assert len(rui.paper_ids) == 3 and len(rui.affiliations) == 1


def test_ids_do_not_depend_on_input_order():
    papers = [_paper(t, Author("Ann Lee"), Author(n)) for t, n in (("A", "B C"), ("B", "D E"), ("C", "B C"))]
    ids = {r.id for r in resolve_people(papers)}
    assert ids == {r.id for r in resolve_people(list(reversed(papers)))}


def test_symbol_only_titles_do_not_collide():
    assert paper_id_for("🙂") != paper_id_for("🚀")
    assert paper_id_for("Deep Learning!") == paper_id_for("deep learning")


def test_a_middle_initial_left_out_is_the_same_person_on_the_same_evidence():
    a = _paper("A", Author("Christopher D. Manning"), Author("Percy Liang"))
    b = _paper("B", Author("Christopher Manning"), Author("Percy Liang"))
    c = _paper("C", Author("Christopher Manning"), Author("Dan Jurafsky"))  # nothing links this one
    people = [r for r in resolve_people([a, b, c]) if person_key(r.name) == "christopher manning"]
    assert sorted(len(r.paper_ids) for r in people) == [1, 2]
    (joined,) = [r for r in people if len(r.paper_ids) == 2]
    assert {joined.name, *joined.aliases} == {"Christopher D. Manning", "Christopher Manning"}
    # A coauthor printed both ways is one piece of evidence: it links Ann Lee's two papers.
    d = _paper("D", Author("Ann Lee"), Author("Christopher Manning"))
    e = _paper("E", Author("Ann Lee"), Author("Christopher D. Manning"))
    assert len([r for r in resolve_people([d, e]) if r.name == "Ann Lee"]) == 1


def test_different_middle_initials_are_different_people_even_with_a_shared_coauthor():
    a = _paper("A", Author("Philip S. Yu"), Author("Bo Li"))
    b = _paper("B", Author("Philip L. H. Yu"), Author("Bo Li"))
    c = _paper("C", Author("Philip Yu"), Author("Bo Li"))  # may be either: joins one of them
    d = _paper("D", Author("J. Smith"), Author("Bo Li"))
    e = _paper("E", Author("K. Smith"), Author("Bo Li"))  # one full word: initials are the name
    people = resolve_people([a, b, c, d, e])
    yus = [{r.name, *r.aliases} for r in people if person_key(r.name) == "philip yu"]
    assert len(yus) == 2 and not any({"Philip S. Yu", "Philip L. H. Yu"} <= names for names in yus)
    assert sorted(r.name for r in people if r.name.endswith("Smith")) == ["J. Smith", "K. Smith"]


def test_a_generational_suffix_left_out_is_the_same_person_on_the_same_evidence():
    a = _paper("A", Author("Hal Daumé III"), Author("Jordan Boyd-Graber"))
    b = _paper("B", Author("Hal Daume"), Author("Jordan Boyd-Graber"))
    c = _paper("C", Author("Hal Daumé Iii"), Author("Kianté Brantley"))
    people = resolve_people([a, b, c])
    hal = [r for r in people if person_key(r.name) == "daume hal"]
    assert sorted(len(r.paper_ids) for r in hal) == [1, 2]
    assert person_key("Hal Daumé III") == person_key("hal daume") == "daume hal"
    # A suffix alone with one full word is still the name: "J. Smith Jr." is not "Smith".
    assert person_key("J. Smith Jr.") == "j jr smith"


def _names(people: list[Researcher], surname: str) -> list[set[str]]:
    return sorted(({r.name, *r.aliases} for r in people if r.name.endswith(surname)), key=sorted)


def test_a_name_printed_with_and_without_middle_names_is_one_person_on_a_shared_coauthor():
    a = _paper("A", Author("Jackie Chi Kit Cheung"), Author("Siva Reddy"))
    b = _paper("B", Author("Jackie Chi Kit Cheung"), Author("Annie Louis"), Author("Siva Reddy"))
    c = _paper("C", Author("Jackie Cheung"), Author("Siva Reddy"))
    d = _paper("D", Author("Thien Huu Nguyen"), Author("Franck Dernoncourt"))
    e = _paper("E", Author("Thien Nguyen"), Author("Franck Dernoncourt"))
    people = resolve_people([a, b, c, d, e])
    (jackie,) = [r for r in people if r.name.startswith("Jackie")]
    assert jackie.name == "Jackie Chi Kit Cheung" and jackie.aliases == ("Jackie Cheung",)  # most printed
    assert len(jackie.paper_ids) == 3 and _names(people, "Nguyen") == [{"Thien Huu Nguyen", "Thien Nguyen"}]
    # Every printed form finds the one person by name.
    directory = PeopleDirectory(people)
    for name in ("Jackie Chi Kit Cheung", "Jackie Cheung"):
        assert [p.id for p in directory.names.lookup(name).people] == [jackie.id]


def test_a_name_with_and_without_middle_names_sharing_nothing_stays_two_people():
    a = _paper("A", Author("Edoardo Maria Ponti"), Author("Anna Korhonen"))
    b = _paper("B", Author("Edoardo Ponti"), Author("Ivan Vulic"))  # shares nothing: apart
    c = _paper("C", Author("Edoardo Ponti"), Author("Anna Korhonen"))
    people = resolve_people([a, b, c], rarity=False)
    assert _names(people, "Ponti") == [{"Edoardo Maria Ponti", "Edoardo Ponti"}, {"Edoardo Ponti"}]
    (apart,) = [r for r in people if r.name == "Edoardo Ponti" and not r.aliases]
    assert apart.paper_ids == (b.id,)


def test_different_middle_names_stay_apart_with_a_shared_coauthor():
    a = _paper("A", Author("Juan Diego Rodriguez"), Author("Greg Durrett"), Author("Katrin Erk"))
    b = _paper("B", Author("Juan A. Rodriguez"), Author("Greg Durrett"))
    c = _paper("C", Author("Juan Rodriguez"), Author("Katrin Erk"))
    d = _paper("D", Author("Mary Anne Smith"), Author("Greg Durrett"))
    e = _paper("E", Author("Mary Jane Smith"), Author("Greg Durrett"))
    people = resolve_people([a, b, c, d, e])
    assert _names(people, "Rodriguez") == [{"Juan A. Rodriguez"}, {"Juan Diego Rodriguez", "Juan Rodriguez"}]
    assert _names(people, "Smith") == [{"Mary Anne Smith"}, {"Mary Jane Smith"}]


def test_middle_initials_in_capitals_join_the_middle_names_they_abbreviate():
    mcgill = ("McGill University",)
    a = _paper("A", Author("Jackie Chi Kit Cheung", affiliations=mcgill), Author("Ann Lee"))
    b = _paper("B", Author("Jackie CK Cheung", affiliations=mcgill), Author("Bo Chen"))
    c = _paper("C", Author("Jackie C. K. Cheung", affiliations=mcgill), Author("Cy Do"))
    d = _paper("D", Author("Jackie KW Cheung", affiliations=mcgill), Author("Di Fu"))  # other initials
    people = resolve_people([a, b, c, d])
    assert _names(people, "Cheung") == [
        {"Jackie C. K. Cheung", "Jackie CK Cheung", "Jackie Chi Kit Cheung"},
        {"Jackie KW Cheung"},
    ]


def test_a_middle_named_variant_joins_the_one_of_several_namesakes_its_evidence_points_at():
    ucsc, tsinghua = ("University of California, Santa Cruz",), ("Tsinghua University",)
    papers = [
        _paper("A", Author("Xin Wang", affiliations=ucsc), Author("Ann Lee")),
        _paper("B", Author("Xin Wang", affiliations=ucsc), Author("Bo Chen")),
        _paper("C", Author("Xin Wang", affiliations=tsinghua), Author("Cy Do")),
        _paper("D", Author("Xin Wang", affiliations=tsinghua), Author("Di Fu")),
        _paper("E", Author("Xin Eric Wang", affiliations=ucsc), Author("Ed Ma")),
    ]
    people = resolve_people(papers, rarity=False)
    xins = {frozenset(r.paper_ids): {r.name, *r.aliases} for r in people if r.name.startswith("Xin")}
    assert xins == {
        frozenset(p.id for p in papers if p.title in "ABE"): {"Xin Wang", "Xin Eric Wang"},
        frozenset(p.id for p in papers if p.title in "CD"): {"Xin Wang"},
    }


def test_a_dropped_syllable_of_an_east_asian_given_name_needs_more_than_an_affiliation():
    bupt = ("Beijing University of Posts and Telecommunications",)
    a = _paper("A", Author("Xiao Juan Wang", affiliations=bupt), Author("Ann Lee"))
    b = _paper("B", Author("Xiao Wang", affiliations=bupt), Author("Bo Chen"))
    assert len(_names(resolve_people([a, b], rarity=False), "Wang")) == 2
    c = _paper("C", Author("Xiao Wang"), Author("Ann Lee"))  # a shared coauthor is enough
    assert _names(resolve_people([a, c], rarity=False), "Wang") == [{"Xiao Juan Wang", "Xiao Wang"}]


def test_a_name_spaced_or_hyphenated_differently_or_with_a_nickname_is_one_person_on_evidence():
    a = _paper("A", Author("See-Kiong Ng"), Author("Min-Yen Kan"))
    b = _paper("B", Author("See Kiong Ng"), Author("Min-Yen Kan"))
    c = _paper("C", Author("Nanyun (Violet) Peng", affiliations=("UCLA",)), Author("Ann Lee"))
    d = _paper("D", Author("Nanyun Peng", affiliations=("UCLA",)), Author("Bo Chen"))
    people = resolve_people([a, b, c, d])
    assert _names(people, "Ng") == [{"See Kiong Ng", "See-Kiong Ng"}]
    assert _names(people, "Peng") == [{"Nanyun (Violet) Peng", "Nanyun Peng"}]
