"""Papers narrowed by how they were presented (tracks, categories, awards), by where a person stands
among their authors, and by who is left out; coauthors narrowed to a place, and the places a
person's coauthors were at. End to end over real stores in temp dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scholarbot.answers import Answerer
from scholarbot.answers.labels import find_labels
from scholarbot.answers.linking import tokenize
from scholarbot.config import Settings, StoreSettings
from scholarbot.ingest.importers import read_file
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.services import open_services

GOOGLE, MIT, OXFORD = "Google Research", "Massachusetts Institute of Technology", "University of Oxford"


def _row(title: str, authors: str, affs: str, status: str = "Long", **extra: object) -> dict[str, object]:
    return {
        "title": title,
        "author": authors,
        "aff": affs,
        "status": status,
        "track": "main",
        "abstract": f"We study {title.lower()}.",
        **extra,
    }


ROWS = [
    _row("Graph Parsing for Dialogue", "Ada Quill; Ben Rook", f"{MIT}; {MIT}"),
    _row("Dialogue Parsing at Scale", "Ben Rook; Ada Quill", f"{GOOGLE}; {MIT}", status="Findings"),
    _row("Robust Summarization of Meetings", "Cara Vale; Ada Quill", f"{GOOGLE}; {MIT}", status="Findings"),
    _row(
        "Summarization Toolkit Demo",
        "Ada Quill; Dan Pike; Eli Moss",
        f"{MIT}; {OXFORD}; {OXFORD}",
        "Industry",
    ),
    _row("A Lone Theory of Parsing", "Ada Quill", MIT, award=True),
    _row("Neural Parsing Without Trees", "Fay Lund; Ada Quill", f"{OXFORD}; {MIT}", status="Short"),
    _row("Parsing Morphology Jointly", "Gus Hale; Ben Rook", f"{OXFORD}; {GOOGLE}", award=False),
]


def _answerer(tmp_path: Path, model_cache: Path, files: dict[str, list[dict[str, object]]]) -> Answerer:
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    paths = []
    for name, rows in files.items():
        path = tmp_path / name
        path.write_text(json.dumps(rows))
        paths.append(path)
    ingest_paths(paths, svc.store, svc.embedder)
    return Answerer(svc)


@pytest.fixture
def answerer(tmp_path: Path, model_cache: Path) -> Answerer:
    return _answerer(tmp_path, model_cache, {"acl2022.json": ROWS})


def _titles(answer) -> set[str]:
    return {s.title for s in answer.sources}


def test_an_award_flag_is_imported_as_a_label(tmp_path: Path):
    path = tmp_path / "acl2022.json"
    path.write_text(json.dumps(ROWS))
    papers = {p.title: p for p in read_file(path).papers}
    assert papers["A Lone Theory of Parsing"].labels == ("status:Long", "award")
    assert papers["Parsing Morphology Jointly"].labels == ("status:Long",)  # award: false is none
    assert "track:main" not in papers["Graph Parsing for Dialogue"].labels  # every paper's track


def test_papers_are_narrowed_to_the_category_or_track_asked(answerer: Answerer):
    a = answerer.ask("findings papers by Ada Quill")
    assert _titles(a) == {"Dialogue Parsing at Scale", "Robust Summarization of Meetings"}, a.text
    assert "(Findings)" in a.text
    b = answerer.ask("industry track papers at ACL 2022")
    assert _titles(b) == {"Summarization Toolkit Demo"}, b.text
    c = answerer.ask("papers in Findings about summarization")
    assert c.sources[0].title == "Robust Summarization of Meetings", c.text
    assert "Summarization Toolkit Demo" not in c.text


def test_award_papers_are_listed_and_an_ordinary_word_is_no_label(answerer: Answerer):
    a = answerer.ask("which ACL 2022 papers won an award?")
    assert _titles(a) == {"A Lone Theory of Parsing"}, a.text
    assert "with an award" in a.text
    # "findings" as an ordinary word, "survey" as a kind of paper: topics, not labels.
    assert not answerer.ask("what are the main findings on parsing?").query.get("labels")
    assert not answerer.ask("survey papers on parsing").query.get("labels")


def test_a_label_the_records_lack_is_said_before_the_nearest_answer(answerer: Answerer):
    a = answerer.ask("oral papers on parsing at ACL 2022")
    assert a.text.startswith("The records mark no papers at ACL in 2022 as “Oral”"), a.text
    assert "Findings" in a.text.split(".")[0]  # the labels they do hold there
    assert "Graph Parsing for Dialogue" in a.text  # then papers on parsing, unfiltered
    b = answerer.ask("any spotlight papers on summarization?")
    assert b.text.startswith("The records mark no papers as “Spotlight”"), b.text


def test_a_persons_papers_by_their_place_among_the_authors(answerer: Answerer):
    first = answerer.ask("Ada Quill's first-author papers")
    assert _titles(first) == {
        "Graph Parsing for Dialogue",
        "Summarization Toolkit Demo",
        "A Lone Theory of Parsing",
    }, first.text
    assert "as first author" in first.text
    last = answerer.ask("papers where Ada Quill is the last author")
    assert _titles(last) == {
        "Dialogue Parsing at Scale",
        "Robust Summarization of Meetings",
        "A Lone Theory of Parsing",
        "Neural Parsing Without Trees",
    }, last.text
    solo = answerer.ask("has Ada Quill written any solo-authored papers?")
    assert _titles(solo) == {"A Lone Theory of Parsing"}, solo.text
    everyone = answerer.ask("single-author papers at ACL 2022")
    assert _titles(everyone) == {"A Lone Theory of Parsing"}, everyone.text
    assert answerer.ask("did Ada Quill write anything solo?").query.get("role") == "solo"
    assert answerer.ask("did Ada Quill publish on her own?").query.get("role") == "solo"
    # Of what a paper is about, not of its authors.
    for described in (
        "a system that follows the solo player's tempo and loudness",
        "do assistants do worse on spatial tasks than a probe on their own picture backbone?",
    ):
        assert "role" not in answerer.ask(described).query, described


def test_a_person_left_out_drops_their_joint_papers_or_their_name(answerer: Answerer):
    a = answerer.ask("Ada Quill's papers without Ben Rook")
    assert "Ben Rook" not in {p["name"] for p in a.people}
    assert _titles(a) == {
        "Robust Summarization of Meetings",
        "Summarization Toolkit Demo",
        "A Lone Theory of Parsing",
        "Neural Parsing Without Trees",
    }, a.text
    assert "without Ben Rook" in a.text
    b = answerer.ask("who does Ada Quill work with besides Ben Rook?")
    names = {p["name"] for p in b.people}
    assert "Ben Rook" not in names and {"Cara Vale", "Fay Lund"} <= names, b.text
    c = answerer.ask("who else besides Ada Quill works on parsing?")
    names = {p["name"] for p in c.people}
    assert "Ada Quill" not in names and "Ben Rook" in names, c.text


def test_coauthors_from_a_place_are_those_the_shared_paper_prints_there(answerer: Answerer):
    a = answerer.ask("has Ada Quill coauthored with anyone from Google?")
    assert {p["name"] for p in a.people} == {"Ben Rook", "Cara Vale"}, a.text
    b = answerer.ask("has Fay Lund coauthored with anyone from Google?")
    assert b.text.startswith("No: none of Fay Lund's coauthors at Google"), b.text
    assert "no coauthors listed" not in b.text


def test_the_places_a_persons_coauthors_were_at(answerer: Answerer):
    a = answerer.ask("which institutions does Ada Quill collaborate with most?")
    assert a.intent == "top_institution"
    # Oxford: two papers (three coauthors); Google two; MIT once (Ben Rook on the first paper) —
    # her own MIT on every paper is not her partners'.
    assert a.text.index(OXFORD) < a.text.index(MIT), a.text
    assert f"{GOOGLE} (2)" in a.text and f"{OXFORD} (2)" in a.text and f"{MIT} (1)" in a.text


def test_labels_of_papers_a_later_ingest_adds_are_found(tmp_path: Path, model_cache: Path):
    answerer = _answerer(tmp_path, model_cache, {"acl2022.json": ROWS})
    assert answerer.ask("industry track papers at ACL 2022").sources
    late = tmp_path / "naacl2024.json"
    late.write_text(json.dumps([_row("Sales Call Summaries", "Hal Yew", GOOGLE, "System Demonstrations")]))
    ingest_paths([late], answerer.store, answerer.embedder)
    a = answerer.ask("demo papers at NAACL 2024")
    assert _titles(a) == {"Sales Call Summaries"}, a.text


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("findings papers by X", ["status:Findings"]),
        ("papers in the Findings of ACL", ["status:Findings"]),
        ("Findings of ACL 2022", ["status:Findings"]),
        ("find papers on parsing", []),
        ("key findings on parsing", []),
        ("the industry track at NAACL", ["status:Industry"]),
        ("industry adoption of parsers", []),
        ("demo papers", ["status:System Demonstrations", "track:Demo Track"]),
        ("survey papers on parsing", []),
        ("what are the main papers on parsing", []),
        ("survey track papers", ["track:Survey Track"]),
        ("doctoral consortium papers", ["track:Doctoral Consortium"]),
        ("best paper award winners", ["award"]),
        ("spotlight papers", ["status:Spotlight"]),
    ],
)
def test_labels_are_named_by_their_words_and_said_as_labels(question: str, said: list[str]):
    held = [
        "status:Main",
        "status:Findings",
        "status:Industry",
        "status:System Demonstrations",
        "track:Demo Track",
        "track:Survey Track",
        "track:Doctoral Consortium",
        "award",
    ]
    words = [(t.text, t.start, t.end) for t in tokenize(question)]
    found = find_labels(question, words, held, lambda i: words[i][0] in {"ACL", "NAACL"})
    assert sorted({x for span in found for x in span.labels}) == sorted(said)


def test_a_persons_papers_while_at_a_place_are_those_printing_it_for_them(answerer: Answerer):
    a = answerer.ask("Ben Rook's papers while at Google")
    assert _titles(a) == {"Dialogue Parsing at Scale", "Parsing Morphology Jointly"}, a.text
    assert "while at Google" in a.text
    b = answerer.ask("how many papers did Ben Rook publish at MIT?")
    assert b.value == 1, b.text
