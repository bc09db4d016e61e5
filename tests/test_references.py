"""Follow-ups that point at what the last answer showed: "more", "who wrote it?", "which of those is
most cited?", "what else has he published?" after a list of authors, "sorry, I meant X"."""

from __future__ import annotations

import json
import re

import pytest

from scholarbot.answers import Answerer
from scholarbot.answers.query import Query

from conftest import answerer_over

ROWS = [
    *(
        {
            "title": f"Sarcasm Detection with Cues {i}",
            "abstract": "We study sarcasm detection in tweets.",
            "author": "Ann Lee;Bo Chen",
            "gs_citation": i,
        }
        for i in range(12)
    ),
    {
        "title": "Coral Reef Forecasting with Graphs",
        "abstract": "We forecast coral reef bleaching.",
        "author": "Cy Dunn",
        "aff": "Reef University",
        "gs_citation": 3,
    },
    {
        "title": "Ocean Heat Maps",
        "abstract": "We map ocean heat.",
        "author": "Cy Dunn;Eve Fox",
        "aff": "Reef University;Fox Institute",
        "gs_citation": 1,
    },
    {
        "title": "Widget Mining",
        "abstract": "We mine widgets.",
        "author": "Gus Hall",
        "aff": "Acme",
        "gs_citation": 2,
    },
    {
        "title": "Joint Parsing Early",
        "abstract": "Parsing.",
        "author": "Dee Evans;Fay Gold",
        "gs_citation": 5,
    },
    {
        "title": "Joint Parsing Later",
        "abstract": "Parsing.",
        "author": "Dee Evans;Fay Gold",
        "gs_citation": 50,
    },
]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, model_cache) -> Answerer:
    return answerer_over(tmp_path_factory.mktemp("references"), model_cache, json.dumps(ROWS))


def _titles(answer) -> list[str]:
    return [s.title for s in answer.sources]


def test_more_pages_a_paper_search_and_says_when_it_is_all(answerer):
    first = answerer.ask("papers on sarcasm detection")
    assert first.more and len(first.sources) == 8, first.text
    previous = Query.from_json(first.query)
    second = answerer.ask("more", previous=previous)
    assert second.query["offset"] == 8 and second.text.startswith("Papers 9–"), second.text
    # The four sarcasm papers the first page left out come next (whatever else this tiny store
    # judges near the topic after them).
    rest = {f"Sarcasm Detection with Cues {i}" for i in range(12)} - set(_titles(first))
    assert len(rest) == 4 and set(_titles(second)[:4]) == rest, second.text
    assert answerer.ask("page 2", previous=previous).query == second.query
    last = answerer.ask("next", previous=Query.from_json(second.query))
    assert last.query == {"op": "help"} and last.text.startswith("That was all")
    # With nothing before it, "next" is no topic ("next-POI recommendation" papers).
    alone = answerer.ask("next")
    assert alone.query == {"op": "help"} and "no earlier answer" in alone.text and not alone.sources


def test_a_ranking_of_the_last_list_and_the_paper_it_names(answerer):
    previous = Query(op="find_papers", topic="sarcasm detection")
    best = answerer.ask("which of those is most cited?", previous=previous)
    assert _titles(best) == ["Sarcasm Detection with Cues 11"], best.text
    authors = answerer.ask("who wrote the most cited one", previous=previous)
    assert authors.query["op"] == "paper_authors" and _titles(authors) == ["Sarcasm Detection with Cues 11"]
    assert "Ann Lee" in authors.text and "Bo Chen" in authors.text
    # Two people's joint papers: the most cited of them, then "it" is that paper.
    pair = Query(op="joint_papers", people=("Dee Evans", "Fay Gold"))
    top = answerer.ask("which one is most cited", previous=pair)
    assert top.value == "Joint Parsing Later" and "2 paper(s)" in top.text, top.text
    wrote = answerer.ask("who wrote it?", previous=Query.from_json(top.query))
    assert _titles(wrote) == ["Joint Parsing Later"] and "Dee Evans" in wrote.text
    # "how many times?" after a yes/no about two people counts their papers together.
    times = answerer.ask("how many times", previous=pair.with_(op="collab_check"))
    assert times.query["op"] == "count" and times.value == 2, times.query
    newest = answerer.ask("what's the newest one of those", previous=previous)
    assert newest.query == {**previous.to_json(), "sort": "date", "limit": 1}, newest.query
    # "who's on those with her?": the people on the papers listed, their filters kept.
    theirs = answerer.ask(
        "who's on those with her", previous=Query(op="papers_by", people=("Ann Lee",), topic="sarcasm")
    )
    assert theirs.query == {"op": "collaborators", "people": ["Ann Lee"], "topic": "sarcasm"}, theirs.query
    assert [p["name"] for p in theirs.people] == ["Bo Chen"]
    # "who wrote those?": everyone on the papers listed, not the store's most prolific.
    who = answerer.ask("who wrote those?", previous=previous)
    assert who.query["op"] == "who_works_on" and {p["name"] for p in who.people} == {"Ann Lee", "Bo Chen"}


def test_a_pronoun_stands_for_the_one_person_the_last_answer_named_or_asks_which(answerer):
    single = Query(op="paper_authors", topic="Coral Reef Forecasting with Graphs")
    papers = answerer.ask("what else has he published?", previous=single)
    assert papers.query == {"op": "papers_by", "people": ["Cy Dunn"]}, papers.query
    assert set(_titles(papers)) == {"Coral Reef Forecasting with Graphs", "Ocean Heat Maps"}
    two = Query(op="paper_authors", topic="Sarcasm Detection with Cues 3")
    asked = answerer.ask("what else has she published?", previous=two)
    assert asked.query == {"op": "help"} and "Ann Lee or Bo Chen" in asked.text, asked.text
    # A pronoun inside a question with a topic of its own points at no one.
    own = answerer.ask("papers on how sarcasm detection changes their answers", previous=two)
    assert own.query["op"] == "find_papers" and "Who do you mean" not in own.text, own.text
    # Of the people the answer listed, the one the conversation asked about before.
    meant = answerer.ask("what else has she published?", previous=two, earlier=("Bo Chen", "Cy Dunn"))
    assert meant.query == {"op": "papers_by", "people": ["Bo Chen"]}, meant.query
    # "they" in a question about two people: the one asked about last and the one before.
    both = answerer.ask(
        "do they publish together?",
        previous=Query(op="papers_by", people=("Fay Gold",)),
        earlier=("Fay Gold", "Dee Evans"),
    )
    assert both.query["op"] == "collab_check" and both.value is True, both.query
    assert set(both.query["people"]) == {"Fay Gold", "Dee Evans"}
    # A pronoun and a new name: the person asked about before and the new one.
    check = answerer.ask(
        "does she also work with ann lee?", previous=Query(op="collaborators", people=("Dee Evans",))
    )
    assert check.query["op"] == "collab_check" and check.value is False, check.query
    assert set(check.query["people"]) == {"Dee Evans", "Ann Lee"}


def test_a_correction_asks_the_last_question_again_about_what_was_meant(answerer):
    previous = Query(op="count", people=("Dee Evans",), count_of="papers")
    a = answerer.ask("sorry i meant Cy Dunn", previous=previous)
    assert a.query == {"op": "count", "people": ["Cy Dunn"], "count_of": "papers"} and a.value == 2


def test_more_after_a_profile_lists_the_persons_papers(answerer):
    a = answerer.ask("more", previous=Query(op="profile", people=("Cy Dunn",)))
    assert a.query == {"op": "papers_by", "people": ["Cy Dunn"]} and len(a.sources) == 2


def test_two_questions_in_one_message_are_both_answered_the_second_as_a_follow_up(answerer):
    a = answerer.ask("how many papers does Cy Dunn have and who are his coauthors?")
    first, second = a.text.split("\n\n")
    assert first.startswith("Cy Dunn has 2 paper(s)") and "Eve Fox" in second, a.text
    assert a.query == {"op": "collaborators", "people": ["Cy Dunn"]}
    # The second answer's citations are numbered after the first's, each pointing at its source.
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", a.text)}
    assert cited <= {s.n for s in a.sources} and len({s.n for s in a.sources}) == len(a.sources)
    assert "Ocean Heat Maps" in {s.title for s in a.sources if f"[{s.n}]" in second}


def test_a_question_about_no_one_in_a_thread_about_someone_is_about_them(answerer):
    about_cy = Query(op="profile", people=("Cy Dunn",))
    count = answerer.ask("how many papers total", previous=about_cy)
    assert count.query == {"op": "count", "people": ["Cy Dunn"], "count_of": "papers"} and count.value == 2
    best = answerer.ask("most cited paper?", previous=about_cy)
    assert best.query["op"] == "papers_by" and _titles(best) == ["Coral Reef Forecasting with Graphs"]
    # Unless it asks about the whole store.
    for question in (
        "how many papers are in the records overall?",
        "btw how many papers are there in total?",
    ):
        store = answerer.ask(question, previous=about_cy)
        assert "people" not in store.query and store.value == len(ROWS), store.query
    # After a question about a place or a topic: that place or topic.
    place = Query(op="count", institution="Reef University", count_of="papers")
    most = answerer.ask("who publishes most from there?", previous=place)
    assert most.query == {"op": "who_works_on", "institution": "Reef University"}, most.query
    assert [p["name"] for p in most.people] == ["Cy Dunn"]
    theirs = answerer.ask("who are their top authors", previous=place)
    assert theirs.query == most.query, theirs.query
    topic = Query(op="find_papers", topic="sarcasm detection")
    authors = answerer.ask("who's the most prolific author on that", previous=topic)
    assert authors.query["topic"] == "sarcasm detection" and authors.query["op"] == "who_works_on"
    assert {p["name"] for p in authors.people} == {"Ann Lee", "Bo Chen"}


def test_that_and_it_after_a_question_on_a_topic_mean_the_topic(answerer):
    person = Query(op="papers_by", people=("Cy Dunn",), topic="coral reef")
    others = answerer.ask("who else works on that?", previous=person)
    assert others.query == {"op": "who_works_on", "topic": "coral reef"}, others.query
    best = answerer.ask(
        "most cited paper on it?", previous=Query(op="who_works_on", topic="sarcasm detection")
    )
    assert best.query["topic"] == "sarcasm detection" and _titles(best) == ["Sarcasm Detection with Cues 11"]


def test_the_first_author_is_the_first_of_the_authors_listed(answerer):
    wrote = Query(op="paper_authors", topic="Ocean Heat Maps")
    first = answerer.ask("what else has the first author done?", previous=wrote)
    assert first.query["people"] == ["Cy Dunn"], first.query
    last = answerer.ask("and the last author?", previous=wrote)
    assert last.query.get("people") == ["Eve Fox"], last.query


def test_where_is_he_now_asks_where_not_the_last_question_again(answerer):
    a = answerer.ask("where's he now", previous=Query(op="collaborators", people=("Cy Dunn",)))
    assert a.query == {"op": "profile", "people": ["Cy Dunn"]} and "Reef University" in a.text
    # Words that say when or what else are no topic of theirs.
    since = answerer.ask(
        "what has he published since then", previous=Query(op="profile", people=("Cy Dunn",))
    )
    assert "topic" not in since.query and len(since.sources) == 2, since.query


def test_a_place_typed_in_lower_case_after_a_question_about_a_place_is_that_place(answerer):
    place = Query(op="who_works_on", institution="Reef University")
    other = answerer.ask("what about acme", previous=place)
    assert other.query == {"op": "who_works_on", "institution": "Acme"}, other.query
    assert [p["name"] for p in other.people] == ["Gus Hall"]


def test_after_a_question_about_two_people_they_means_both_and_he_asks_which(answerer):
    pair = Query(op="compare", people=("Dee Evans", "Cy Dunn"), sort="citations")
    more = answerer.ask("and who has more papers", previous=pair)
    assert more.query["op"] == "compare" and more.query.get("sort", "relevance") == "relevance", more.query
    together = answerer.ask("have they ever written together?", previous=pair)
    assert together.query["op"] == "collab_check" and together.value is False, together.query
    which = answerer.ask("what's his most cited paper", previous=pair)
    assert which.query == {"op": "help"} and "Dee Evans or Cy Dunn" in which.text, which.text


def test_who_wrote_it_with_her_names_the_papers_authors(answerer):
    best = Query(op="papers_by", people=("Cy Dunn",), sort="citations", limit=1)
    wrote = answerer.ask("who wrote it with him", previous=best)
    assert wrote.query["op"] == "paper_authors" and _titles(wrote) == ["Coral Reef Forecasting with Graphs"]


def test_a_ranking_in_other_words_ranks_the_last_list(answerer):
    previous = Query(op="find_papers", topic="sarcasm detection")
    for wording in ("which one of those got cited the most", "whats the most cited", "the top one?"):
        best = answerer.ask(wording, previous=previous)
        assert _titles(best) == ["Sarcasm Detection with Cues 11"], (wording, best.query)
    newest = answerer.ask("which one's the newest", previous=previous)
    assert newest.query == {**previous.to_json(), "sort": "date", "limit": 1}, newest.query
    # A ranking with words of its own is a question of its own.
    assert answerer.ask("most cited papers on coral reef", previous=previous).query["topic"] == "coral reef"


def test_the_first_author_of_a_listed_paper_and_who_wrote_that(answerer):
    papers = Query(op="papers_by", people=("Cy Dunn",), sort="citations")
    # The author asked for is named, so "he" next is that author, whatever else the question asks.
    first = answerer.ask("the ocean one, who's the first author?", previous=papers)
    assert first.query == {"op": "profile", "people": ["Cy Dunn"]}, first.query
    second = answerer.ask("the second author on the ocean one - where is she now?", previous=papers)
    assert second.query == {"op": "profile", "people": ["Eve Fox"]}, second.query
    assert "Fox Institute" in second.text
    own = answerer.ask(
        "what else has the last author done",
        previous=Query(op="paper_authors", topic="Ocean Heat Maps"),
    )
    assert own.query["people"] == ["Eve Fox"] and own.query["op"] in {"papers_by", "profile"}, own.query
    that = answerer.ask("who wrote that", previous=Query(op="find_papers", topic="widget mining"))
    assert that.query["op"] == "paper_authors" and "Gus Hall" in that.text, that.query
    about = answerer.ask("whats it about", previous=Query(op="find_papers", topic="coral reef forecasting"))
    assert _titles(about)[:1] == ["Coral Reef Forecasting with Graphs"] and "bleaching" in about.text, (
        about.text
    )


def test_who_has_the_most_of_these_and_where_they_are_from(answerer):
    previous = Query(op="find_papers", topic="coral reef forecasting")
    most = answerer.ask("who has the most of these", previous=previous)
    assert most.query == {"op": "who_works_on", "topic": "coral reef forecasting"}, most.query
    main = answerer.ask(
        "who are the main people there", previous=Query(op="find_papers", institution="Reef University")
    )
    assert main.query == {"op": "who_works_on", "institution": "Reef University"}, main.query
    assert [p["name"] for p in main.people][:1] == ["Cy Dunn"]
    where = answerer.ask("where are they from?", previous=previous)
    assert where.query == {"op": "top_institution", "topic": "coral reef forecasting"}, where.query
    assert "Reef University" in where.text


def test_he_after_a_ranking_of_people_is_the_first_and_rankings_in_other_words(
    answerer, tmp_path, model_cache
):
    # Ann Lee and Bo Chen wrote as many sarcasm papers: "he" could be either, so it is asked.
    tied = answerer.ask("where is he based", previous=Query(op="who_works_on", topic="sarcasm detection"))
    assert tied.query == {"op": "help"} and "Who do you mean" in tied.text, tied.text
    # Who wrote a list, however it is asked.
    for asked in ("who's on the most of those", "who works on that most", "who's the top author there"):
        a = answerer.ask(asked, previous=Query(op="find_papers", topic="coral reef forecasting"))
        assert a.query == {"op": "who_works_on", "topic": "coral reef forecasting"}, (asked, a.query)
    # One ahead of the rest: "he" after the ranking is that one.
    rows = [
        {"title": f"Kite Sensing {i}", "author": "Kim Park;Lu Ma", "aff": "Sky Lab;Sky Lab"} for i in range(3)
    ]
    rows.append({"title": "Kite Sensing Again", "author": "Lu Ma", "aff": "Sky Lab"})
    ranked = answerer_over(tmp_path, model_cache, json.dumps(rows))
    where = ranked.ask("where is he based", previous=Query(op="who_works_on", topic="kite sensing"))
    assert where.query == {"op": "profile", "people": ["Lu Ma"]}, where.query


def test_back_to_someone_asked_about_before(answerer):
    previous = Query(op="profile", people=("Eve Fox",))
    back = answerer.ask(
        "ok back to dunn - whats his most cited one", previous=previous, earlier=["Cy Dunn", "Eve Fox"]
    )
    assert back.query["people"] == ["Cy Dunn"] and back.query["sort"] == "citations", back.query
    assert _titles(back)[:1] == ["Coral Reef Forecasting with Graphs"]
    # "what about X, where is he based?" asks where, not the last question about X.
    where = answerer.ask(
        "what about eve fox, where's she based?", previous=Query(op="collaborators", people=("Cy Dunn",))
    )
    assert where.query == {"op": "profile", "people": ["Eve Fox"]}, where.query


def test_more_after_the_single_most_cited_shows_the_next_few(answerer):
    top = Query(op="find_papers", topic="sarcasm detection", sort="citations", limit=1)
    more = answerer.ask("more", previous=top)
    assert (more.query["offset"], more.query["limit"]) == (1, 5), more.query
    assert _titles(more) == [f"Sarcasm Detection with Cues {i}" for i in (10, 9, 8, 7, 6)], more.text
    assert "next most cited" in more.text and "10 citations" in more.text


def test_a_fragment_after_who_wrote_a_paper_narrows_the_list_before_it(answerer):
    listed = Query(op="find_papers", topic="coral reef forecasting")
    wrote = Query(op="paper_authors", topic="Coral Reef Forecasting with Graphs")
    narrowed = answerer.ask("and on sarcasm detection?", previous=wrote, before=listed)
    assert narrowed.query == {"op": "find_papers", "topic": "sarcasm detection"}, narrowed.query
    # Without the list before it, the question still builds on the last turn.
    assert answerer.ask("and on sarcasm detection?", previous=wrote).query["op"] == "paper_authors"


NAMESAKES = [
    *(
        {
            "title": f"Coral Bleaching Forecasts {i}",
            "abstract": "We forecast coral bleaching.",
            "author": "Wei Tan;Ann Reef",
            "aff": "Reef University;Reef University",
        }
        for i in range(3)
    ),
    *(
        {
            "title": f"Speech Recognition for Kids {i}",
            "abstract": "We recognise children's speech.",
            "author": "Wei Tan;Bo Sound",
            "aff": "University of California San Diego;University of California San Diego",
        }
        for i in range(2)
    ),
    {
        "title": "Tide Tables",
        "abstract": "We predict tides.",
        "author": "Taylor Quinn",
        "aff": "Reef University",
    },
]


@pytest.fixture(scope="module")
def namesakes(tmp_path_factory: pytest.TempPathFactory, model_cache) -> Answerer:
    return answerer_over(tmp_path_factory.mktemp("namesakes"), model_cache, json.dumps(NAMESAKES))


def test_the_namesake_a_thread_picked_stays_picked(namesakes):
    first = namesakes.ask("what does wei tan work on?")
    assert "2 researchers named Wei Tan" in first.text
    meant = namesakes.ask("no i meant the one at UCSD, the speech guy", previous=Query.from_json(first.query))
    assert meant.query.get("person_ids") and "Speech Recognition" in _titles(meant)[0], meant.query
    coauthors = namesakes.ask("who does he usually write with", previous=Query.from_json(meant.query))
    assert [p["name"] for p in coauthors.people] == ["Bo Sound"], coauthors.text
    # "the ucsd one" names the place that says which: that one pinned and named, the place no
    # longer narrowing their papers.
    other = namesakes.ask(
        "what about wei tan, the ucsd one", previous=Query(op="papers_by", people=("Taylor Quinn",))
    )
    assert "institution" not in other.query and other.query.get("person_ids"), other.query
    assert other.text.startswith("Answering for Wei Tan (") and ", the one at UCSD." in other.text, other.text
    assert _titles(other) and all("Speech" in t for t in _titles(other)), other.text


def test_a_comparison_with_someone_else_and_a_list_narrowed_to_a_coauthor(answerer):
    counted = Query(op="count", people=("Ann Lee",), count_of="papers")
    more = answerer.ask("is that more than him?", previous=counted, earlier=("Cy Dunn", "Ann Lee"))
    assert more.query["op"] == "compare" and more.query["people"] == ["Ann Lee", "Cy Dunn"], more.query
    assert more.value == "Ann Lee" and "(12 vs 2)" in more.text, more.text
    named = answerer.ask("and cy dunn - more or fewer papers than her?", previous=counted)
    assert named.query["people"] == ["cy dunn", "Ann Lee"] and named.value == "Ann Lee", named.query
    # "only the ones with X" after someone's papers: those they wrote with X; then the oldest of them.
    joint = answerer.ask("only the ones with fay gold", previous=Query(op="papers_by", people=("Dee Evans",)))
    assert joint.query == {"op": "joint_papers", "people": ["Dee Evans", "Fay Gold"]}, joint.query
    oldest = answerer.ask("oldest one?", previous=Query.from_json(joint.query))
    assert oldest.query["sort"] == "oldest" and oldest.query["limit"] == 1, oldest.query
    assert oldest.text.startswith("The oldest of the 2 paper(s)"), oldest.text


def test_who_wrote_a_paper_says_where_each_author_was_and_where_they_are_from_is_that(answerer):
    a = answerer.ask("who wrote Ocean Heat Maps and where are they from?")
    assert "is by Cy Dunn (Reef University); Eve Fox (Fox Institute)." in a.text, a.text
    assert "Who do you mean" not in a.text


def test_the_x_ones_narrow_the_last_list_and_the_second_one_is_what_it_means(answerer):
    ones = answerer.ask("the ocean ones", previous=Query(op="profile", people=("Cy Dunn",)))
    assert ones.query == {"op": "papers_by", "people": ["Cy Dunn"], "topic": "ocean"}, ones.query
    second = answerer.ask(
        "the second one - who else is on it",
        previous=Query(op="papers_by", people=("Cy Dunn",), sort="citations"),
    )
    assert second.query == {"op": "paper_authors", "topic": "Ocean Heat Maps"}, second.query
    assert "Eve Fox" in second.text
