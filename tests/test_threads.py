"""Follow-ups in a thread that point at the last answers in people's own words: a listed paper by a
word of its title, someone shown by their surname, "is X on any of those", the last list narrowed
to a topic or widened again, why and where the records say so, a number quoted back, a namesake
corrected by place, a comparison with someone shown, and a place whose name papers never write.
End to end over a real store in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scholarbot.answers import Answerer
from scholarbot.answers.query import Query
from scholarbot.config import Settings, StoreSettings
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.services import open_services

TORONTO, VIRGINIA, HKBU = "University of Toronto", "University of Virginia", "Hong Kong Baptist University"
AMSTERDAM = "UvA-Bosch Delta Lab, University of Amsterdam"


def _row(
    title: str, authors: str, affs: str, cites: int, abstract: str = "", **extra: object
) -> dict[str, object]:
    return {
        "title": title,
        "author": authors,
        "aff": affs,
        "gs_citation": cites,
        "status": "Long",
        "abstract": abstract or f"We study {title.lower()}.",
        **extra,
    }


Y2021 = [
    _row("The Metric Distortion of Multiwinner Voting", "Nisa Shah; Ivy Kurt", f"{TORONTO}; {TORONTO}", 38),
    _row(
        "Fair Division of Indivisible Goods: A Survey",
        "Ivy Kurt; Nisa Shah; Olu Bade",
        f"{TORONTO}; {TORONTO}; {TORONTO}",
        50,
    ),
    _row("A Survey of Voting Rules", "Rex Dunn", "Acme University", 2),
    _row(
        "Learning Causal Effects on Hypergraphs",
        "Jia Ma; Tom Reyes",
        f"{VIRGINIA}; {VIRGINIA}",
        4,
        "We estimate causal effects of interventions on hypergraphs.",
    ),
    _row("Semantic Maps of Cities", "Lena Vos", AMSTERDAM, 1),
]
Y2022 = [
    _row(
        "Distortion in Voting with Top-t Preferences",
        "Alan Boro; Nisa Shah",
        f"{TORONTO}; {TORONTO}",
        21,
        status="Findings",
    ),
    _row("Kenyan Election Reports Dataset", "Pia Xia; Nisa Shah", f"{TORONTO}; {TORONTO}", 5),
    _row(
        "Efficient Resource Allocation with Secretive Agents", "Nisa Shah; Hua Lu", f"{TORONTO}; {TORONTO}", 3
    ),
    _row(
        "RocketQA: Dense Retrieval Training for Open Questions",
        "Kai Wen; Hua Lu",
        "Baidu; Baidu",
        60,
        "We train dense retrievers with cross-batch negatives.",
    ),
    _row(
        "Rumour Detection on Social Media Trees",
        "Jia Ma; Wei Gao",
        f"{HKBU}; {HKBU}",
        64,
        "We detect rumours with tree transformers.",
    ),
    _row(
        "Fake News Detection with Evidence", "Jia Ma; Wei Gao", f"{HKBU}; {HKBU}", 53, "We detect fake news."
    ),
    _row(
        "Explainable Rumour Verification",
        "Jia Ma; Bo Lin",
        f"{HKBU}; {HKBU}",
        7,
        "We verify rumours and explain the verdicts.",
    ),
    *(
        _row(
            f"Grammar Induction Study {i}",
            "Rex Dunn",
            "Acme University",
            i,
            "Grammars of natural language are induced without supervision; we learn grammar rules.",
        )
        for i in range(6)
    ),
    _row(
        "Text Editing with Instructions",
        "Vic Raja; Dee Kumar",
        "Grammarly; Grammarly",
        9,
        "We edit text with instruction-tuned models.",
    ),
]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Answerer:
    tmp = tmp_path_factory.mktemp("threads")
    settings = Settings(store=StoreSettings(path=tmp / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    paths = []
    for name, rows in {"acl2021.json": Y2021, "acl2022.json": Y2022}.items():
        path = tmp / name
        path.write_text(json.dumps(rows))
        paths.append(path)
    ingest_paths(paths, svc.store, svc.embedder)
    return Answerer(svc)


SHAH = Query(op="papers_by", people=("Nisa Shah",))


def _titles(answer) -> list[str]:
    return [s.title for s in answer.sources]


def _thread(answerer: Answerer, *questions: str):
    """Ask questions in one thread, as the bot does: each a follow-up of the turns before it."""
    turns: list[Query] = []
    answer = None
    for q in questions:
        previous = turns[-1] if turns else None
        before = turns[-2] if len(turns) > 1 else None
        earlier = tuple(dict.fromkeys(p for t in reversed(turns) for p in t.people))
        answer = answerer.ask(q, previous, earlier, before)
        if answer.query and answer.query.get("op") != "help":
            turns.append(Query.from_json(answer.query))
    return answer


def test_a_listed_paper_named_by_a_word_of_its_title(answerer):
    survey = answerer.ask("who's on the survey", previous=SHAH)
    # Shah's one survey, not the store's other "A Survey of Voting Rules".
    assert survey.query["op"] == "paper_authors", survey.query
    assert _titles(survey)[:1] == ["Fair Division of Indivisible Goods: A Survey"], survey.text
    assert "Olu Bade" in survey.text
    # "kenya" is the start of "Kenyan"; "top-t" a hyphenated word of a title.
    kenya = answerer.ask("what's the kenya one about", previous=SHAH)
    assert _titles(kenya)[:1] == ["Kenyan Election Reports Dataset"], kenya.query
    top = answerer.ask("who wrote the top-t one", previous=SHAH)
    assert _titles(top) == ["Distortion in Voting with Top-t Preferences"] and "Alan Boro" in top.text
    # "on it" after "the kenya one" is that paper, not the topic asked about before.
    on_it = answerer.ask(
        "the kenya one - who's on it", previous=Query(op="find_papers", topic="election reports")
    )
    assert on_it.query["op"] == "paper_authors" and "Pia Xia" in on_it.text, on_it.query
    # An author of a listed paper by their place, after a profile that listed it.
    first = answerer.ask(
        "who's first author on the kenya one", previous=Query(op="profile", people=("Nisa Shah",))
    )
    assert first.query["people"] == ["Pia Xia"], first.query
    # After "which is most cited?" the list before it is still what "the kenya one" is picked from.
    best = SHAH.with_(sort="citations", limit=1)
    again = answerer.ask("who wrote the kenya one", previous=best, before=SHAH)
    assert _titles(again) == ["Kenyan Election Reports Dataset"] and "Pia Xia" in again.text, again.query


def test_someone_shown_named_by_a_word_of_their_name(answerer):
    # Pia Xia and Hua Lu were never asked about: they are authors of papers the last answer listed.
    xia = answerer.ask("what else has xia done", previous=SHAH)
    assert xia.query["people"] == ["Pia Xia"], xia.query
    cited = answerer.ask("which of xia's is most cited", previous=SHAH)
    assert cited.query["people"] == ["Pia Xia"] and cited.query["sort"] == "citations", cited.query
    lu = answerer.ask("how many papers does lu have", previous=SHAH)
    assert lu.query["op"] == "count" and lu.query["people"] == ["Hua Lu"], lu.query
    # A word said as what papers are about stays a topic ("on voting"), whoever carries it.
    assert answerer.ask("and on voting?", previous=SHAH).query["topic"] == "voting"
    # Compared with someone the last answer showed, by surname, "has" and all.
    more = answerer.ask("is that more than kurt has?", previous=Query(op="profile", people=("Nisa Shah",)))
    assert more.query["op"] == "compare" and more.query["people"] == ["Nisa Shah", "Ivy Kurt"], more.query


def test_whether_someone_is_on_the_papers_just_listed(answerer):
    voting = Query(op="find_papers", topic="voting")
    on = answerer.ask("is ivy kurt on any of those", previous=voting)
    assert on.query["op"] == "papers_by" and on.query["people"] == ["Ivy Kurt"], on.query
    assert on.query["topic"] == "voting"
    for wording in ("how many of those is ivy kurt on?", "ivy kurt is on how many of those?"):
        counted = answerer.ask(wording, previous=SHAH)
        assert counted.query["op"] == "count" and counted.value == 2, (wording, counted.query)
    # After "who wrote the top-t one?", "those" are the papers that one was picked from.
    picked = Query(op="paper_authors", topic="Distortion in Voting with Top-t Preferences")
    among = answerer.ask(
        "is ivy kurt on any of those", previous=picked, before=SHAH.with_(topic="distortion")
    )
    assert among.query["op"] == "joint_papers" and among.query["people"] == ["Nisa Shah", "Ivy Kurt"], (
        among.query
    )
    # Of her papers on voting, none is with Olu Bade (their one paper is on fair division): no, and
    # no "shared coauthors" for two who did write together.
    none = answerer.ask("is olu bade on any of those", previous=SHAH.with_(topic="voting"))
    assert none.text == "The records hold no paper by both Nisa Shah and Olu Bade on voting.", none.text
    joint = answerer.ask("which ones are with olu bade", previous=SHAH)
    assert joint.query["op"] == "joint_papers" and _titles(joint) == [
        "Fair Division of Indivisible Goods: A Survey"
    ]
    # Named as a paper's title put for "that one": yes or no, by its authors.
    kenya = Query(op="find_papers", topic="Kenyan Election Reports Dataset")
    yes = answerer.ask("is pia xia on that one", previous=kenya)
    assert yes.value is True and yes.text.startswith("Yes: Pia Xia is author 1 of 2"), yes.text
    no = answerer.ask("is ivy kurt on it", previous=kenya)
    assert no.value is False and no.text.startswith("No: Ivy Kurt is not among the authors"), no.text


def test_the_last_list_narrowed_to_a_topic_and_widened_again(answerer):
    narrowed = answerer.ask("which of those are about distortion", previous=SHAH)
    assert narrowed.query["people"] == ["Nisa Shah"] and narrowed.query["topic"] == "distortion", (
        narrowed.query
    )
    assert set(_titles(narrowed)) >= {
        "The Metric Distortion of Multiwinner Voting",
        "Distortion in Voting with Top-t Preferences",
    }
    in_2022 = SHAH.with_(year_from=2022, year_to=2022)
    every = answerer.ask("what about all years", previous=in_2022)
    assert every.query == {"op": "papers_by", "people": ["Nisa Shah"]}, every.query
    at_acl = Query(op="count", people=("Nisa Shah",), venue="ACL", count_of="papers")
    anywhere = answerer.ask("what about all venues, how many", previous=at_acl)
    assert "venue" not in anywhere.query and anywhere.value == 5, anywhere.query
    findings = Query(op="find_papers", topic="voting", labels=("status:Findings",))
    unlabelled = answerer.ask("and the rest too, not just findings", previous=findings)
    assert not unlabelled.query.get("labels"), unlabelled.query
    # Everything was shown already: said so, not the help text.
    done = answerer.ask("show all", previous=Query(op="joint_papers", people=("Nisa Shah", "Olu Bade")))
    assert done.text.startswith("That was all"), done.text


def test_why_and_where_the_records_say_so(answerer):
    coauthors = Query(op="collaborators", people=("Nisa Shah",))
    why = answerer.ask("why him?", previous=coauthors)
    # Ivy Kurt, her most frequent coauthor: the papers they share.
    assert why.text.startswith("Why Ivy Kurt:"), why.text
    assert why.query["op"] == "joint_papers" and why.query["people"] == ["Nisa Shah", "Ivy Kurt"]
    moved = answerer.ask("did she move to toronto?", previous=SHAH)
    assert moved.query["op"] == "profile" and moved.query["institution"].lower() == "toronto", moved.query
    source = answerer.ask("source?", previous=SHAH)
    assert source.text.startswith("The records behind that answer:") and source.query == SHAH.to_json()
    said = answerer.ask(
        "where does it say she's at toronto?", previous=Query(op="profile", people=("Nisa Shah",))
    )
    assert said.query["institution"].lower() == "toronto" and said.text.startswith("Yes:"), said.text
    # "- source?" after a question asks the question (every answer cites its papers).
    tail = answerer.ask("which of shah's is most cited - source?", previous=SHAH)
    assert tail.query["sort"] == "citations" and "topic" not in tail.query, tail.query
    assert _titles(tail)[0] == "Fair Division of Indivisible Goods: A Survey"


def test_a_number_quoted_back(answerer):
    ranked = answerer.ask("you said 5 — which one's most cited", previous=SHAH)
    assert _titles(ranked) == ["Fair Division of Indivisible Goods: A Survey"], ranked.query
    # "2" is how many papers Ivy Kurt shares in the ranking of coauthors: theirs.
    which = answerer.ask("you said 2 — which ones", previous=Query(op="collaborators", people=("Nisa Shah",)))
    assert which.query["op"] == "joint_papers" and which.query["people"] == ["Nisa Shah", "Ivy Kurt"], (
        which.query
    )
    # A title's number of citations, asked of the paper the title names.
    cites = answerer.ask("“Kenyan Election Reports Dataset”, how many cites")
    assert cites.value == 5 and "cited 5 times" in cites.text, cites.text


def test_a_namesake_corrected_by_place_and_picked_again_later(answerer):
    first = _thread(answerer, "jia ma's rumour papers?")
    assert "Hong Kong Baptist University" in first.text
    # "UVA" is read as the Amsterdam lab's name in these records; it still spells the Virginia
    # Jia Ma's place, and a place said outweighs the topic asked before.
    corrected = _thread(
        answerer, "jia ma's rumour papers?", "not that jia ma — the causal effects one at UVA"
    )
    assert _titles(corrected) == ["Learning Causal Effects on Hypergraphs"], corrected.text
    back = _thread(
        answerer,
        "jia ma's rumour papers?",
        "not that jia ma — the causal effects one at UVA",
        "ok thx. back to the hong kong baptist one, who does she usually write with",
    )
    assert back.query["op"] == "collaborators" and "institution" not in back.query, back.query
    assert back.people[0]["name"] == "Wei Gao", back.people


def test_a_place_whose_name_papers_never_write_and_a_paper_by_its_name(answerer):
    # Papers write "grammar" and "grammars", never "Grammarly": the word is the company's.
    grammarly = answerer.ask("does grammarly publish anything in here")
    assert grammarly.query.get("institution") == "Grammarly", grammarly.query
    assert _titles(grammarly) == ["Text Editing with Instructions"]
    out_of = answerer.ask("what kind of editing comes out of Grammarly")
    assert out_of.query.get("institution") == "Grammarly", out_of.query
    # The place said first, then what of it: its papers, not a topic of the place's words.
    first = answerer.ask("grammarly — anything on editing?")
    assert first.query.get("institution") == "Grammarly" and first.query.get("topic") == "editing", (
        first.query
    )
    # "who's on rocketqa": the authors of the paper so named, not who works on the word.
    rocket = answerer.ask("who's on rocketqa")
    assert rocket.query["op"] == "paper_authors" and "Kai Wen" in rocket.text, rocket.query
    # A field's short name stays a field.
    assert answerer.ask("who's on summarization").query["op"] == "who_works_on"


def test_two_people_who_never_wrote_together_are_linked_by_the_coauthors_they_share(answerer):
    linked = answerer.ask("how are ivy kurt and alan boro connected?")
    assert linked.text.startswith("The records hold no paper by both Ivy Kurt and Alan Boro."), linked.text
    assert "They share 1 coauthor(s) in the records: Nisa Shah [1][2]." in linked.text, linked.text
    check = answerer.ask("have ivy kurt and alan boro ever collaborated?")
    assert check.value is False and "They share 1 coauthor(s)" in check.text, check.text
    # Nothing shared, nothing said beyond the answer.
    apart = answerer.ask("have rex dunn and alan boro ever collaborated?")
    assert apart.text == "No: no paper in the records lists both Rex Dunn and Alan Boro.", apart.text


def test_a_name_several_people_carry_is_the_one_on_the_paper_just_shown(answerer):
    # Two Hua Lus, kept apart: one wrote RocketQA at Baidu, the other a paper with Nisa Shah.
    baidu = _thread(answerer, "who's on rocketqa", "what else has hua lu done")
    assert baidu.text.startswith("Answering for Hua Lu (Baidu), the one on the paper(s) above."), baidu.text
    toronto = _thread(answerer, "nisa shah's papers", "what else has hua lu done")
    assert toronto.text.startswith("Answering for Hua Lu (University of Toronto)"), toronto.text
    # A place said picks for itself.
    said = _thread(answerer, "who's on rocketqa", "what has hua lu at toronto done")
    assert "Baidu), the one on" not in said.text, said.text
