"""The paper index on disk: memory-mapped arrays, id lookup, and the approximate (large-store) mode."""

from __future__ import annotations

import numpy as np
import pytest

from scholarbot.answers import Answerer
from scholarbot.search import index as search
from scholarbot.search.ann import Ann
from scholarbot.search.index import Column, PaperIndex, RowLookup, top_order
from scholarbot.services import Services


def test_top_order_is_a_stable_descending_sort_without_sorting_everything():
    rng = np.random.default_rng(1)
    for n, k in ((10, 3), (1000, 7), (5000, 40), (5000, 5000)):
        scores = rng.integers(0, 20, size=n).astype(np.float64)  # many ties, at the cut too
        assert top_order(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()
    scores = np.array([1.0, -np.inf, 3.0, 3.0, -np.inf])
    assert top_order(scores, 4).tolist() == [2, 3, 0, 1]


def test_row_lookup_finds_rows_and_skips_unknown_ids():
    ids = Column.of(["p_b", "p_a", "p_ccc", "p_ä"])
    rows = RowLookup.of(ids)
    assert rows.rows(["p_ccc", "nope", "p_a", "p_ä", "p_cccc-longer-than-any"]).tolist() == [2, 1, 3]
    assert rows.get("p_b") == 0 and rows["p_a"] == 1 and "p_ä" in rows
    assert rows.get("p_") is None and "p_" not in rows
    with pytest.raises(KeyError):
        rows["missing"]
    assert [ids[i] for i in range(len(ids))] == ["p_b", "p_a", "p_ccc", "p_ä"]
    assert RowLookup.of(Column.of([])).rows(["x"]).tolist() == []


def test_a_reopened_index_is_memory_mapped_and_answers_the_same(sample_services: Services, tmp_path):
    svc = sample_services
    built = PaperIndex.open(svc.store, svc.embedder, tmp_path)
    opened = PaperIndex.open(svc.store, svc.embedder, tmp_path)
    assert isinstance(opened.matrix, np.memmap) and isinstance(opened.ids.raw, np.memmap)
    assert not isinstance(built.matrix, np.memmap)
    for q in ("federated learning with large language models", "split learning privacy", "dialogue"):
        assert opened.search(q, k=5) == built.search(q, k=5)
    assert opened.dense_floor(deep=False) == built.dense_floor(deep=False)
    assert opened.venue_names == built.venue_names and opened.years.tolist() == built.years.tolist()


QUESTIONS = [
    "Who works on split learning?",
    "How many papers are about federated learning?",
    "papers on dialogue at ACL",
    "What do people here write about large language models?",
    "Who works on quantum error correction?",
]
#: Questions about one person's papers, judged paper by paper.
PERSON_QUESTIONS = [
    "Which papers by Hanlin Gu are about privacy?",
    "Who collaborates with Zheng Lin on split learning?",
    "Which papers by Hainan Zhang are about dialogue?",
]


def _static_only(answerer: Answerer) -> Answerer:
    # The sample is enriched: full-model vectors, scored exactly for every paper, would decide
    # everything. These tests are about the static vectors' approximate half.
    answerer.index.deep = answerer.index.deep_rows = None
    return answerer


def _answers(answerer: Answerer, questions: list[str]) -> list[dict[str, object]]:
    out = []
    for q in questions:
        data = answerer.ask(q).to_json()
        data.pop("took_ms", None)
        out.append(data)
    return out


def test_approximate_mode_answers_as_exact_mode_does(sample_services: Services, monkeypatch):
    """A store past the exact limit asks the HNSW graph for candidates; answers must not change.

    The sample is small, so the first ask is cut to one candidate: a topic with more related papers
    than that must widen the ask until the last candidate is unrelated.
    """
    svc = sample_services
    expected = _answers(_static_only(Answerer(svc)), QUESTIONS + PERSON_QUESTIONS)
    asked: list[int] = []
    ann_search = Ann.search
    monkeypatch.setattr(Ann, "search", lambda self, v, k: asked.append(k) or ann_search(self, v, k))
    monkeypatch.setattr(search, "ANN_CANDIDATES", 1)
    monkeypatch.setattr(search, "LEXICAL_CANDIDATES", 4)
    monkeypatch.setattr(svc.store.settings, "exact_search_limit", 0)
    approximate = _static_only(Answerer(svc))
    assert approximate.index.approximate
    assert _answers(approximate, QUESTIONS + PERSON_QUESTIONS) == expected
    assert 1 in asked and max(asked) > 1  # some topic needed a wider ask


def test_rows_a_caller_judges_get_exact_meaning_whatever_the_candidates(
    sample_services: Services, monkeypatch
):
    """With 4 candidates and no widening, the rows asked about still get their exact cosines."""
    svc = sample_services
    exact = PaperIndex.build(svc.store, svc.embedder)
    for name in ("ANN_CANDIDATES", "ANN_CANDIDATES_MAX", "LEXICAL_CANDIDATES"):
        monkeypatch.setattr(search, name, 4)
    monkeypatch.setattr(svc.store.settings, "exact_search_limit", 0)
    approximate = PaperIndex.build(svc.store, svc.embedder)
    for index in (exact, approximate):
        index.deep = index.deep_rows = None
    topic = "privacy of language model training"
    rows = np.arange(0, len(exact), 3)
    margin = approximate.related_margin(topic)
    assert (margin == -1.0).sum() >= len(exact) - 8  # only the candidates were scored
    np.testing.assert_allclose(
        approximate.related_margin(topic, rows)[rows], exact.related_margin(topic)[rows], rtol=1e-5
    )
    np.testing.assert_allclose(
        approximate.meaning_scores(topic, rows)[rows], exact.meaning_scores(topic)[rows], rtol=1e-4
    )


def _paperlist(path, rows):
    import json

    path.write_text(json.dumps([{"title": t, "abstract": a, "author": au} for t, a, au in rows]))
    return path


def test_a_changed_store_patches_the_saved_index_to_what_a_full_build_gives(
    hash_store, tmp_path, monkeypatch
):
    from scholarbot.ingest.pipeline import ingest_paths

    store, embedder = hash_store
    first = [
        ("Graph neural networks for molecules", "We learn molecular graphs with message passing.", "Ann Lee"),
        ("Speech recognition in noisy rooms", "Robust acoustic models for far-field speech.", "Bo Chen"),
        ("Federated learning with language models", "Clients fine-tune a shared model privately.", "Ann Lee"),
    ]
    # Past the exact limit, so the approximate index is saved and patched too.
    monkeypatch.setattr(store.settings, "exact_search_limit", 0)
    ingest_paths([_paperlist(tmp_path / "naacl2021.json", first)], store, embedder)
    cache = tmp_path / "index"
    before = PaperIndex.open(store, embedder, cache)  # the saved index that later opens patch
    before = PaperIndex.open(store, embedder, cache)  # ... as a process that opened it reads it
    records_before = store.get_papers(list(before.ids))
    changed = [
        first[0],
        first[1],
        (first[2][0], "Now about tokamak plasma control instead, with magnetic coils.", "Ann Lee"),
    ]
    ingest_paths([_paperlist(tmp_path / "naacl2021.json", changed)], store, embedder)
    more = [
        ("Tokamak plasma shape control with reinforcement learning", "Magnetic coils steer plasma.", "Cy Do")
    ]
    ingest_paths([_paperlist(tmp_path / "acl2022.json", more)], store, embedder)

    def no_build(*_: object) -> None:
        raise AssertionError("a full build; the saved index should have been patched")

    with monkeypatch.context() as m:
        m.setattr(PaperIndex, "build", classmethod(no_build))
        patched = PaperIndex.open(store, embedder, cache)
    full = PaperIndex.build(store, embedder)
    assert sorted(patched.ids) == sorted(full.ids) and len(patched) == 4
    for q in ("tokamak plasma", "federated language models", "speech", "graph molecules"):
        assert [h.id for h in patched.search(q, k=4)] == [h.id for h in full.search(q, k=4)]
        lex_p, lex_f = patched.lexical_scores(q), full.lexical_scores(q)
        for pid in full.ids:
            assert lex_p[patched.row[pid]] == pytest.approx(lex_f[full.row[pid]])
    for pid in full.ids:
        a, b = patched.row[pid], full.row[pid]
        assert patched.years[a] == full.years[b]
        assert patched.venue_names[patched.venue_codes[a]] == full.venue_names[full.venue_codes[b]]
        np.testing.assert_allclose(patched.matrix[a], full.matrix[b])
    reopened = PaperIndex.open(store, embedder, cache)  # the patched index was saved for this generation
    assert isinstance(reopened.matrix, np.memmap) and len(reopened) == 4
    # Records come from the index's own files, patched: the changed abstract and the new paper.
    assert (
        reopened.papers(list(full.ids)) == patched.papers(list(full.ids)) == store.get_papers(list(full.ids))
    )
    assert reopened.papers(["not-a-paper"]) == {}
    # The approximate index was patched, not rebuilt: it holds every row, the new one included.
    assert patched.approximate and reopened.approximate and len(reopened.ann or []) == 4
    vector = reopened.embed("tokamak plasma shape control")
    assert [reopened.ids[int(r)] for r in reopened.ann.search(vector, 1)[0]] == [
        full.ids[int(r)] for r in full.ann.search(vector, 1)[0]
    ]
    # A process still on the first generation reads that generation's records, not the patch's.
    assert before.papers(list(records_before)) == records_before
    assert before.papers(list(records_before)) != store.get_papers(list(records_before))


def test_papers_printing_an_affiliation_follow_patches_and_older_caches(hash_store, tmp_path, monkeypatch):
    """A place's papers are those that print it beside an author, found from postings that a patch
    keeps current and that an index saved before them gets made from its records."""
    import json

    from scholarbot.ingest.pipeline import ingest_paths
    from scholarbot.search.affiliation_rows import KEYS_FILE, ROWS_FILE

    store, embedder = hash_store

    def write(rows: list[tuple[str, str, str]]) -> None:
        data = [
            {"title": t, "abstract": f"About {t.lower()}.", "author": au, "aff": af} for t, au, af in rows
        ]
        (tmp_path / "acl2023.json").write_text(json.dumps(data))
        ingest_paths([tmp_path / "acl2023.json"], store, embedder)

    rows = [
        ("Parsing with graphs", "Ann Lee", "Beihang University"),
        ("Speech in noise", "Bo Chen; Ann Lee", "Peking University; Beihang University"),
        ("A Beihang University survey of tagging", "Cy Do", "MIT"),
    ]
    write(rows)
    cache = tmp_path / "index"
    index = PaperIndex.open(store, embedder, cache)

    def titles(ix: PaperIndex, *places: str) -> set[str]:
        found = ix.papers([ix.ids[int(r)] for r in ix.rows_printing(list(places))])
        return {p.title for p in found.values()}

    assert titles(index, "Beihang University") == {"Parsing with graphs", "Speech in noise"}
    assert titles(index, "Peking University", "MIT") == {
        "Speech in noise",
        "A Beihang University survey of tagging",
    }
    assert titles(index, "Beihang") == set()  # as printed, whole
    assert {index.ids[int(r)] for r in index.rows_printing_none()} == set()

    write([*rows, ("Tagging tweets", "Dee Fu", "Beihang University"), ("Untold places", "Eve Ho", "")])

    def no_build(*_: object) -> None:
        raise AssertionError("a full build; the saved index should have been patched")

    with monkeypatch.context() as m:
        m.setattr(PaperIndex, "build", classmethod(no_build))
        patched = PaperIndex.open(store, embedder, cache)
    beihang = {"Parsing with graphs", "Speech in noise", "Tagging tweets"}
    assert titles(patched, "Beihang University") == beihang
    unplaced = patched.papers([patched.ids[int(r)] for r in patched.rows_printing_none()])
    assert [p.title for p in unplaced.values()] == ["Untold places"]
    full = PaperIndex.build(store, embedder)
    for place in ("Beihang University", "Peking University", "MIT"):
        assert titles(patched, place) == titles(full, place)

    # A cache saved before the postings existed: made from its records, and saved for the next process.
    for name in (KEYS_FILE, ROWS_FILE):
        (cache / "papers" / name).unlink()
    older = PaperIndex.open(store, embedder, cache)
    assert titles(older, "Beihang University") == beihang
    assert (cache / "papers" / KEYS_FILE).exists() and (cache / "papers" / ROWS_FILE).exists()


def test_affiliation_postings_replace_a_changed_papers_places():
    from scholarbot.search.affiliation_rows import AffiliationRows

    postings = AffiliationRows.of([["Beihang University"], ["MIT", "Beihang University"], []])
    assert postings.rows_printing(["Beihang University"]).tolist() == [0, 1]
    assert postings.rows_printing_none(3).tolist() == [2]
    changed = postings.patched({0: ["Tsinghua University"], 3: ["Beihang University", "Beihang University"]})
    assert changed.rows_printing(["Beihang University"]).tolist() == [1, 3]
    assert changed.rows_printing(["Tsinghua University", "MIT"]).tolist() == [0, 1]
    assert changed.rows_printing(["Nowhere"]).tolist() == [] and changed.rows_printing_none(4).tolist() == [2]


def test_many_patches_keep_records_right_and_their_files_few(hash_store, tmp_path, monkeypatch):
    """Each patch adds a segment of records; past the limit a patch copies the live ones into one."""
    from scholarbot.ingest.pipeline import ingest_paths
    from scholarbot.search import paper_records

    store, embedder = hash_store
    monkeypatch.setattr(paper_records, "MAX_SEGMENTS", 3)
    cache = tmp_path / "index"
    opened: list[tuple[PaperIndex, dict[str, object]]] = []
    counts = []
    for i in range(6):
        # Each version's abstracts are longer, so the ingest keeps them (the longer abstract wins).
        rows = [
            (f"Paper {j} on topic {j}", f"Abstract {'v' * i} of paper {j}.", "Ann Lee") for j in range(i + 2)
        ]
        ingest_paths([_paperlist(tmp_path / "acl2023.json", rows)], store, embedder)
        index = PaperIndex.open(store, embedder, cache)
        ids = list(index.ids)
        assert index.papers(ids) == store.get_papers(ids)
        assert index.records is not None
        counts.append(index.records.segments)
        opened.append((index, dict(index.papers(ids))))
    assert max(counts) == 3 and 1 in counts[1:], counts  # compacted at least once
    assert len(list((cache / "papers").glob("records-*.bin"))) == counts[-1]
    for index, seen in opened:  # every generation still reads its own records
        assert index.papers(list(seen)) == seen


class _Untouchable:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"answering read Chroma's paper collection ({name})")


@pytest.mark.parametrize("limit", [0, 10**9], ids=["approximate", "exact"])
def test_answering_reads_no_paper_from_chroma(sample_services: Services, monkeypatch, limit):
    """Chroma loads a collection's whole vector index on its first read of any kind (seconds and
    hundreds of MB at scale), so questions are answered from the index's own files only."""
    svc = sample_services
    monkeypatch.setattr(svc.store.settings, "exact_search_limit", limit)
    expected = _answers(Answerer(svc), QUESTIONS + PERSON_QUESTIONS)
    answerer = Answerer(svc)
    answerer.warm()
    monkeypatch.setattr(svc.store, "papers", _Untouchable())
    got = _answers(answerer, QUESTIONS + PERSON_QUESTIONS)
    assert got == expected
    assert any(a["sources"] for a in got)
    first = got[0]["sources"][0]["id"]
    assert answerer.paper(first) is not None and answerer.similar(first).sources


def test_an_answerer_has_a_large_stale_index_patched_by_a_child_process(
    tmp_path, model_cache, monkeypatch, caplog
):
    """The answerer maps what a child built or patched; when no child can, it patches the index itself."""
    from scholarbot.ingest.pipeline import ingest_paths

    from conftest import sample_store

    svc = sample_store(tmp_path / "store", model_cache)
    monkeypatch.setattr(search, "REFRESH_ELSEWHERE_ROWS", 1)  # the sample is small; a large store's rule

    def here(*_: object) -> None:
        raise AssertionError("the answering process patched or built the index")

    with monkeypatch.context() as m:
        m.setattr(PaperIndex, "_update", classmethod(here))
        m.setattr(PaperIndex, "build", classmethod(here))
        Answerer(svc).warm()  # no cache yet: the store is counted, and a child builds it
    assert search.saved_rows(svc.index_dir) == svc.store.count("papers")
    tokamak = ("Tokamak plasma shape control by reinforcement learning", "Coils steer plasma.", "Cy Do")
    (tmp_path / "new").mkdir()
    ingest_paths([_paperlist(tmp_path / "new" / "acl2023.json", [tokamak])], svc.store, svc.embedder)

    with monkeypatch.context() as m:
        m.setattr(PaperIndex, "_update", classmethod(here))
        m.setattr(PaperIndex, "build", classmethod(here))
        answer = Answerer(svc).ask("papers on tokamak plasma shape control")
    assert answer.sources and answer.sources[0].title == tokamak[0]

    stellarator = ("Stellarator coil design by gradient descent", "Coils shaped to confine plasma.", "Di Eu")
    ingest_paths([_paperlist(tmp_path / "new" / "acl2024.json", [stellarator])], svc.store, svc.embedder)

    def no_child() -> None:
        raise RuntimeError("cannot start a process here")

    monkeypatch.setattr(svc, "refresh_paper_index", no_child)
    answer = Answerer(svc).ask("papers on stellarator coil design")
    assert answer.sources and answer.sources[0].title == stellarator[0]
    assert "cannot start a process here" in caplog.text
