"""People resolution rules, on small hand-made records."""

from __future__ import annotations

from scholarbot.ingest.people import identifying_id, resolve_people
from scholarbot.records import Author, Paper, paper_id_for, person_key


def _paper(title: str, *authors: Author) -> Paper:
    return Paper(id=paper_id_for(title), title=title, authors=authors)


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
