"""Answers end to end: the bundled sample in a real store, the real offline embedding model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scholarbot.answers import Answerer
from scholarbot.answers.query import Query
from scholarbot.config import Settings, StoreSettings
from scholarbot.errors import EmptyStoreError
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.services import Services, open_services

from conftest import answerer_over

CARD_QUESTION = "Who collaborates with Hainan Zhang on federated LLMs?"
MOR = "Replacing Parameters with Preferences: Federated Alignment of Heterogeneous Vision-Language Models"


def _services(path: Path, model_cache: Path) -> Services:
    settings = Settings(store=StoreSettings(path=path))
    settings.embeddings.cache_dir = model_cache
    return open_services(settings)


@pytest.fixture(scope="module")
def answerer(sample_services: Services) -> Answerer:
    return Answerer(sample_services)


def _cited_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def _assert_well_cited(answer) -> None:
    numbers = {s.n for s in answer.sources}
    assert _cited_numbers(answer.text) <= numbers, "every [n] must point at a listed source"
    for sentence in re.split(r"(?<=[.?!])\s+(?=[A-Z“(])", answer.text):
        # Metrics come from a profile page, attributed to it by name rather than cited to a paper.
        if sentence and not sentence.endswith("?") and "profile page" not in sentence:
            assert re.search(r"\[\d+\]", sentence), f"uncited sentence: {sentence!r}"


def test_card_question(answerer):
    answer = answerer.ask(CARD_QUESTION)
    assert answer.intent == "collaborators"
    names = [p["name"] for p in answer.people]
    assert set(names) == {"Zhiming Zheng", "Xiaoshan Yang", "Hongwei Zheng", "Shule Lu", "Yujing Wang"}
    # Dialogue-era coauthors from the corpus are not federated-LLM collaborators.
    assert not {"Yanyan Lan", "Hongshen Chen", "Zhuoye Ding"} & set(names)
    assert "Yanyan Lan" not in answer.text
    titles = [s.title for s in answer.sources]
    assert titles[0] == MOR
    assert any(t.startswith("FedSEA-LLaMA") for t in titles)
    assert "incomplete" in answer.text  # the +N authors the page did not name
    assert "do not list the coauthors" in answer.text  # FedSEA-LLaMA's coauthors are unknown
    _assert_well_cited(answer)
    mor_n = next(s.n for s in answer.sources if s.title == MOR)
    assert all(p["papers"] == [mor_n] for p in answer.people)


def test_answer_json_contract(answerer):
    data = answerer.ask(CARD_QUESTION).to_json()
    assert set(data) >= {"question", "intent", "answer", "sources", "people", "took_ms"}
    assert set(data["sources"][0]) == {"n", "id", "title", "authors", "year", "venue", "url"}
    assert set(data["people"][0]) == {"name", "id", "papers"}


def test_name_order_and_case_do_not_matter(answerer):
    a = answerer.ask("who collaborates with zhang hainan on federated LLMs")
    assert {p["name"] for p in a.people} >= {"Zhiming Zheng", "Xiaoshan Yang"}


def test_typo_in_name_is_forgiven(answerer):
    a = answerer.ask("Who collaborates with Hainan Zhnag on federated LLMs?")
    assert "Zhiming Zheng" in {p["name"] for p in a.people}


def test_unknown_name_says_so_and_suggests(answerer):
    a = answerer.ask("Who collaborates with Hainan Zhuang-Wobbleton on dialogue?")
    assert "not in the records" in a.text
    assert a.people == [] and a.sources == []


def test_ambiguous_name_profiles_the_main_person_and_names_the_others(answerer):
    a = answerer.ask("Who is Zheng Lin?")
    assert "researchers named Zheng Lin, kept apart" in a.text
    assert "Others with this name" in a.text
    assert a.profile is not None
    # The profile is one person's, not a blend: every listed paper is that person's.
    assert a.profile["paper_count"] == len(a.profile["papers"])
    assert len(a.people) == 1 and a.people[0]["id"] == a.profile["id"]
    assert a.profile["metrics"].get("h_index") is None  # the mixed page's h-index belongs to no one
    _assert_well_cited(a)


def test_topic_picks_the_right_namesake(answerer):
    a = answerer.ask("Who collaborates with Zheng Lin on split learning?")
    names = {p["name"] for p in a.people}
    assert names, a.text
    assert not {"Fandong Meng", "Jiangnan Li", "Weiping Wang"} & names  # the NLP Zheng Lin's coauthors


def test_profile_has_metrics_and_sources(answerer):
    a = answerer.ask("Who is Zhiming Zheng?")
    assert a.profile is not None
    assert a.profile["metrics"]["h_index"] == 5 and a.profile["metrics"]["citations"] == 91
    assert a.profile["paper_count"] == 1
    assert any(s.startswith("seed:pubs-list") for s in a.profile["sources"])
    _assert_well_cited(a)


def test_find_paper_by_meaning(answerer):
    a = answerer.ask("Which paper teaches vision-language models with preference rewards from many clients?")
    assert a.sources and a.sources[0].title == MOR


def test_papers_by_with_topic_and_a_free_form_author_question(answerer):
    a = answerer.ask("Which papers by Hanlin Gu are about privacy?")
    assert a.intent == "papers_by" and a.query == {
        "op": "papers_by",
        "people": ["Hanlin Gu"],
        "topic": "privacy",
    }
    assert a.people == []  # the asked-about person is not part of the answer
    assert a.sources and all("Hanlin Gu" in s.authors for s in a.sources)
    assert any("Privacy" in s.title for s in a.sources)
    # No pattern covers this wording; the known name after "by" still makes it a person question.
    b = answerer.ask("federated chain-of-thought distillation by Hanlin Gu")
    assert b.intent == "papers_by"
    assert b.sources[0].title.startswith("FedCoT")


def test_who_works_on_a_topic_names_people_with_cited_papers(answerer):
    a = answerer.ask("Who works on split learning?")
    assert a.intent == "who_works_on" and a.people
    assert all(p["papers"] for p in a.people)
    _assert_well_cited(a)


def test_very_long_question_is_answered_with_a_note(answerer):
    q = "Which paper studies federated learning for large language models " + "please " * 800 + "?"
    assert len(q) > 5000
    a = answerer.ask(q)
    assert a.sources
    assert any("cut" in n for n in a.notes)


def test_a_question_after_a_long_preamble_is_read_whole(answerer):
    """The question comes last in a long message: it is what is read, not cut off with the rest."""
    intro = "Hi all, I just joined the lab and I am reading up on things for my first project. " * 15
    assert len(intro) > 1000
    a = answerer.ask(intro + "Who works on split learning? Thanks a lot!")
    assert a.intent == "who_works_on" and a.people
    assert not any("cut" in n for n in a.notes)


def test_empty_store_gives_a_clear_message(tmp_path, model_cache):
    svc = _services(tmp_path / "empty", model_cache)
    with pytest.raises(EmptyStoreError, match="scholarbot ingest"):
        Answerer(svc).ask(CARD_QUESTION)


def test_a_long_lived_answerer_sees_a_later_ingest(tmp_path, model_cache):
    svc = _services(tmp_path / "live", model_cache)
    first = tmp_path / "acl2022.json"
    first.write_text('[{"title": "Graph Parsing for Dialogue", "author": "Ann Lee; Bob Ray"}]')
    ingest_paths([first], svc.store, svc.embedder)
    answerer = Answerer(svc)
    assert "not in the records" in answerer.ask("Who is Carla Diaz?").text
    # Another process ingests more; the same Answerer (the bot, `ask -`) must notice.
    second = tmp_path / "acl2021.json"
    second.write_text('[{"title": "A Smaller Id Paper", "author": "Carla Diaz; Ann Lee; Bob Ray"}]')
    other = _services(tmp_path / "live", model_cache)
    ingest_paths([second], other.store, other.embedder)
    assert answerer.ask("Who is Carla Diaz?").profile is not None
    assert answerer.ask("Who is Ann Lee?").profile["paper_count"] == 2


def test_year_range_limits_the_papers(answerer):
    a = answerer.ask("What did Hanlin Gu publish in 2025?")
    assert a.sources and all(s.year == 2025 for s in a.sources)
    b = answerer.ask("What has Hanlin Gu published since 2026?")
    assert [s.title.split(":")[0] for s in b.sources] == ["LLEOT"]


def test_profile_takes_the_name_as_given(answerer):
    a = answerer.profile("Gu, Hanlin")
    assert a.profile is not None and a.profile["name"] == "Hanlin Gu"


def test_a_question_without_words_gets_guidance_not_a_random_paper(answerer):
    a = answerer.ask("???")
    assert a.sources == [] and a.intent == "help" and "Ask me about" in a.text


def test_profile_cites_each_coauthor_to_a_paper_that_lists_them(answerer):
    a = answerer.ask("Who is Hanlin Gu?")
    by_n = {s.n: s for s in a.sources}
    for name, n in re.findall(r"([A-Z][\w-]+ [A-Z][\w-]+) \(\d+\) \[(\d+)\]", a.text):
        assert name in by_n[int(n)].authors


def test_overview_groups_the_papers_on_a_topic_into_cited_themes(answerer):
    a = answerer.ask("What are the main approaches to federated learning?")
    assert a.intent == "overview" and a.sources
    themes = re.findall(r"Theme: [^(]+\((\d+) paper", a.text)
    assert themes, a.text
    assert all("ederat" in s.title or "ederat" in " ".join(s.authors) or s.title for s in a.sources)
    _assert_well_cited(a)


def test_a_name_printed_with_and_without_a_middle_initial_is_one_person_named_as_each_paper_prints_it(
    tmp_path, model_cache
):
    answerer = answerer_over(
        tmp_path,
        model_cache,
        '[{"title": "Graph Parsing for Dialogue", "author": "Rebecca J. Passonneau; Ann Lee"},'
        ' {"title": "Dialogue Acts Revisited", "author": "Rebecca J. Passonneau; Ann Lee"},'
        ' {"title": "Few-shot Entity Tagging", "author": "Rebecca Passonneau; Ann Lee; Sarkar Das"}]',
    )
    profile = answerer.ask("Who is Rebecca Passonneau?").profile
    assert profile is not None and profile["paper_count"] == 3
    a = answerer.ask("Who does Sarkar Das work with?")
    assert sorted(p["name"] for p in a.people) == ["Ann Lee", "Rebecca Passonneau"]
    assert "Rebecca Passonneau" in a.text and "J." not in a.text
    _assert_well_cited(a)


def test_a_profile_names_the_same_person_under_another_spelling_when_they_share_coauthors(
    tmp_path, model_cache
):
    answerer = answerer_over(
        tmp_path,
        model_cache,
        '[{"title": "Event Extraction at Scale", "author": "Thien Huu Nguyen; Ann Lee; Bob Ray"},'
        ' {"title": "Event Coreference Revisited", "author": "Thien Nguyen; Ann Lee; Bob Ray"},'
        ' {"title": "Neural Term Ranking", "author": "Hinrich Schütze; Cy Ode; Di Eng"},'
        ' {"title": "Subword Segmentation", "author": "Hinrich Schuetze; Cy Ode; Di Eng"},'
        ' {"title": "Protein Folding Models", "author": "Thien Van Nguyen; Eve Fox"}]',
    )
    a = answerer.ask("who is Thien Nguyen?")
    # A middle name printed or left out, with coauthors in common: one person (resolution joins them).
    assert a.profile is not None and a.profile["paper_count"] == 2, a.text
    assert "Thien Huu Nguyen" in a.profile["aliases"]
    # Another middle name with no coauthor in common is someone else, not named as likely the same.
    assert "Thien Van Nguyen" not in a.text
    _assert_well_cited(a)
    # A spelling resolution keeps apart (an umlaut spelt out) is named as likely the same person.
    b = answerer.ask("who is Hinrich Schuetze?")
    assert "also hold Hinrich Schütze" in b.text
    _assert_well_cited(b)


def test_a_two_letter_acronym_names_a_place_only_after_at(tmp_path, model_cache):
    answerer = answerer_over(
        tmp_path,
        model_cache,
        '[{"title": "Manipulating the CD Index of Papers", "author": "Bo Chen", "aff": "Rome University"},'
        ' {"title": "Sheaf Neural Networks", "author": "Ann Lee", "aff": "Cambridge Digital"},'
        ' {"title": "Graph Rewiring", "author": "Cy Ode", "aff": "Foundation of Open Research"}]',
    )
    # "CD" spells Cambridge Digital's initials, but "the CD index" is a thing, not a place.
    a = answerer.ask("someone studied manipulating the CD index of papers. who wrote it?")
    assert "institution" not in a.query and a.sources[0].title == "Manipulating the CD Index of Papers"
    assert answerer.ask("who works at CD?").query.get("institution") == "CD"
    # A word of the question is no acronym, whatever initials an affiliation has ("for": Foundation
    # of Open Research), even before "authors".
    b = answerer.ask("a paper on how hard it is for authors to manipulate the CD index?")
    assert "institution" not in b.query


def _people_and_places(tmp_path, model_cache):
    return answerer_over(
        tmp_path,
        model_cache,
        '[{"title": "Federated Tuning of Language Models", "author": "Hainan Zhang; Ann Lee",'
        ' "aff": "Hainan University; Hainan University"},'
        ' {"title": "Graph Parsing for Dialogue", "author": "Chelsea John; Bo Chen",'
        ' "aff": "Stanford University; Stanford University"},'
        ' {"title": "Dialogue State Tracking", "author": "John Miller; Cy Ode",'
        ' "aff": "Stanford University; MIT"},'
        ' {"title": "Speech Recognition in the Wild", "author": "John Park; Cy Ode", "aff": "MIT; MIT"},'
        ' {"title": "Bots on Twitter", "author": "Di Eng", "aff": "Twitter"},'
        ' {"title": "Twitter Hashtags", "author": "Eve Fox", "aff": "Oxford University"},'
        ' {"title": "Rumours on Twitter", "author": "Eve Fox", "aff": "Oxford University"},'
        ' {"title": "Twitter Sentiment at Scale", "author": "Eve Fox", "aff": "Oxford University"},'
        # No affiliation printed: not counted for Stanford, though John Miller is usually there.
        ' {"title": "Unplaced Parsing Study", "author": "John Miller; Cy Ode"},'
        ' {"title": "Public Finance Reports", "author": "Christian Bender"}]',
    )


def test_a_misspelt_name_is_read_whole_even_when_its_first_word_names_a_place(tmp_path, model_cache):
    answerer = _people_and_places(tmp_path, model_cache)
    # "Hainan" alone is Hainan University; "Hainan Zhagn" explains more of the question as a name.
    a = answerer.ask("papers by Hainan Zhagn")
    assert a.query.get("people") == ["Hainan Zhang"] and "institution" not in a.query
    assert a.sources[0].title == "Federated Tuning of Language Models"
    assert answerer.ask("who works at Hainan University?").query.get("institution") == "Hainan University"


def test_an_unknown_name_is_said_to_be_unknown_not_read_as_someone_else_or_a_topic(tmp_path, model_cache):
    answerer = _people_and_places(tmp_path, model_cache)
    # "John" is a given name of more people than carry it as a surname: it starts an unknown name.
    for question in ("papers by john smithee", "papers by John Smithee"):
        a = answerer.ask(question)
        assert "John Smithee is not in the records" in a.text and "Chelsea John" not in a.text, a.text
    # A given name before a surname the records hold is that full name, not the surname's holder.
    for question in ("emily bender papers", "who is Emily M. Bender?"):
        b = answerer.ask(question)
        assert "is not in the records" in b.text and "Christian Bender" not in b.text, b.text
    # A name before a word for papers asks for that person's papers.
    assert "Tor Lattimore is not in the records" in answerer.ask("Tor Lattimore papers").text
    # Names whose words an English word list also holds ("vance", "hinton") are names all the same.
    for question in ("what has Geoffrey Hinton published?", "what is Marisol Quintero-Vance working on?"):
        assert "is not in the records" in answerer.ask(question).text, question
    # Typed in lower case: a given name and a word no paper writes ("lecun") are a name too.
    for question in ("what has geoffrey hinton published?", "who does geoffrey lecun work with"):
        assert "is not in the records" in answerer.ask(question).text, question
    assert answerer.ask("papers by geoffrey hinton").query.get("people") == ["geoffrey hinton"]
    # Inside a topic, or before a word for papers, two such words are what papers are about.
    for question in ("anything on geoffrey reef bleaching forecasts?", "geoffrey reef papers"):
        assert "not in the records" not in answerer.ask(question).text, question
    # A surname alone after "by" still names the one person carrying it.
    assert answerer.ask("papers by Miller").query.get("people") == ["John Miller"]


def test_papers_from_an_institution_are_those_written_there(tmp_path, model_cache):
    answerer = _people_and_places(tmp_path, model_cache)
    a = answerer.ask("how many papers from Stanford?")
    assert a.value == 2, a.text  # not every paper in the store
    b = answerer.ask("papers from Stanford")
    assert {s.title for s in b.sources} == {"Graph Parsing for Dialogue", "Dialogue State Tracking"}
    _assert_well_cited(b)
    assert answerer.ask("Stanford papers").query.get("institution") == "Stanford"
    # Cy Ode is at MIT, but wrote the Stanford paper with John Miller there: it counts for both.
    assert answerer.ask("how many papers from MIT?").value == 2
    # More papers are about Twitter than people work there: a topic.
    c = answerer.ask("Twitter papers")
    assert "institution" not in c.query and len(c.sources) >= 4
    # A pronoun inside the question's own clause is no one named before.
    e = answerer.ask("anyone at Oxford checking whether the hashtags they see on Twitter spread?")
    assert e.query.get("op") == "who_works_on" and e.query.get("institution") == "Oxford", e.query
    assert [p["name"] for p in e.people] == ["Eve Fox"]
    # A description that names a place without putting papers there searches everywhere.
    d = answerer.ask("which paper tracks the hashtags people use on Twitter, Oxford and MIT?")
    assert "institution" not in d.query and d.sources[0].title == "Twitter Hashtags"


def test_people_at_a_place_are_ranked_by_the_papers_they_wrote_there(tmp_path, model_cache):
    oxford = "Oxford University"
    rows = [
        # Ann Lee wrote most, but only one paper at Edinburgh; Bo Chen wrote two there.
        *(
            {"title": f"Parsing Study {i}", "author": "Ann Lee; Zed Zu", "aff": f"{oxford}; {oxford}"}
            for i in range(3)
        ),
        {
            "title": "Tagging Study",
            "author": "Ann Lee; Zed Zu; Bo Chen",
            "aff": f"University of Edinburgh; {oxford}; {oxford}",
        },
        *(
            {"title": f"Speech Study {i}", "author": "Bo Chen", "aff": "University of Edinburgh"}
            for i in range(2)
        ),
        {
            "title": "Acoustic Models",
            "author": "Cy Ode; Di Eng; Eve Fox",
            "aff": "Carnegie Mellon University; Carnegie Mellon University; Carnegie Mellon University",
        },
        {
            "title": "Speech Enhancement",
            "author": "Fay Gu; Gil Ho; Hal Ivy",
            "aff": "Carnegie Mellon University; Carnegie Mellon University; Cardiff Metropolitan University",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who at Edinburgh publishes the most?")
    assert [p["name"] for p in a.people][:2] == ["Bo Chen", "Ann Lee"], a.text
    # Typed in lower case and with no "at": still the place, since no paper uses the word.
    b = answerer.ask("what did edinburgh publish?")
    assert b.query.get("institution") == "Edinburgh"
    assert {s.title for s in b.sources} == {"Tagging Study", "Speech Study 0", "Speech Study 1"}
    # "CMU" spells both universities, but nearly everyone with those initials is at Carnegie Mellon.
    c = answerer.ask("who at CMU works on speech?")
    assert c.query.get("institution") == "Carnegie Mellon University"
    assert "Hal Ivy" not in c.text and "Fay Gu" in c.text


def test_people_at_a_place_work_on_a_topic_in_papers_written_there(tmp_path, model_cache, monkeypatch):
    from scholarbot.answers import engine

    rows = [
        # The two's closest paper on speech was written elsewhere; only the one written at Carnegie
        # Mellon (or one that prints no place) puts them there.
        {"title": "Speech", "author": "Cy Ode; Fay Gu", "aff": "Google; Google"},
        {
            "title": "Speech Enhancement for Noisy Rooms with Microphone Arrays",
            "author": "Cy Ode; Fay Gu",
            "aff": "Carnegie Mellon University; Carnegie Mellon University",
        },
        {"title": "Graph Parsing", "author": "Fay Gu", "aff": "Carnegie Mellon University"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    # As at a million papers, where the place's best few hundred papers are what is looked at.
    monkeypatch.setattr(engine, "PLACE_TOPIC_PAPERS", 1)
    a = answerer.ask("who at Carnegie Mellon works on speech?")
    assert {p["name"] for p in a.people} == {"Cy Ode", "Fay Gu"}, a.text
    assert [s.title for s in a.sources] == ["Speech Enhancement for Noisy Rooms with Microphone Arrays"]


def test_a_misspelt_name_is_read_as_the_likelier_of_two_close_names(tmp_path, model_cache):
    rows = [{"title": f"Commonsense Study {i}", "author": "Yejin Choi; Ann Lee"} for i in range(40)]
    rows.append({"title": "Vision Study", "author": "Yejin Cho; Bo Chen"})
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    # One letter off Yejin Cho (one paper), two off Yejin Choi (forty): the name written about more.
    a = answerer.ask("what has yejin choy been working on lately")
    assert a.query.get("people") == ["Yejin Choi"]
    assert any("Yejin Choi" in n for n in a.notes)
    # A name made of words no paper uses is a person the records lack, whatever else is asked.
    c = answerer.ask("does Zorblat Vennicker have anything on commonsense?")
    assert c.text.startswith("Zorblat Vennicker is not in the records"), c.text


def test_a_paper_is_found_by_its_name_and_an_acronym_by_what_the_papers_define_it_as(tmp_path, model_cache):
    rows = [
        {
            "title": "TruthfulQA: Measuring How Models Mimic Human Falsehoods",
            "author": "Stephanie Lin; Jacob Hilton",
            "gs_citation": 1725,
            "abstract": "A benchmark of questions that some humans would answer falsely.",
        },
        {
            "title": "VeritasQA: A Multilingual Truthfulness Benchmark",
            "author": "Ann Lee",
            "abstract": "We extend TruthfulQA to four languages. TruthfulQA questions are "
            "translated; TruthfulQA scores drop.",
        },
        {
            "title": "GLM: General Language Model Pretraining with Autoregressive Blank Infilling",
            "author": "Zhengxiao Du; Jie Tang",
            "abstract": "GLM pretrains with blank infilling.",
        },
        {
            "title": "Comparing Pretrained Models",
            "author": "Bo Chen",
            "abstract": "We compare BERT, T5 and GLM.",
        },
        # Someone at a place whose initials spell GLM: the model is no lab.
        {
            "title": "Crop Yield Forecasts",
            "author": "Cy Ode",
            "aff": "Global Land Monitoring",
            "abstract": "",
        },
        {
            "title": "Corrective Retrieval for Generation",
            "author": "Di Eng",
            "abstract": "Retrieval-augmented generation (RAG) can be misled by irrelevant documents; "
            "we correct RAG.",
        },
        {
            "title": "Self-Reflective Retrieval",
            "author": "Eve Fox",
            "abstract": "Retrieval-augmented generation (RAG) retrieves passages for each question.",
        },
        {
            "title": "Metacognitive Retrieval-Augmented Large Language Models",
            "author": "Fay Gu",
            "abstract": "",
        },
        {"title": "Sheaf Neural Networks", "author": "Gil Ho", "abstract": "Graph learning with sheaves."},
        {
            "title": "Dialog State Tracking with Schemas",
            "author": "Hal Ivy",
            "abstract": "Task-oriented dialog.",
        },
        {
            "title": "Dialogue Policy Learning",
            "author": "Ida Jo",
            "abstract": "Policies for dialogue agents.",
        },
        {"title": "Email Thread Summarization", "author": "Jo Ka", "abstract": "Summarizing emails."},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    # A paper's name before the colon is that paper, though another mentions the name more.
    a = answerer.ask("who wrote TruthfulQA")
    assert a.sources[0].title.startswith("TruthfulQA:") and "Stephanie Lin" in a.text
    # A paper asked about by name is given with the first sentence of its abstract.
    about = answerer.ask("what's the TruthfulQA paper about?")
    assert "“A benchmark of questions that some humans would answer falsely.”" in about.text, about.text
    _assert_well_cited(about)
    # The citations of a paper it names, not a count of papers.
    assert "1725 citations" in answerer.ask("how many citations does TruthfulQA have?").text
    # An acronym more papers use than researchers work at a place it spells is not that place.
    b = answerer.ask("who wrote GLM?")
    assert "institution" not in b.query and b.sources[0].title.startswith("GLM:")
    # "RAG" is what the papers that use it define it as, so a paper that never writes it is on it.
    c = answerer.ask("papers on RAG")
    titles = [s.title for s in c.sources]
    assert "Metacognitive Retrieval-Augmented Large Language Models" in titles[:3], c.text
    assert "Sheaf Neural Networks" not in titles[:3]
    # Papers spell it either way; a search finds both.
    assert answerer.ask("how many papers on dialogue?").value == 2
    assert answerer.ask("how many papers on dialog?").value == 2
    assert answerer.ask("how many papers on summarisation?").value == 1


def test_who_works_on_a_topic_names_first_those_with_most_papers_on_it(tmp_path, model_cache):
    rows = [
        {"title": "Speech Recognition", "author": "Ann Lee; Cy Ode", "abstract": "Speech recognition."},
        *(
            {"title": f"Noise-Robust Speech Recognition for Setting {i}", "author": "Bo Chen; Di Eng"}
            for i in range(3)
        ),
        {"title": "Sheaf Neural Networks", "author": "Eve Fox", "abstract": "Graph learning with sheaves."},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on speech recognition?")
    assert {p["name"] for p in a.people[:2]} == {"Bo Chen", "Di Eng"} and "Bo Chen (3)" in a.text, a.text
    assert "Eve Fox" not in a.text


def test_namesakes_in_one_list_say_which_is_which(tmp_path, model_cache):
    rows = [
        {"title": "Speech Recognition in Noise", "author": "Ann Lee; Bo Chen", "aff": "MIT; MIT"},
        {
            "title": "Speech Recognition for Children",
            "author": "Ann Lee; Cy Ode",
            "aff": "Oxford University; Oxford University",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on speech recognition?")
    assert "Ann Lee (MIT)" in a.text and "Ann Lee (Oxford University)" in a.text, a.text


def test_a_place_named_by_one_word_is_not_part_of_another_places_name(tmp_path, model_cache):
    rows = [
        {"title": "Dialogue Summaries", "author": "Ann Lee", "aff": "Columbia University"},
        {"title": "Dialogue Acts", "author": "Bo Chen", "aff": "University of British Columbia"},
        {"title": "Dialogue Agents", "author": "Cy Ode", "aff": "Google DeepMind"},
        {"title": "Dialogue Games", "author": "Di Eng", "aff": "DeepMind"},
        {"title": "Search Ads", "author": "Eve Fox", "aff": "Google"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who at Columbia works on dialogue?")
    assert [p["name"] for p in a.people] == ["Ann Lee"], a.text
    # A place of its own before the word ("Google DeepMind") is the same lab, not another place.
    b = answerer.ask("who at DeepMind works on dialogue?")
    assert {p["name"] for p in b.people} == {"Cy Ode", "Di Eng"}, b.text


def test_a_field_named_by_a_phrase_counts_the_papers_that_say_it(tmp_path, model_cache):
    rows = [
        *({"title": f"Topic Models for Corpus {i}", "author": "Ann Lee; Bo Chen"} for i in range(6)),
        *({"title": f"Neural Topic Modeling at Scale {i}", "author": "Cy Ode; Di Eng"} for i in range(5)),
        # The field's words apart, not the field: "topic" of a dialogue, "modeling" of language.
        *(
            {"title": f"Topic Shifts in Dialogue and Language Modeling {i}", "author": "Zed Zu; Eve Fox"}
            for i in range(8)
        ),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on topic modelling?")
    names = [p["name"] for p in a.people]
    assert set(names[:2]) == {"Ann Lee", "Bo Chen"} and "Zed Zu" not in names, a.text


def test_a_paper_is_at_a_place_by_its_printed_affiliations_not_by_its_words(tmp_path, model_cache):
    rows = [
        {"title": "Bots on Twitter", "author": "Di Eng; Hal Ivy", "aff": "Twitter; Twitter"},
        # The same two people, elsewhere this time: the title's "Twitter" is no affiliation.
        {
            "title": "Twitter Memes",
            "author": "Di Eng; Hal Ivy",
            "aff": "Oxford University; Oxford University",
        },
        {"title": "Ad Auctions", "author": "Eve Fox", "aff": "Twitter"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("how many papers from Twitter?")
    assert a.value == 2, a.text


def test_an_acronym_of_several_places_is_said_to_count_them_all(tmp_path, model_cache):
    rows = [
        {"title": "Dialogue Summaries", "author": "Ann Lee", "aff": "Nanyang Technological University"},
        {"title": "Dialogue Acts", "author": "Bo Chen", "aff": "National Taiwan University"},
        {
            "title": "Dialogue Games",
            "author": "Cy Ode",
            "aff": "Korea Advanced Institute of Science and Technology",
        },
        {
            "title": "Dialogue Agents",
            "author": "Di Eng",
            "aff": "Korea Advanced Institute of Science & Technology",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who at NTU works on dialogue?")
    assert {p["name"] for p in a.people} == {"Ann Lee", "Bo Chen"}
    assert any("Nanyang Technological University" in n and "National Taiwan University" in n for n in a.notes)
    # One place spelt two ways is one place.
    assert not answerer.ask("who at KAIST works on dialogue?").notes


# --- questions about the whole store or a venue, and about one paper --------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "scholarbot" / "data" / "sample" / "paperlists"


def _sample_rows() -> list[tuple[str, dict]]:
    """(file stem, row) for every row of the bundled sample, as its JSON has it."""
    import json

    return [(f.stem, row) for f in sorted(SAMPLE.glob("*.json")) for row in json.loads(f.read_text())]


def _cited(row: dict) -> int:
    c = row.get("gs_citation")
    return c if isinstance(c, int) and c >= 0 else -1


def test_most_cited_paper_of_the_store_and_of_a_venue_year(answerer):
    rows = _sample_rows()
    best = max(rows, key=lambda fr: _cited(fr[1]))[1]
    a = answerer.ask("whats the most cited paper in the whole database?")
    assert a.intent == "find_papers" and a.value == " ".join(best["title"].split())
    assert str(best["gs_citation"]) in a.text
    _assert_well_cited(a)

    acl = max((r for f, r in rows if f == "acl2022"), key=_cited)
    a = answerer.ask("What's the most cited paper at ACL 2022?")
    assert a.value == " ".join(acl["title"].split())
    top3 = answerer.ask("top 3 most cited papers of ACL 2022")
    cited = sorted((_cited(r) for f, r in rows if f == "acl2022"), reverse=True)[:3]
    assert top3.sources[0].title == a.value
    assert all(f"{n} citations" in top3.text for n in cited)


def test_most_cited_says_so_when_no_source_gives_counts(answerer):
    rows = _sample_rows()
    by_name: dict[str, list[int]] = {}
    for _f, r in rows:
        for name in str(r["author"]).split(";"):
            by_name.setdefault(name.strip(), []).append(_cited(r))
    # Someone with two or more papers, none of them with a count (WWW's and COLM 2025's lists give none).
    name = next(n for n, cs in sorted(by_name.items()) if len(cs) >= 2 and max(cs) < 0)
    a = answerer.ask(f"what is {name}'s most cited paper")
    assert a.intent == "papers_by"
    assert "no citation counts" in a.text and a.value is None


def test_which_of_two_venues_a_person_publishes_more_at(answerer):
    rows = _sample_rows()
    counts = {
        venue: sum(
            1
            for f, r in rows
            if f.startswith(venue.lower()) and "Fandong Meng" in [a.strip() for a in r["author"].split(";")]
        )
        for venue in ("ACL", "NAACL", "COLING")
    }
    # The venue named first is not the one answered: the counts decide.
    a = answerer.ask("does fandong meng publish more at NAACL or ACL?")
    assert a.intent == "top_venue" and a.value == max(counts, key=counts.__getitem__) == "ACL"
    assert f"ACL {counts['ACL']}" in a.text and f"NAACL {counts['NAACL']}" in a.text
    assert "COLING" not in a.text  # only the venues asked about
    _assert_well_cited(a)
    three = answerer.ask("Fandong Meng: COLING vs NAACL vs ACL")
    assert three.value == "ACL" and f"COLING {counts['COLING']}" in three.text
    # Two venues with no question of which: papers at either.
    both = answerer.ask("how many papers did Fandong Meng publish at ACL and NAACL?")
    assert both.intent == "count" and both.value == counts["ACL"] + counts["NAACL"]


def test_venues_left_out_are_left_out_of_counts_lists_and_follow_ups(answerer):
    at_acl = sum(
        1
        for f, r in _sample_rows()
        if f.startswith("acl") and "Fandong Meng" in [a.strip() for a in r["author"].split(";")]
    )
    # Everything the store holds of him (the seed pages add papers of other venues, or none).
    total = answerer.ask("how many papers has Fandong Meng published?").value
    a = answerer.ask("how many papers has fandong meng published outside of ACL?")
    assert a.intent == "count" and a.value == total - at_acl > 0, a.text
    assert "outside ACL" in a.text
    b = answerer.ask("Fandong Meng papers except ACL and COLING")
    assert b.sources and not any((s.venue or "").startswith(("ACL", "COLING")) for s in b.sources), b.text
    # In a thread: "any outside X?" keeps the person and leaves X out; "and at ACL?" takes it back.
    first = answerer.ask("what has Fandong Meng published?")
    out = answerer.ask("any not at acl?", Query.from_json(first.query or {}))
    assert out.value == total - at_acl and "outside ACL" in out.text, out.text
    back = answerer.ask("and at ACL?", Query.from_json(out.query or {}))
    assert back.value == at_acl and "outside" not in back.text, back.text
    # "not" before anything but a venue leaves nothing out.
    assert answerer.read("papers on not forgetting at ACL").query.venue == "ACL"


def test_a_topic_of_alternatives_finds_work_on_either(answerer):
    either = answerer.ask("who works on federated learning or machine translation?")
    named = {p["name"] for p in either.people}
    for topic in ("federated learning", "machine translation"):
        alone = answerer.ask(f"who works on {topic}?")
        assert alone.people and alone.people[0]["name"] in named
    # Not one phrase that no paper holds.
    assert not either.text.startswith("Nothing")


def test_a_description_is_answered_with_candidates_not_claims(answerer):
    title = "Replacing Parameters with Preferences"
    a = answerer.ask(
        "which paper federates the alignment of vision-language models, swapping parameters for preferences?"
    )
    assert a.intent == "find_papers" and a.sources[0].title.startswith(title)
    # Papers that pass as "on" a long description are candidates, not papers on it; the paper meant,
    # well ahead of the rest, is not hedged.
    assert "Also on it" not in a.text and "not a sure one" not in a.text
    none = answerer.ask("the paper that films octopus arms coordinating while they open jars underwater")
    assert none.text.startswith("The closest match, though not a sure one, is")
    assert "not on it" not in none.text
    # A half-remembered paper is often not the closest but among the first five: five are offered.
    assert len(none.sources) == 5, none.text


def test_a_question_about_it_reads_the_sentence_before(answerer):
    a = answerer.ask(
        "there was a paper on federated alignment of vision-language models with preferences. who wrote it?"
    )
    assert a.intent == "paper_authors" and a.sources[0].title == MOR


def test_a_profile_says_what_the_titles_keep_returning_to(answerer):
    a = answerer.ask("what does Fandong Meng work on?")
    assert a.intent == "profile"
    m = re.search(r"Recurring topics in their titles: (.*?)\. ", a.text)
    assert m, a.text
    by_n = {s.n: s.title.lower() for s in a.sources}
    for item in m.group(1).split(", "):
        phrase, cites = re.match(r"(.*?) ((?:\[\d+\])+)$", item).groups()
        cited = [by_n[int(n)] for n in re.findall(r"\d+", cites)]
        # Each phrase is cited to two papers whose titles carry it.
        assert len(cited) == 2 and all(phrase.rstrip("s") in t for t in cited), (phrase, cited)
    _assert_well_cited(a)


def test_a_common_name_within_a_venue_year_lists_every_namesake_there(answerer):
    rows = _sample_rows()
    want = {
        " ".join(r["title"].split())
        for f, r in rows
        if f == "aaai2022" and "Jie Zhang" in [a.strip() for a in r["author"].split(";")]
    }
    a = answerer.ask("Jie Zhang AAAI 2022 papers")
    # Several people of that name published there: each is listed, apart, with their papers there.
    assert a.intent == "papers_by" and "researchers named Jie Zhang" in a.text
    assert {s.title for s in a.sources} == want and len(a.people) > 1
    _assert_well_cited(a)


def test_a_yes_lists_the_joint_papers_not_three_of_them(answerer):
    joint = answerer.ask("Fandong Meng and Jie Zhou: which papers did they write together?")
    a = answerer.ask("fandong meng and jie zhou - ever on the same paper?")
    assert a.intent == "collab_check" and a.value is True
    # The joint papers, a page of them, as the list question gives them.
    assert [s.title for s in a.sources] == [s.title for s in joint.sources] and len(a.sources) > 3
    _assert_well_cited(a)


def test_paper_count_of_the_store(answerer, sample_services):
    a = answerer.ask("how many papers are in ur database?")
    assert a.intent == "count" and a.value == sample_services.store.count("papers")


def test_who_wrote_a_paper_lists_its_authors_in_order(answerer):
    _f, row = next((f, r) for f, r in _sample_rows() if len(str(r["author"]).split(";")) >= 4)
    title = " ".join(row["title"].split())
    authors = [n.strip() for n in str(row["author"]).split(";")]
    for q in (f"who wrote {title}?", f"hey who are the authors of the paper '{title.lower()}'"):
        a = answerer.ask(q)
        assert a.intent == "paper_authors" and a.value == title
        assert ", ".join(authors[:-1]) + f" and {authors[-1]}" in a.text
        _assert_well_cited(a)
    # "who writes about X" asks for people on a topic, not for a paper's authors.
    assert answerer.ask("who writes about federated learning?").intent == "who_works_on"


def test_who_published_most_at_a_venue(answerer):
    # NAACL 2024 in the sample: one name clearly ahead (at IJCAI 2024 the most printed name, Jie
    # Zhang, is several people, each with fewer papers).
    counts: dict[str, int] = {}
    for f, r in _sample_rows():
        if f == "naacl2024":
            for name in str(r["author"]).split(";"):
                counts[name.strip()] = counts.get(name.strip(), 0) + 1
    most = max(counts.values())
    assert sorted(counts.values())[-2] < most
    a = answerer.ask("who wrote the most papers at NAACL 2024?")
    assert a.intent == "who_works_on"
    first = a.people[0]["name"]
    assert counts[first] == most and f"{first} ({most})" in a.text


def test_thanks_gets_a_short_reply_not_a_search(answerer):
    for q in ("thx that was helpful!", "thank you so much!!"):
        a = answerer.ask(q)
        assert not a.sources and "welcome" in a.text.lower()


def test_chat_spellings_read_as_their_words(answerer):
    plain = answerer.ask("What's Hainan Zhang's most cited paper?")
    chat = answerer.ask("whats hainan zhang's most cited paper")
    assert plain.value and chat.value == plain.value


def test_is_someone_at_an_institution_answers_yes_or_no(answerer):
    places: dict[str, set[str]] = {}
    for _f, r in _sample_rows():
        names = [n.strip() for n in str(r["author"]).split(";")]
        affs = [a.strip() for a in str(r.get("aff") or "").split(";")]
        for name, aff in zip(names, affs, strict=False):
            places.setdefault(name, set()).add(aff.lower())
    # Someone always listed at Tencent, never at Peking University.
    name = max(
        (n for n, affs in places.items() if affs and all("tencent" in a for a in affs)),
        key=lambda n: (len(places[n]), n),
    )
    assert not any("peking" in a for a in places[name])
    yes = answerer.ask(f"is {name.lower()} at tencent?")
    assert yes.intent == "profile" and yes.value is True and yes.text.startswith("Yes")
    no = answerer.ask(f"Is {name} at Peking University?")
    assert no.value is False and no.text.startswith("No paper in the records lists")
    _assert_well_cited(yes)
    _assert_well_cited(no)


def test_a_paper_search_puts_papers_on_the_whole_topic_first(answerer):
    """Papers with both weighty words of "federated recommendation" come first and are "on it";
    papers with one of them only (recommendation alone) follow as "nearby"."""

    def text(source) -> str:
        p = answerer.paper(source.id)
        return f"{p.title} {p.abstract}".lower()

    a = answerer.ask("papers on federated recommendation")
    on_it, _, nearby = a.text.partition("Nearby, not on it as such")
    assert nearby, "the sample has papers on one of the two words only"
    cited_on = {int(n) for n in re.findall(r"\[(\d+)\]", on_it)}
    cited_near = {int(n) for n in re.findall(r"\[(\d+)\]", nearby)}
    both = {s.n for s in a.sources if "federated" in text(s) and "recommend" in text(s)}
    # Papers on all of it come first; a paper close in meaning may join them, never one on a part.
    assert both and both <= cited_on
    assert not both & cited_near
    assert max(both) < min(cited_near)


def test_a_topic_some_papers_only_half_share_is_absent(answerer):
    """ "quantum error correction" is not covered by papers on error correction of text alone."""
    a = answerer.ask("who works on quantum error correction?")
    assert not a.people and a.text.startswith("Nothing in the records is on quantum error correction")


def test_questions_about_the_bot_say_what_the_records_hold(answerer, sample_services):
    files = sorted(SAMPLE.glob("*.json"))
    venues = {f.stem.rstrip("0123456789").upper() for f in files}
    for q in (
        "which conferences do u have data for?",
        "how recent is ur data",
        "are u chatgpt lol",
        "which venues and years are covered?",
    ):
        a = answerer.ask(q)
        assert a.intent == "coverage" and a.value == sample_services.store.count("papers")
        assert all(v in a.text for v in venues), a.text
        # The seed pages' few papers at other venues are summed up after the paper lists' venues.
        lists, _, others = a.text.partition("from other sources")
        assert others and "arXiv" in others and "arXiv" not in lists, a.text
    # A venue-year the records lack: none, and what they hold of that venue.
    acl_years = sorted(int(f.stem[3:]) for f in files if f.stem.startswith("acl"))
    a = answerer.ask("is acl 2019 in ur data?")
    assert a.intent == "count" and a.value == 0
    # (A seed page adds a "Findings of the ACL" paper of a later year: ACL's family too.)
    assert f"ACL {acl_years[0]}–" in a.text
    # A venue with no year: how many, and which years.
    a = answerer.ask("what years of ACL do you have?")
    assert a.intent == "count" and f"ACL {acl_years[0]}–" in a.text
    # Years with gaps are listed, not spanned.
    coling = sorted(int(f.stem[6:]) for f in files if f.stem.startswith("coling"))
    a = answerer.ask("most recent COLING you've got?")
    assert a.intent == "count" and "COLING " + ", ".join(map(str, coling)) in a.text
    newest = answerer.ask("latest NAACL papers")
    naacl = max(int(f.stem[5:]) for f in files if f.stem.startswith("naacl"))
    assert newest.intent == "find_papers" and {s.year for s in newest.sources} == {naacl}
    # A well-known venue the records lack is a venue, not a topic to search for.
    a = answerer.ask("do u have neurips or icml papers?")
    assert a.intent == "count" and a.value == 0 and "NeurIPS or ICML" in a.text and "ACL" in a.text
    a = answerer.ask("how many distinct authors are in your database?")
    assert a.intent == "coverage" and f"{sample_services.store.count('researchers')} researcher" in a.text
    a = answerer.ask("where do ur citation numbers come from")
    assert a.intent == "coverage" and "Citation counts are the ones the source records give" in a.text


def test_someone_listed_at_a_place_before_but_elsewhere_now_is_not_there_now(answerer):
    """ "is X at Y?" asks about now: the newest paper's affiliation decides, the older ones are cited."""
    history: dict[str, list[tuple[int, str]]] = {}
    for f, r in _sample_rows():
        year = int(f[-4:])
        names = [n.strip() for n in str(r["author"]).split(";")]
        affs = [a.strip() for a in str(r.get("aff") or "").split(";")]
        for name, aff in zip(names, affs, strict=False):
            if aff:
                history.setdefault(name, []).append((year, aff))
    moved = sorted(
        (n, h)
        for n, h in history.items()
        if len({y for y, _ in h}) > 1
        and "tsinghua" in min(h)[1].lower()
        and "tsinghua" not in max(h)[1].lower()
        and all("tsinghua" not in a.lower() for y, a in h if y == max(h)[0])
    )
    assert moved, "the sample has someone who left Tsinghua"
    name = moved[0][0]
    a = answerer.ask(f"is {name} still at tsinghua?")
    assert a.value is False and a.text.startswith("Not any more"), a.text
    _assert_well_cited(a)


def test_who_has_more_citations_compares_citations_not_papers(answerer):
    rows = _sample_rows()
    cited: dict[str, int] = {}
    papers: dict[str, int] = {}
    for _f, r in rows:
        for name in str(r["author"]).split(";"):
            cited[name.strip()] = cited.get(name.strip(), 0) + max(_cited(r), 0)
            papers[name.strip()] = papers.get(name.strip(), 0) + 1
    # Two people where papers and citations disagree on who has more.
    pair = next(
        (a, b)
        for a in sorted(papers)
        for b in sorted(papers)
        if papers[a] > papers[b] >= 2 and cited[b] > cited[a] > 0 and len({a, b}) == 2
    )
    a, b = pair
    answer = answerer.ask(f"{a} vs {b}, who has more citations?")
    assert answer.intent == "compare" and answer.value == b
    assert f"{a} {cited[a]}" in answer.text and f"{b} {cited[b]}" in answer.text
    assert answerer.ask(f"who has more papers, {a} or {b}?").value == a


def test_two_people_compared_are_described_by_what_their_titles_return_to(tmp_path, model_cache):
    rows = [
        {
            "title": "Dialogue State Tracking with Graphs",
            "author": "Ann Lee; Dan Wu",
            "keywords": "Zebra Crossing",
        },
        {"title": "Dialogue State Tracking for Travel", "author": "Ann Lee; Dan Wu"},
        {"title": "Parsing Trees Fast", "author": "Bo Chen; Eve Fox"},
        *_papers("Image Segmentation", 40, "Zed Quinn", tag="i"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("compare Ann Lee and Bo Chen")
    assert a.query.get("op") == "compare" and "dialogue state tracking" in a.text.lower(), a.text
    assert "Zebra" not in a.text, a.text  # one paper's keywords say little of a person


def test_topic_matches_kept_are_bounded_by_memory(answerer, monkeypatch):
    """Each topic match holds arrays over every paper: a million-paper store keeps only a few."""
    import scholarbot.answers.engine as engine

    monkeypatch.setattr(engine, "TOPIC_CACHE_BYTES", 2 * engine.TOPIC_BYTES_PER_PAPER * len(answerer.index))
    topics = ["federated learning", "machine translation", "dialogue systems"]
    for t in topics:
        answerer.ask(f"who works on {t}?")
    kept = list(answerer._topics)
    assert len(kept) == 2 and kept[-1] == "dialogue systems"
    answerer.ask("who works on machine translation?")  # used again: kept, the oldest goes
    assert list(answerer._topics)[-1] == "machine translation" and len(answerer._topics) == 2


def test_is_at_counts_every_place_the_newest_paper_lists():
    """A newest paper listing "Mannheim" first and "Würzburg" second still places them at Würzburg."""
    from scholarbot.answers.compose_facts import FactsComposer
    from scholarbot.answers.engine import PersonView
    from scholarbot.answers.query import Query
    from scholarbot.records import Author, Paper, Researcher, paper_id_for

    def paper(title: str, year: int, *affs: str) -> Paper:
        return Paper(
            id=paper_id_for(title),
            title=title,
            year=year,
            venue="ACL",
            authors=(Author("Ana Li", None, affs),),
        )

    old = paper("Older work", 2021, "University of Würzburg")
    new = paper("Newer work", 2024, "University of Mannheim", "University of Würzburg")
    person = Researcher(id="r_1", name="Ana Li", paper_ids=(new.id, old.id))
    query = Query(op="profile", people=("Ana Li",), institution="Würzburg")
    answer = FactsComposer(query).profile(PersonView(person, [new, old]), [])
    assert answer.value is True and answer.text.startswith("Yes: 2 paper(s)")
    moved = FactsComposer(query.with_(institution="Stanford")).profile(PersonView(person, [new, old]), [])
    assert moved.value is False and moved.text.startswith("No paper in the records lists")
    # "was she always at Würzburg?": a yes names the papers that list her only elsewhere, earliest first.
    first = paper("First work", 2019, "Stanford University")
    same_year = paper("Another newer work", 2024, "Stanford University")
    papers = [new, same_year, old, first]
    person = Researcher(id="r_1", name="Ana Li", paper_ids=tuple(p.id for p in papers))
    always = FactsComposer(query).profile(PersonView(person, papers), [])
    assert always.value is True, always.text  # a paper of the newest year still lists her there
    assert "2 other paper(s) list them elsewhere, the earliest at Stanford University (“First work”" in (
        always.text
    )


def _venues_store(tmp_path: Path, model_cache: Path, files: dict[str, list[dict[str, str]]]) -> Answerer:
    svc = _services(tmp_path / "store", model_cache)
    paths = []
    for name, rows in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(rows))
        paths.append(path)
    ingest_paths(paths, svc.store, svc.embedder)
    return Answerer(svc)


def _papers(topic: str, n: int, author: str, aff: str = "", tag: str = "") -> list[dict[str, str]]:
    # Papers of one title are one paper wherever they appear: `tag` keeps each list's own.
    return [
        {
            "title": f"{topic} study {tag}{i}",
            "abstract": f"We study {topic.lower()}.",
            "author": author,
            "aff": aff,
        }
        for i in range(n)
    ]


def test_a_persons_top_venues_tied_are_named_once_and_the_rest_after_them(tmp_path, model_cache):
    answerer = _venues_store(
        tmp_path,
        model_cache,
        {
            # One person: the same coauthor and affiliation on every paper.
            "coling2022": _papers("Sarcasm Detection", 3, "Ann Lee;Bo Chen", "Reef U;Reef U"),
            "acl2022": _papers("Sarcasm Detection", 3, "Ann Lee;Bo Chen", "Reef U;Reef U", tag="A"),
            "naacl2024": _papers("Sarcasm Detection", 1, "Ann Lee;Bo Chen", "Reef U;Reef U", tag="N"),
            "ijcai2024": _papers("Sarcasm Detection", 1, "Ann Lee;Bo Chen", "Reef U;Reef U", tag="I"),
        },
    )
    a = answerer.ask("ann lee - what venues does she usually publish in")
    assert a.query["op"] == "top_venue" and set(a.value.split(" / ")) == {"COLING", "ACL"}, a.text
    assert "3 each of 8" in a.text and len(re.findall(r"\bACL\b", a.text)) == 1, a.text
    assert "IJCAI (1)" in a.text and "NAACL (1)" in a.text, a.text


def test_which_venue_or_year_has_most_and_which_of_two_topics_has_more(tmp_path, model_cache):
    answerer = _venues_store(
        tmp_path,
        model_cache,
        {
            "coling2022": [
                *_papers("Sarcasm Detection", 5, "Ann Lee"),
                *_papers("Metaphor Detection", 2, "Bo Chen"),
            ],
            "acl2022": [
                *_papers("Sarcasm Detection", 1, "Ann Lee", tag="A"),
                *_papers("Metaphor Detection", 3, "Bo Chen", tag="A"),
            ],
            "naacl2024": _papers("Graph Parsing", 2, "Cy Do"),
        },
    )
    a = answerer.ask("which venue has the most sarcasm papers?")
    assert a.value == "COLING" and "5 of 6" in a.text and "ACL (1)" in a.text, a.text
    _assert_well_cited(a)
    b = answerer.ask("is there more work on sarcasm or metaphor at ACL?")
    assert b.query.get("op") == "compare" and b.value == "metaphor", b.text
    assert "metaphor: 3 paper(s)" in b.text and "sarcasm: 1 paper(s)" in b.text
    c = answerer.ask("which year had the most papers?")
    assert c.value == "2022" and "11 of 13" in c.text, c.text
    # Asked with people as the subject or "best" as the measure, it is still the venue or the year.
    d = answerer.ask("where do people publish most on metaphor?")
    assert d.query.get("op") == "top_venue" and d.value == "ACL" and "3 of 5" in d.text, d.text
    e = answerer.ask("what year was best for graph parsing papers")
    assert e.query.get("op") == "top_year" and e.value == "2024", e.text


def test_a_typo_in_a_topic_is_read_as_the_word_papers_use_and_said(tmp_path, model_cache):
    rows = [
        *_papers("Sarcasm Detection", 5, "Ann Lee", "Indian Institute of Technology Patna"),
        *_papers("Falcon Models", 6, "Bo Chen", "Indian Institute of Technology Bombay"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("any good papers on sarcsm detection?")
    assert "Read “sarcsm” as “sarcasm”." in a.notes and a.sources and "Sarcasm" in a.sources[0].title
    # A word of English is no typo, whether or not papers use it (its one-edit "falconly" shares
    # the stem of "falcon").
    b = answerer.ask("who works on falconry?")
    assert not b.people and not any("Read" in n for n in b.notes), b.text
    # An acronym and the word after it name one of the acronym's places.
    c = answerer.ask("IIT Patna folks working on sarcasm stuff?")
    assert c.query.get("institution") == "IIT Patna" and c.query.get("topic") == "sarcasm", c.query
    assert [p["name"] for p in c.people] == ["Ann Lee"]


def test_initials_and_a_surname_find_the_name_they_abbreviate(tmp_path, model_cache):
    rows = [
        {
            "title": "Word Sense Disambiguation at Scale",
            "author": "Roberto Navigli; Simone Conia",
            "aff": "Sapienza University of Rome; Sapienza University of Rome",
        },
        # Papers write "navigating", whose stem "navig" is also that of "Navigli".
        *(
            {
                "title": f"Navigating Graphs {i}",
                "author": "Eve Fox",
                "aff": "University Affiliation Not Specified",
            }
            for i in range(3)
        ),
        {"title": "Semantic Role Labeling for All", "author": "Roberto Navigli; Edoardo Barba; Simone Conia"},
        {"title": "Logic in Computer Science", "author": "Moshe Y. Vardi; Ann Lee"},
        {"title": "Automata and Logic", "author": "Moshe Vardi; Ann Lee"},
        {"title": "Graph Parsing", "author": "Hao Zhang; Bo Chen"},
        {"title": "Commonsense Graphs", "author": "Hongming Zhang; Cy Do"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("R. Navigli's collaborators?")
    assert {p["name"] for p in a.people} == {"Simone Conia", "Edoardo Barba"}, a.text
    # A surname alone, typed in lower case: papers write words of its stem, never the name itself.
    assert answerer.ask("navigli coauthors").query.get("people") == ["Roberto Navigli"]
    # "affiliation" asks where someone is; it is no place, though an affiliation printed it.
    d = answerer.ask("navigli affiliation?")
    assert "institution" not in d.query and "Sapienza" in d.text, d.text
    # A middle initial more or less abbreviates the same name.
    b = answerer.ask("papers by M. Y. Vardi")
    assert {s.title for s in b.sources} >= {"Logic in Computer Science"}, b.text
    assert "not in the records" not in b.text
    # Initials that fit several names are asked back, not guessed.
    c = answerer.ask("H. Zhang papers")
    assert "fits 2 researchers" in c.text and "Hao Zhang" in c.text and "Hongming Zhang" in c.text, c.text
    assert not c.sources


def test_a_paper_named_gets_all_its_authors_and_a_title_the_records_lack_is_said_missing(
    tmp_path, model_cache
):
    answerer = _venues_store(
        tmp_path,
        model_cache,
        {
            "acl2021": [
                {
                    "title": "OntoTune: Ontology-Driven Self-training for Language Models",
                    "abstract": "We tune models on ontologies.",
                    "author": "Ann Lee; Bo Chen; Cy Do; Di Eng",
                },
                *_papers("Attention Heads", 3, "Eve Fox"),
                *_papers("Emotion Recognition", 2, "Fay Gu"),
            ],
            "coling2025": _papers("Emotion Recognition", 2, "Gil Ho", tag="new"),
        },
    )
    for question in ("who wrote OntoTune", "who's behind OntoTune?", "authors of OntoTune?"):
        a = answerer.ask(question)
        assert a.query.get("op") == "paper_authors", (question, a.query)
        assert "Ann Lee, Bo Chen, Cy Do and Di Eng" in a.text, a.text
    # A title typed as one that no paper has is not answered with another paper's authors.
    b = answerer.ask("who wrote Attention Is All You Need?")
    assert b.text.startswith("No paper titled “Attention Is All You Need” is in the records"), b.text
    assert "Eve Fox" not in b.text
    # "recent work on X": the newest papers on it first.
    c = answerer.ask("any recent work on emotion recognition?")
    assert {s.title for s in c.sources[:2]} == {
        "Emotion Recognition study new0",
        "Emotion Recognition study new1",
    }
    assert c.text.startswith("The newest papers on emotion recognition"), c.text


def test_a_unit_papers_print_is_counted_where_printed_with_its_other_spellings(tmp_path, model_cache):
    rows = [
        {"title": "Quantization of BERT", "author": "Hong Jin", "aff": "Samsung"},
        {"title": "Quantization of GPT", "author": "Yi Shen", "aff": "Samsung Research"},
        {"title": "Quantized Speech", "author": "Cy Do", "aff": "Samsung AI Research"},
        {"title": "Quantized Vision", "author": "Di Eng", "aff": "Samsung Electronics"},
        {"title": "Quantized Graphs", "author": "Ed Fox", "aff": "Google"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who at Samsung Research works on quantization?")
    # A paper printing only "Samsung" may be from any part of it; "Samsung AI Research" is the same unit.
    assert {p["name"] for p in a.people} == {"Yi Shen", "Cy Do"}, a.text
    assert not any("print only" in n for n in a.notes), a.notes
    assert answerer.ask("how many papers from Samsung?").value == 4
    # What someone with a single paper works on: that paper.
    b = answerer.ask("what does Di Eng work on?")
    assert "Their paper in the records: “Quantized Vision”" in b.text, b.text


def test_a_lab_printed_after_its_organisation_is_found_and_ranked_with_it(tmp_path, model_cache):
    rows = [
        {
            "title": "Agents That Plan",
            "author": "Ann Lee; Bo Chen",
            "aff": "Google DeepMind; Google Research, Brain Team",
            "aff_unique_norm": "Google",
            "aff_unique_index": "0;0",
        },
        {
            "title": "Agents That Talk",
            "author": "Cy Do",
            "aff": "Google",
            "aff_unique_norm": "Google",
            "aff_unique_index": "0",
        },
        {
            "title": "Agents That Walk",
            "author": "Di Eng; Ed Fox",
            "aff": "MIT; MIT",
            "aff_unique_norm": "MIT",
            "aff_unique_index": "0;0",
        },
        {
            "title": "Agents That See",
            "author": "Fay Gu",
            "aff": "MIT",
            "aff_unique_norm": "MIT",
            "aff_unique_index": "0",
        },
        {
            "title": "Agents That Learn",
            "author": "Hal Iu; Ivy Ju",
            "aff": "Chinese Academy of Sciences; University of Chinese Academy of Sciences",
            "aff_unique_norm": "Chinese Academy of Sciences;University of Chinese Academy of Sciences",
            "aff_unique_index": "0;1",
        },
        {
            "title": "Agents That Chat",
            "author": "Gil Ho",
            "aff": "Pattern Recognition Center, WeChat AI, Tencent Inc, China",
            "aff_unique_norm": "Tencent Inc",
            "aff_unique_index": "0",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    assert {p["name"] for p in answerer.ask("who at Google DeepMind works on agents?").people} == {"Ann Lee"}
    # A unit printed before its organisation ("WeChat AI, Tencent Inc").
    assert {p["name"] for p in answerer.ask("who at WeChat AI works on agents?").people} == {"Gil Ho"}
    assert {p["name"] for p in answerer.ask("who at Google works on agents?").people} == {
        "Ann Lee",
        "Bo Chen",
        "Cy Do",
    }
    ranked = answerer.ask("which institutions publish most on agents?")
    # Google's two papers once, not again under its labs.
    assert ranked.text.startswith("Google and MIT have the most papers on agents"), ranked.text
    assert "DeepMind" not in ranked.text and "Google Research" not in ranked.text, ranked.text
    assert "Tencent Inc (1)" in ranked.text and "WeChat" not in ranked.text, ranked.text
    # A place whose name ends in another's is no unit of it.
    assert "University of Chinese Academy of Sciences (1)" in ranked.text, ranked.text
    profile = answerer.ask("who is Ann Lee?")
    assert "affiliated with Google DeepMind" in profile.text, profile.text


def test_typos_of_cue_words_and_rare_typos_papers_share_are_read_as_meant(tmp_path, model_cache):
    rows = [
        *_papers("Language Models", 100, "Ann Lee; Bo Chen"),
        # One paper has the typo itself: a word a paper or two use is still a typo of a far commoner one.
        {"title": "Sign Langauge Translation", "abstract": "Signs.", "author": "Cy Do; Di Eng"},
        {
            "title": "Sign Language Translation with Glosses",
            "abstract": "Glosses.",
            "author": "Cy Do; Di Eng",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who does ann lee usualy work with?")
    assert a.query.get("op") == "collaborators" and "topic" not in a.query, a.query
    assert [p["name"] for p in a.people] == ["Bo Chen"]
    b = answerer.ask("anyone working on sign langauge translation?")
    assert "Read “langauge” as “language”." in b.notes and {p["name"] for p in b.people} == {
        "Cy Do",
        "Di Eng",
    }


def test_places_people_say_for_short_and_words_that_are_no_names(tmp_path, model_cache):
    rows = [
        {
            "title": "Entity Linking at Scale",
            "author": "Greg Durr; Ann Lee",
            "aff": "University of Texas at Austin; University of Texas at Austin",
        },
        {"title": "Dialect Robustness", "author": "Di Yang", "aff": "Georgia Institute of Technology"},
        {"title": "Reasoning Traces", "author": "Phil Lipp", "aff": "Delft University of Technology"},
        {"title": "Inverse Design Networks", "author": "Gi Greco", "aff": "University of Calabria"},
        {"title": "Wildlife Photo Identification", "author": "Jo Wild", "aff": "Wild Me"},
        {"title": "Translating C to Safe Rust", "author": "Bo Chen", "aff": "MIT"},
        {"title": "Pixel Language Models", "author": "Phillip Rust", "aff": "University of Copenhagen"},
        {
            "title": "Neural Interferometry: Image Reconstruction",
            "abstract": "We present a neural method.",
            "author": "Cy Do",
        },
        *_papers("Neural Networks", 8, "Eve Fox"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who publishes the most at UT Austin")
    assert a.query.get("institution") == "UT Austin" and {p["name"] for p in a.people} == {
        "Greg Durr",
        "Ann Lee",
    }
    assert answerer.ask("how many papers from Georgia Tech?").value == 1
    assert answerer.ask("who at TU Delft works on reasoning?").people[0]["name"] == "Phil Lipp"
    # A name in its own language: "Università della Calabria" is the University of Calabria.
    d = answerer.ask("Università della Calabria — anybody working on inverse design?")
    assert [p["name"] for p in d.people] == ["Gi Greco"], d.text
    # Words such as "in the" are no part of a place's name ("in-the-wild" is not Wild Me).
    assert "institution" not in answerer.ask("papers on photos taken in-the-wild").query
    # An English word is no surname alone ("safe rust"), and capitalised subject words no unknown person.
    b = answerer.ask("is there a benchmark for translating C code into safe rust?")
    assert "people" not in b.query and b.sources[0].title == "Translating C to Safe Rust", b.text
    c = answerer.ask("What does the Neural Interferometry paper actually do? keep it simple")
    assert "people" not in c.query and c.sources[0].title.startswith("Neural Interferometry")
    # A named paper is given with the sentence that says what it does, not its first one.
    assert "“We present a neural method.”" in c.text, c.text


def test_initials_are_resolved_by_the_person_asked_about_with_them(tmp_path, model_cache):
    rows = [
        {"title": f"Fact Checking {i}", "author": "Timothy Baldwin; Preslav Nakov; Ann Lee"} for i in range(2)
    ]
    rows += [
        {"title": "Robot Arms", "author": "Tyler Baldwin; Bo Chen"},
        *({"title": f"Story Generation {i}", "author": "Nanyun Peng; Cy Do"} for i in range(4)),
        {"title": "Story Planning", "author": "Nanyun (Violet) Peng; Cy Do"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("shared coauthors between T. Baldwin and P. Nakov")
    assert [p["name"] for p in a.people] == ["Ann Lee"], a.text
    # A nickname in brackets is the same name abbreviated; "top coauthors" asks for people.
    b = answerer.ask("top coauthors of N. Peng")
    assert b.query.get("op") == "collaborators" and "Cy Do" in [p["name"] for p in b.people], b.text
    assert "fits" not in b.text


def test_joint_papers_under_another_spelling_of_a_name_are_added_as_likely_the_same_person(
    tmp_path, model_cache
):
    # An umlaut spelt out is a spelling resolution keeps apart; two shared coauthors make it likely one.
    rows = [
        *(
            {"title": f"Humor Study {i}", "author": "Asif Ekbal; Hinrich Schuetze; Sou Ghosh"}
            for i in range(2)
        ),
        *(
            {"title": f"Emotion Study {i}", "author": "Asif Ekbal; Hinrich Schütze; Sou Ghosh"}
            for i in range(3)
        ),
        # A middle name printed or left out, on shared evidence, resolution joins itself.
        *(
            {"title": f"Sarcasm Study {i}", "author": "Asif Ekbal; Gopendra Singh; Sou Ghosh"}
            for i in range(2)
        ),
        {"title": "Irony Study", "author": "Asif Ekbal; Gopendra Vikram Singh; Sou Ghosh"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("how many papers do Asif Ekbal and Hinrich Schuetze have together")
    assert a.value == 2, a.text
    assert "likely Hinrich Schuetze" in a.text and "5 in all if they are one person" in a.text, a.text
    assert {s.title for s in a.sources} == {f"Humor Study {i}" for i in range(2)} | {
        f"Emotion Study {i}" for i in range(3)
    }
    # A count of someone's papers names the other spelling too.
    b = answerer.ask("how many papers has Hinrich Schuetze written?")
    assert b.value == 2 and "Hinrich Schütze" in b.text and "likely the same person" in b.text, b.text
    # So do their coauthors and their papers.
    for question in ("who does Hinrich Schuetze work with?", "Hinrich Schuetze papers"):
        c = answerer.ask(question)
        assert "Hinrich Schütze" in c.text and "likely the same person" in c.text, c.text
    joined = answerer.ask("how many papers do Asif Ekbal and Gopendra Singh have together")
    assert joined.value == 3 and "likely" not in joined.text, joined.text


def test_a_name_with_a_nickname_in_brackets_at_the_same_place_is_likely_the_same_person(
    tmp_path, model_cache
):
    rows = [
        *(
            {"title": f"Story Generation {i}", "author": "Nanyun Peng; Cy Do", "aff": "UCLA; UCLA"}
            for i in range(3)
        ),
        {"title": "Creative Text Generation", "author": "Nanyun (Violet) Peng", "aff": "UCLA"},
        *({"title": f"Tagging {i}", "author": "Ann Lee; Bo Chen", "aff": "MIT; MIT"} for i in range(2)),
        {"title": "Parsing Alone", "author": "Ann (Annie) Lee", "aff": "Stanford University"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    # A nickname in brackets is no part of the name: at the same place, one person.
    a = answerer.ask("who is violet peng")
    assert a.profile is not None and a.profile["paper_count"] == 4, a.text
    # At another place, and with no coauthor in common, a nickname is no evidence.
    b = answerer.ask("who is Ann (Annie) Lee?")
    assert "likely the same person" not in b.text, b.text


def test_coauthors_are_listed_most_shared_first_with_the_years_asked_said(tmp_path, model_cache):
    def paper(title: str, authors: str, year: int) -> dict[str, object]:
        # One place for all, so the records show Ann Lee is one person.
        aff = "; ".join("Reef University" for _ in authors.split(";"))
        return {
            "title": title,
            "author": authors,
            "aff": aff,
            "abstract": "ML for reefs; ML again.",
            "year": year,
        }

    rows = [
        paper("Reef Maps", "Ann Lee; Bo Chen; Di Eng", 2023),
        paper("Reef Sounds", "Ann Lee; Bo Chen", 2022),
        paper("Reef Fish", "Ann Lee; Bo Chen", 2022),
        paper("Coral Colour", "Ann Lee; Cy Do", 2022),
        paper("Coral Shape", "Ann Lee; Cy Do", 2022),
        paper("Coral Growth", "Ann Lee; Cy Do", 2022),
        paper("Sea Grass", "Ann Lee; Di Eng", 2021),
        {"title": "Open Models", "author": "Zed Quinn", "aff": "ML Collective"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who does Ann Lee work with the most?")
    counts = [int(n) for n in re.findall(r"\((\d+)\)", a.text)]
    assert counts == sorted(counts, reverse=True) and len(counts) == 3, a.text
    assert "in 2022" in answerer.ask("who did Ann Lee work with in 2022?").text
    # A word papers use ("ML") names no place after "with" ("ML Collective").
    b = answerer.ask("who works on reef monitoring with ML here?")
    assert b.query.get("institution") is None, b.query


def test_a_lab_printed_as_labs_or_laboratories_is_one_place(tmp_path, model_cache):
    rows = [
        {"title": "Graph Forecasting", "author": "Ann Lee", "aff": "NEC Labs America"},
        {"title": "Temporal Graphs", "author": "Bo Chen", "aff": "NEC Laboratories Europe"},
        {"title": "Graph Tables", "author": "Cy Do", "aff": "NEC Laboratories America, Inc."},
        {"title": "Graph Sounds", "author": "Di Eng", "aff": "Acme Lab"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    for asked in ("papers from nec labs?", "papers from NEC Laboratories", "NEC Labs America papers"):
        a = answerer.ask(asked)
        expected = 2 if "America" in asked else 3
        assert len(a.sources) == expected and "Graph Sounds" not in [s.title for s in a.sources], (
            asked,
            a.text,
        )


def test_a_short_form_an_affiliation_declares_finds_the_papers_printing_only_the_long_name(
    tmp_path, model_cache
):
    rows = [
        {
            "title": "Sign Translation",
            "author": "Ann Lee",
            "aff": "Nara Institute of Science and Technology (NAIST), Japan",
        },
        {
            "title": "Speech Translation",
            "author": "Bo Chen",
            "aff": "Nara Institute of Science and Technology",
        },
        {"title": "Graph Tables", "author": "Cy Do", "aff": "National Institute of Standards and Technology"},
        # Not a short form of the lab before it, but of the university it belongs to.
        {"title": "Robot Arms", "author": "Di Eng", "aff": "Key Laboratory of Big Data (SCUT), China"},
        {"title": "Robot Legs", "author": "Ed Fox", "aff": "Key Laboratory of Big Data, Tianjin"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("papers from naist")
    assert sorted(s.title for s in a.sources) == ["Sign Translation", "Speech Translation"], a.text
    assert "2 paper(s) at NAIST" in answerer.ask("how many papers from NAIST?").text
    b = answerer.ask("papers from SCUT")
    assert [s.title for s in b.sources] == ["Robot Arms"], b.text


def test_words_papers_write_after_with_are_no_place_whose_name_ends_so(tmp_path, model_cache):
    rows = [
        *(
            {
                "title": f"Deep Learning for Fraud Detection {i}",
                "abstract": "Deep learning finds fraud.",
                "author": "Ann Lee",
            }
            for i in range(4)
        ),
        {"title": "Courses", "abstract": "We teach.", "author": "Zed Quinn", "aff": "Zero to Deep Learning"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on fraud detection with deep learning?")
    assert a.query.get("institution") is None and {p["name"] for p in a.people} == {"Ann Lee"}, a.query
    # Capitalised, or after "at", it is the place.
    assert answerer.ask("who works at zero to deep learning?").query.get("institution")


def test_the_most_cited_on_a_field_are_ranked_among_more_than_the_closest_few(tmp_path, model_cache):
    rows = [
        {
            "title": f"Knowledge Distillation for Tagging {i}",
            "abstract": "Knowledge distillation of taggers; knowledge distillation again.",
            "author": "Ann Lee",
            "gs_citation": 1,
        }
        for i in range(80)
    ]
    rows.append(
        {
            "title": "Comparing Losses in Knowledge Distillation",
            "abstract": "We compare divergence and squared error losses for students of large teacher "
            "networks across many settings, datasets, architectures and training schedules.",
            "author": "Bo Chen",
            "gs_citation": 272,
        }
    )
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("most cited knowledge distillation paper")
    assert a.sources[0].title == "Comparing Losses in Knowledge Distillation", a.text


def test_the_institutions_with_the_most_papers_on_a_topic(tmp_path, model_cache):
    rows = [
        *_papers("Speech Recognition", 3, "Ann Lee", "Carnegie Mellon University"),
        *_papers("Speech Synthesis", 2, "Bo Chen", "Google", tag="g"),
        {
            "title": "Speech Translation",
            "abstract": "Speech.",
            "author": "Cy Do; Di Eng",
            "aff": "Google; MIT",
        },
        *_papers("Graph Parsing", 5, "Eve Fox", "MIT", tag="p"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("which institution publishes the most on speech?")
    assert a.value == "Carnegie Mellon University / Google", a.text
    assert "3 of 6 each" in a.text and "MIT (1)" in a.text, a.text
    _assert_well_cited(a)
    assert answerer.ask("which institution has the most papers?").value == "MIT"


def test_a_paper_whose_affiliations_do_not_line_up_with_its_authors_still_counts_for_its_places(
    tmp_path, model_cache
):
    """Half of WWW 2024's rows list fewer affiliations than authors: no author is given one, but
    the paper was written at those places, and a re-ingest of the same rows changes nothing."""
    rows = [
        {
            "title": "Graph Ranking",
            "author": "Ann Lee; Bo Chen; Cy Do",
            "aff": "Alibaba Group; Zhejiang University",
        },
        {"title": "Query Logs", "author": "Di Eng", "aff": "Alibaba Group"},
        {"title": "Click Models", "author": "Eve Fox", "aff": "Zhejiang University"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("how many papers from Alibaba?")
    assert a.value == 2, a.text
    assert answerer.ask("which company has the most papers?").value == "Alibaba Group"
    bo = answerer.ask("who is Bo Chen?")
    assert "Alibaba" not in bo.text and "Zhejiang" not in bo.text, bo.text  # no place guessed for a person
    from scholarbot.ingest.pipeline import ingest_paths

    before = answerer.store.counts()
    report = ingest_paths([tmp_path / "acl2022.json"], answerer.store, answerer.embedder)
    assert answerer.store.counts() == before, report
    assert (report.papers_added, report.papers_updated, report.papers_unchanged) == (0, 0, 3), report


def test_a_word_as_chat_clips_it_is_read_as_the_word_papers_write(tmp_path, model_cache):
    rows = [
        *_papers("Spiking Neural Networks", 3, "Ann Lee; Dan Wu", tag="s"),
        *_papers("Graph Neural Networks", 30, "Bo Chen; Eve Fox", tag="g"),
        *_papers("Energy Nets", 1, "Cy Do", tag="n"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("experts on spiking neural nets??")
    assert {p["name"] for p in a.people} == {"Ann Lee", "Dan Wu"}, a.text
    assert any("“nets” as “networks”" in n for n in a.notes), a.notes


def test_which_university_or_company_ranks_only_places_of_that_kind(tmp_path, model_cache):
    """A ranking of universities leaves out companies though they have more papers, and of companies
    the universities; an acronym counts as the kind of the place the records spell with it; a paper
    printing one company under two spellings counts once."""
    rows = [
        *_papers("Speech Recognition", 4, "Ann Lee", "Google", tag="g"),
        *_papers("Speech Synthesis", 2, "Bo Chen", "University of Edinburgh", tag="e"),
        *_papers("Speech Tagging", 3, "Cy Do", "KAIST", tag="k"),
        {
            "title": "Korean Speech Corpora",
            "abstract": "Speech.",
            "author": "Di Eng",
            "aff": "Korea Advanced Institute of Science and Technology",
        },
        *_papers("Speech Enhancement", 3, "Eve Fox", "Allen Institute for AI", tag="a"),
        *_papers("Speech Enhancement", 1, "Eve Fox", "Allen Institute for Artificial Intelligence", tag="l"),
        *(
            {
                "title": f"Speech Retrieval {i}",
                "abstract": "Speech.",
                "author": "Fay Gu; Gil Ho",
                "aff": "Amazon; Amazon.com, Inc.",
            }
            for i in range(3)
        ),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    uni = answerer.ask("which university publishes the most on speech?")
    assert uni.value == "KAIST", uni.text
    assert "Of universities" in uni.text and "University of Edinburgh (2)" in uni.text, uni.text
    assert "Google" not in uni.text and "Allen" not in uni.text, uni.text
    firms = answerer.ask("top companies for speech")
    assert firms.value == "Google", firms.text
    assert "Amazon (3)" in firms.text, firms.text  # not 6: each paper prints it twice
    assert "KAIST" not in firms.text and "Allen" not in firms.text, firms.text
    # "AI" and "Artificial Intelligence" spell one place; typed in lower case, named as printed.
    allen = answerer.ask("how many papers from allen institute for ai?")
    assert allen.value == 4 and "Allen Institute for A" in allen.text, allen.text


def test_everyone_with_several_papers_on_a_field_is_named_though_they_share_them(tmp_path, model_cache):
    team = "Rob Nav; Edo Bar; Lui Pro; Tom Pas"
    rows = [
        *({"title": f"Word Sense Disambiguation Study {i}", "author": team} for i in range(3)),
        *(
            {"title": f"Word Sense Disambiguation Note {i}", "author": f"Solo Author{i}; Other Person{i}"}
            for i in range(4)
        ),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on word sense disambiguation?")
    names = [p["name"] for p in a.people]
    assert names[:4] and set(names[:4]) == {"Rob Nav", "Edo Bar", "Lui Pro", "Tom Pas"}, a.text


def test_a_word_is_also_searched_as_papers_hyphenate_or_join_it(tmp_path, model_cache):
    from scholarbot.answers.spelling import rehyphenated

    written = {"multi-modal", "cross-lingual", "learn-ing", "semisupervised"}
    used = {"multi", "modal", "cross", "lingual", "learn", "ing", "semisupervised", "multimodal"}

    def papers_using(word: str) -> int:
        return 5 if word in used else 0

    assert rehyphenated("multimodal sarcasm", papers_using, written.__contains__) == "multi-modal sarcasm"
    assert rehyphenated("semi-supervised crosslingual", papers_using, written.__contains__) == (
        "semisupervised cross-lingual"
    )
    # A hyphen that only breaks a word across a line ("learn-ing") makes no second form.
    assert rehyphenated("learning", papers_using, written.__contains__) == "learning"
    # End to end: papers that write "multi-modal" are on "multimodal" too.
    rows = [
        {"title": "Multimodal Humor", "author": "Ann Lee; Bo Chen"},
        {
            "title": "Multi-modal Irony",
            "abstract": "A multi-modal study.",
            "author": "Ann Lee; Bo Chen; Cy Do",
        },
        *_papers("Multi-modal Fusion", 3, "Di Eng; Fay Gu", tag="m"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who works on multimodal?")
    assert a.people[0]["name"] == "Di Eng" and "Ann Lee (2)" in a.text, a.text


def test_a_misspelt_name_in_lower_case_with_a_short_surname_is_read_as_the_name(tmp_path, model_cache):
    rows = [
        *({"title": f"Korean Grammar Study {i}", "author": "Sugyeong Eo; Chanjun Park"} for i in range(2)),
        *({"title": f"Chinese Spelling Study {i}", "author": "Tianchi Yue; Bo Chen"} for i in range(2)),
        # "eo" is also a token of text here.
        *(
            {"title": f"EO Satellite Images {i}", "abstract": "EO data; eo imagery.", "author": "Cy Do"}
            for i in range(30)
        ),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("sugyoeng eo coauthors plz")
    assert a.query.get("people") == ["Sugyeong Eo"] and [p["name"] for p in a.people] == ["Chanjun Park"], (
        a.text
    )
    # Two letters swapped in a short word are one slip ("yeu" for "yue").
    b = answerer.ask("tianchi yeu papers")
    assert b.query.get("people") == ["Tianchi Yue"], b.query


def test_a_link_or_doi_names_its_paper_and_one_the_records_lack_is_said_to_be_missing(tmp_path, model_cache):
    rows = [
        {
            "title": "Podcast Transcripts as a Corpus",
            "abstract": "We release spoken podcast transcripts.",
            "author": "Ann Clifton;Rosie Jones",
            "site": "https://aclanthology.org/2020.coling-main.519/",
            "pdf": "https://aclanthology.org/2020.coling-main.519.pdf",
        },
        {
            "title": "Voting Rules Explained",
            "abstract": "We justify election outcomes.",
            "author": "Ulle Endriss",
            "doi": "10.1609/aaai.v36i5.20414",
        },
        # Its id has the first one's as a prefix: a link to one never names the other.
        {
            "title": "Graph Neural Retrieval for Podcasts",
            "abstract": "We retrieve podcasts with graphs.",
            "author": "Bo Chen",
            "site": "https://aclanthology.org/2020.coling-main.5190/",
        },
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("who wrote https://aclanthology.org/2020.coling-main.519/")
    assert a.query["op"] == "paper_authors" and "Ann Clifton" in a.text
    assert [s.title for s in a.sources] == ["Podcast Transcripts as a Corpus"]
    b = answerer.ask("https://aclanthology.org/2020.coling-main.519.pdf")
    assert b.sources and b.sources[0].title == "Podcast Transcripts as a Corpus", b.text
    c = answerer.ask("what's https://doi.org/10.1609/aaai.v36i5.20414 about?")
    assert c.sources[0].title == "Voting Rules Explained", c.text
    d = answerer.ask("who wrote https://arxiv.org/abs/2106.09685")
    assert d.query == {"op": "help"} and not d.sources and "No paper in the records has" in d.text


def test_years_the_records_hold_nothing_of_are_said_with_what_they_hold(tmp_path, model_cache):
    rows = [*_papers("Sarcasm Detection", 2, "Ann Lee", "King's College London")]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    for question in ("papers from 1850", "who works on sarcasm in 2031?", "most cited papers of 2019"):
        a = answerer.ask(question)
        assert a.value == 0 and "ACL 2022" in a.text and not a.people, (question, a.text)
    # A possessive inside a place's name is part of it, typed with or without its apostrophe.
    for question in (
        "who at King's College London works on sarcasm?",
        "who at kings college london works on sarcasm",
    ):
        b = answerer.ask(question)
        assert b.query["institution"] == "King's College London"
        assert [p["name"] for p in b.people] == ["Ann Lee"]
    # A follow-up naming another place in lower case swaps the place.
    previous = Query(op="who_works_on", topic="sarcasm", institution="Stanford University")
    c = answerer.ask("what about kings college london?", previous=previous)
    assert c.query == {"op": "who_works_on", "topic": "sarcasm", "institution": "King's College London"}, (
        c.query
    )


def test_surnames_typed_loosely_and_names_in_their_own_script_name_people(tmp_path, model_cache):
    rows = [
        {
            "title": "Tables Pretrained",
            "abstract": "We pretrain on tables.",
            "author": "Mohit Iyyer;Ann Lee",
            "gs_citation": 200,
        },
        {
            "title": "Long Answers",
            "abstract": "We study long answers.",
            "author": "Mohit Iyyer;Ann Lee",
            "gs_citation": 9,
        },
        {"title": "Treebank Leaks", "abstract": "We parse treebanks.", "author": "Carlos Gómez-Rodríguez"},
        {
            "title": "Topic Coherence",
            "abstract": "We embed documents.",
            "author": "Dirk Hovy",
            "gs_citation": 384,
        },
        {
            "title": "Event Schemas",
            "abstract": "We induce schemas.",
            "author": "Eduard Hovy",
            "gs_citation": 50,
        },
        {"title": "Vision Experts", "abstract": "We mix visual experts.", "author": "江常皓;Bo Chen"},
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("m. iyyer most cited?")
    assert a.query["people"] == ["Mohit Iyyer"] and a.sources[0].title == "Tables Pretrained", a.text
    b = answerer.ask("gomez-rodriguez papers?")
    assert b.query["people"] == ["Carlos Gómez-Rodríguez"] and [s.title for s in b.sources] == [
        "Treebank Leaks"
    ]
    c = answerer.ask("hovy's most cited paper")
    assert any("names 2 people" in n and "Dirk Hovy" in n and "Eduard Hovy" in n for n in c.notes), c.notes
    d = answerer.ask("papers by 江常皓")
    assert d.query["people"] == ["江常皓"] and [s.title for s in d.sources] == ["Vision Experts"], d.text


def test_a_known_acronym_typed_in_lower_case_before_a_word_for_papers_names_its_place(tmp_path, model_cache):
    rows = [
        *_papers("Speech Recognition", 2, "Ann Lee", "Carnegie Mellon University"),
        *_papers("Speech Synthesis", 1, "Bo Chen", "Stanford University", tag="S"),
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("cmu papers on speech")
    assert a.query.get("institution") and a.query["topic"] == "speech", a.query
    assert {s.title for s in a.sources} == {"Speech Recognition study 0", "Speech Recognition study 1"}, (
        a.text
    )


def test_earliest_papers_name_the_first_year_and_when_someone_began_on_a_topic(tmp_path, model_cache):
    answerer = _venues_store(
        tmp_path,
        model_cache,
        {
            "acl2020": [
                {"title": "Reef Sounds", "author": "Ann Lee", "aff": "Reef Lab", "abstract": "Reef sounds."},
                {"title": "Coral Maps", "author": "Ann Lee", "aff": "Reef Lab", "abstract": "We map coral."},
            ],
            "acl2022": [
                {
                    "title": "Graph Parsing",
                    "author": "Ann Lee",
                    "aff": "Reef Lab",
                    "abstract": "We parse graphs.",
                }
            ],
            "acl2024": [
                {
                    "title": "Graph Parsing Again",
                    "author": "Ann Lee",
                    "aff": "Reef Lab",
                    "abstract": "Graphs again.",
                }
            ],
        },
    )
    first = answerer.ask("what was ann lee's first paper?")
    assert first.query == {"op": "papers_by", "people": ["Ann Lee"], "sort": "oldest"}, first.query
    assert first.text.startswith("Ann Lee's earliest papers (2020) in the records:"), first.text
    assert [s.title for s in first.sources][-1] == "Graph Parsing Again", first.text
    began = answerer.ask("when did Ann Lee start working on graph parsing?")
    assert began.text.startswith("Ann Lee's earliest paper on graph parsing"), began.text
    assert began.value == "Graph Parsing" and "(ACL 2022)" in began.text, began.text


def test_what_the_records_do_not_hold_is_said_before_the_nearest_answer(tmp_path, model_cache):
    rows = [
        {
            "title": f"Reef Sounds {i}",
            "author": "Ann Lee;Bo Chen",
            "aff": "Reef University;Reef University",
            "gs_citation": i,
            "abstract": "Reefs.",
        }
        for i in range(1, 4)
    ] + [{"title": "Email Spam Filters", "author": "Cy Do", "abstract": "We filter email spam."}]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    h = answerer.ask("what's ann lee's h-index?")
    assert h.text.startswith("The records hold no h-index") and h.query["sort"] == "citations", h.text
    assert [s.title for s in h.sources][:1] == ["Reef Sounds 3"]
    mail = answerer.ask("email for ann lee?")
    assert mail.text.startswith("The records hold no contact details") and mail.query["op"] == "profile"
    students = answerer.ask("who are ann lee's phd students")
    assert students.text.startswith("The records hold no record of who advises whom"), students.text
    assert students.query == {"op": "collaborators", "people": ["Ann Lee"]}, students.query
    rate = answerer.ask("what was the acceptance rate of acl 2022?")
    assert rate.text.startswith("The records hold no acceptance rates") and rate.value == 4, rate.text
    venue = answerer.ask("what did ann lee publish at emnlp?")
    assert venue.text.startswith("EMNLP is not among the venues in the records (ACL)"), venue.text
    assert len(venue.sources) == 3
    # The same words as a topic are searched as one.
    spam = answerer.ask("papers on email spam")
    assert "records hold no" not in spam.text and [s.title for s in spam.sources][:1] == [
        "Email Spam Filters"
    ]
    # A count of someone's papers adds up the citation counts the records hold.
    assert "cited 6 times in all" in answerer.ask("total citations of ann lee?").text
    # Jobs and headcounts: not held; the person's newest papers, the people who print the place.
    hiring = answerer.ask("is ann lee hiring phd students?")
    assert hiring.text.startswith("The records hold no jobs, hiring or internships"), hiring.text
    assert hiring.query["people"] == ["Ann Lee"] and hiring.query["sort"] == "date", hiring.query
    staff = answerer.ask("how many people work at reef university?")
    assert staff.text.startswith("The records hold no headcounts"), staff.text
    assert staff.query["op"] == "who_works_on", staff.query
    # Job postings as what papers are about are searched as a topic.
    assert "records hold no" not in answerer.ask("papers on job postings classification").text


def test_a_place_asked_with_its_short_form_beside_is_no_topic(tmp_path, model_cache):
    rows = [
        {
            "title": f"Speech Translation {i}",
            "author": f"Author {name}",
            "aff": "National Institute of Information and Communications Technology",
        }
        for i, name in enumerate(["Ann", "Bo"])
    ] + [{"title": "Other Work", "author": "Cy Do", "aff": "Acme Lab"}]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("top authors at NICT (national institute of information and communications technology)")
    assert a.query == {
        "op": "who_works_on",
        "institution": "National Institute of Information and Communications Technology",
    }, a.query
    assert sorted(p["name"] for p in a.people) == ["Author Ann", "Author Bo"], a.text


def test_places_venues_and_years_set_against_each_other_are_each_counted(tmp_path, model_cache):
    def reef(n: int, aff: str, tag: str) -> list[dict[str, str]]:
        return [
            {
                "title": f"Reef Monitoring {tag}{i}",
                "author": f"Ann {tag}{i}",
                "aff": aff,
                "abstract": "Reefs.",
            }
            for i in range(n)
        ]

    answerer = _venues_store(
        tmp_path,
        model_cache,
        {
            "acl2022": reef(3, "Reef University", "a") + reef(1, "Sea Institute", "b"),
            "naacl2024": reef(1, "Sea Institute", "c") + reef(1, "Zhejiang University", "d"),
            "acl2024": reef(1, "Zhejiang Lab", "e"),
        },
    )
    places = answerer.ask("reef university vs sea institute - which has more papers?")
    assert places.query["compare_by"] == "institution" and places.value == "Reef University", places.query
    assert places.text.startswith("More papers at Reef University than at Sea Institute"), places.text
    assert "Reef University: 3 paper(s)" in places.text and "Sea Institute: 2 paper(s)" in places.text
    venues = answerer.ask("are there more reef monitoring papers at acl or at naacl?")
    assert venues.value == "ACL" and "ACL: 5 paper(s)" in venues.text and "NAACL: 2" in venues.text, (
        venues.text
    )
    years = answerer.ask("were there more reef monitoring papers in 2022 or in 2024?")
    assert years.value == "2022" and "2024: 3 paper(s)" in years.text, years.text
    # A lab is not the university that shares its city's name.
    lab = answerer.ask("how many papers from Zhejiang Lab?")
    assert lab.value == 1, lab.text


def test_a_survey_on_the_field_opens_an_overview_of_it(tmp_path, model_cache):
    rows = [
        {"title": f"Reef Monitoring with Drones {i}", "author": f"Ann Lee{i}", "abstract": "Reef monitoring."}
        for i in range(4)
    ] + [
        {
            "title": "A Survey of Reef Monitoring",
            "author": "Bo Chen",
            "abstract": "We survey reef monitoring.",
        }
    ]
    answerer = answerer_over(tmp_path, model_cache, json.dumps(rows))
    a = answerer.ask("any survey on reef monitoring?")
    # It opens the answer and is its first source.
    assert a.text.startswith("A survey on reef monitoring: “A Survey of Reef Monitoring”"), a.text
    assert a.sources[0].title == "A Survey of Reef Monitoring"
    intro = answerer.ask("intro readings for reef monitoring")
    assert intro.query["topic"] == "reef monitoring", intro.query


def test_a_description_goes_on_in_the_sentences_beside_its_question(answerer):
    """A search by description reads the sentences beside its question that describe the paper
    too; a question of another kind keeps to its question."""
    title = "Replacing Parameters with Preferences"
    asked = "any paper on aligning vision-language models across clients?"
    beside = "federated, swapping the parameters clients share for their preferences"
    alone = answerer.ask(asked)
    both = answerer.ask(f"{asked} {beside}")
    assert both.query is not None and alone.query is not None
    grown = str(both.query["topic"])
    assert grown.startswith(str(alone.query["topic"])) and "preferences" in grown
    assert both.sources[0].title.startswith(title)
    other = answerer.ask(f"who works on federated learning? {beside}")
    assert other.query is not None and "preferences" not in str(other.query.get("topic"))
