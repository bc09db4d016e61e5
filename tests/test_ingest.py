"""Ingest through the public pipeline into a real embedded Chroma store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from scholarbot.config import StoreSettings
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.records import Author, Paper, merge_by_id, name_key, paper_id_for
from scholarbot.store.store import PEOPLE_STALE, Store

from conftest import SEEDS
from fakes import HashChromaEF, HashEmbedder

MOR = "Replacing Parameters with Preferences: Federated Alignment of Heterogeneous Vision-Language Models"


def _small_corpus(corpus: Path, tmp_path: Path, n: int = 60) -> Path:
    """A real paperlists file cut to n entries, named like the real ones (venue+year)."""
    rows = json.loads((corpus / "coling" / "coling2025.json").read_text())
    fedmkt = [r for r in rows if r["title"].startswith("FedMKT")]
    out = tmp_path / "in" / "coling2025.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows[:n] + fedmkt))
    return out


def _snapshot(store: Store) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    papers = {p.id: p.title for p in store.iter_papers()}
    people = {r.id: r.paper_ids for r in store.iter_researchers()}
    return papers, people


def test_merge_by_id_merges_records_of_one_id_in_order_of_first_appearance() -> None:
    a_v1 = Paper(
        id="a", title="A", authors=(Author("Ann Lee"),), authors_complete=False, venue="arXiv",
        versions=("2401.00001v1",), sources=("arxiv",),
    )  # fmt: skip
    b = Paper(id="b", title="B", sources=("openalex",))
    a_v2 = Paper(
        id="a", title="A", abstract="We study A.", authors=(Author("Ann Lee"), Author("Bo Chen")),
        venue="ACL", versions=("2401.00001v2",), external_ids={"doi": "10.1/a"}, sources=("openalex",),
    )  # fmt: skip
    merged = merge_by_id([a_v1, b, a_v2])
    assert list(merged) == ["a", "b"]  # one record per id, ids in the order they first appeared
    a = merged["a"]
    assert a.abstract == "We study A." and a.venue == "ACL" and a.external_ids == {"doi": "10.1/a"}
    assert [x.name for x in a.authors] == ["Ann Lee", "Bo Chen"] and a.authors_complete
    assert a.versions == ("2401.00001v1", "2401.00001v2") and a.sources == ("arxiv", "openalex")
    assert merged["b"] is b
    assert merge_by_id([]) == {}


def test_seeds_and_corpus_ingest_merges_one_paper_from_three_places(hash_store, tmp_path, corpus):
    store, emb = hash_store
    report = ingest_paths([SEEDS, _small_corpus(corpus, tmp_path)], store, emb)
    assert not report.files_skipped
    assert report.profiles == 4
    mor = store.get_papers([paper_id_for(MOR)])[paper_id_for(MOR)]
    # Two arXiv versions on one page and a third listing on another page: one record.
    assert len(mor.versions) == 2
    assert {s.split(":")[1] for s in mor.sources} == {"bzpeer-profile", "pubs-list"}
    assert {a.name for a in mor.authors} >= {"Hainan Zhang", "Zhiming Zheng", "Xiaoshan Yang"}
    assert mor.authors_omitted == 2 and not mor.authors_complete
    fedmkt_id = paper_id_for(
        "FedMKT: Federated Mutual Knowledge Transfer for Large and Small Language Models"
    )
    fedmkt = store.get_papers([fedmkt_id])[fedmkt_id]
    # The corpus copy brings affiliations, the seed page brings the code link: both are kept.
    assert any(a.affiliations for a in fedmkt.authors)
    assert fedmkt.code_urls and any(s.startswith("paperlists:") for s in fedmkt.sources)
    assert store.get_flag(PEOPLE_STALE) is False


def test_second_ingest_of_same_files_changes_nothing(hash_store, tmp_path, corpus):
    store, emb = hash_store
    paths = [SEEDS, _small_corpus(corpus, tmp_path)]
    first = ingest_paths(paths, store, emb)
    before = _snapshot(store)
    generation = store.generation()
    again = ingest_paths(paths, store, emb)
    assert store.generation() == generation  # nothing written, so search caches stay valid
    assert again.papers_added == again.papers_updated == 0
    assert again.papers_unchanged == first.papers_added
    assert again.researchers_changed == again.researchers_removed == 0
    assert _snapshot(store) == before


class _CrashingEmbedder(HashEmbedder):
    """Dies on the n-th embedding call, as a killed process would mid-ingest."""

    def __init__(self, crash_on_call: int) -> None:
        self.calls = 0
        self.crash_on_call = crash_on_call

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.crash_on_call:
            raise KeyboardInterrupt("simulated crash")
        return super().embed_documents(texts)


def test_interrupted_ingest_leaves_usable_store_and_rerun_completes(tmp_path, corpus):
    small = _small_corpus(corpus, tmp_path, n=450)
    clean_store = Store(StoreSettings(path=tmp_path / "clean", batch_size=100), HashChromaEF())
    ingest_paths([SEEDS, small], clean_store, HashEmbedder())

    settings = StoreSettings(path=tmp_path / "crashy", batch_size=100)
    store = Store(settings, HashChromaEF())
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([SEEDS, small], store, _CrashingEmbedder(crash_on_call=3))

    reopened = Store(settings, HashChromaEF())
    partial = reopened.counts()["papers"]
    assert 0 < partial < clean_store.counts()["papers"]
    assert reopened.get_flag(PEOPLE_STALE) is True
    assert next(reopened.iter_papers()).title  # readable

    rerun = ingest_paths([SEEDS, small], reopened, HashEmbedder())
    assert rerun.papers_unchanged == partial
    assert _snapshot(reopened) == _snapshot(clean_store)
    assert reopened.get_flag(PEOPLE_STALE) is False


def test_bad_files_are_reported_and_the_rest_still_imports(hash_store, tmp_path):
    store, emb = hash_store
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEEDS / "002_9ae034b0383cefe3.txt", folder / "gu.txt")
    (folder / "broken.json").write_text('[{"title": "A", "author": "X"')  # cut off mid-file
    (folder / "notes.txt").write_text("Shopping list: eggs, milk, a new keyboard.\n")
    (folder / "empty.txt").write_text("")
    report = ingest_paths([folder], store, emb)
    skipped = dict(report.files_skipped)
    assert set(skipped) == {str(folder / n) for n in ("broken.json", "notes.txt", "empty.txt")}
    assert "paperlists-json" in skipped[str(folder / "broken.json")]
    assert "Known formats" in skipped[str(folder / "notes.txt")]
    assert "acl-author-page" in skipped[str(folder / "notes.txt")]
    assert report.papers_added == 3
    assert store.counts()["papers"] == 3


def test_entries_without_title_are_skipped_with_a_note(hash_store, tmp_path):
    store, emb = hash_store
    f = tmp_path / "naacl2021.json"
    f.write_text(json.dumps([{"title": "", "author": "A B"}, {"title": "Real Paper", "author": "A B; C D"}]))
    report = ingest_paths([f], store, emb)
    assert report.papers_added == 1
    assert report.problems and "entry 0" in report.problems[0]


def test_empty_folder_imports_nothing_and_writes_nothing(hash_store, tmp_path):
    store, emb = hash_store
    (tmp_path / "nothing").mkdir()
    report = ingest_paths([tmp_path / "nothing"], store, emb)
    assert report.files_read == [] and report.files_skipped == []
    assert store.counts() == {"papers": 0, "researchers": 0, "profiles": 0}


def test_missing_path_raises_file_not_found(hash_store, tmp_path):
    store, emb = hash_store
    with pytest.raises(FileNotFoundError, match="no-such"):
        ingest_paths([tmp_path / "no-such"], store, emb)


def test_people_are_not_names(hash_store, tmp_path, corpus):
    store, emb = hash_store
    ingest_paths([SEEDS, _small_corpus(corpus, tmp_path)], store, emb)
    people = list(store.iter_researchers())
    zheng_lin = [r for r in people if name_key(r.name) == name_key("Zheng Lin")]
    # The feed page mixes NLP, vision and split-learning researchers: they must stay apart.
    assert len(zheng_lin) >= 3
    page_metrics = [r for r in zheng_lin if r.metrics.get("h_index") == 44]
    assert page_metrics == [], "a mixed page's metrics must not be pinned on one of its people"
    gu = [r for r in people if r.name == "Hanlin Gu"]
    assert len(gu) == 1 and len(gu[0].paper_ids) == 3  # LLEOT, FedCoT and FedMKT (page and corpus: one paper)
    assert "WeBank Co., Ltd" in gu[0].affiliations  # from the corpus copy of FedMKT
    zz = next(r for r in people if r.name == "Zhiming Zheng")
    assert zz.metrics["h_index"] == 5 and zz.metrics["citations"] == 91
    hz = [r for r in people if r.name == "Hainan Zhang" and paper_id_for(MOR) in r.paper_ids]
    assert len(hz) == 1
    names = {dict((c.id, c.name) for c in people)[rid] for rid, _ in hz[0].coauthors}
    assert {"Zhiming Zheng", "Xiaoshan Yang", "Hongwei Zheng", "Shule Lu", "Yujing Wang"} <= names


def test_same_profile_page_twice_in_one_ingest(hash_store):
    store, emb = hash_store
    page = SEEDS / "001_445717024e459980.txt"
    report = ingest_paths([SEEDS, page], store, emb)
    assert not report.files_skipped
    assert store.counts()["profiles"] == 4
    assert store.get_flag(PEOPLE_STALE) is False
