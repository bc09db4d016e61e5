"""The paperlists JSON importer on real corpus files (the shared corpus, and the bundled sample)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scholarbot.errors import MalformedFileError
from scholarbot.ingest.importers import detect, read_file
from scholarbot.ingest.importers.paperlists import PaperlistsImporter
from scholarbot.records import merge_papers

from conftest import SAMPLE

#: The corpus's venue folders; listed here, not globbed, so a folder that goes missing fails a test.
VENUES = ("aaai", "acl", "coling", "colm", "ijcai", "naacl", "www")


def _by_title(path: Path, title: str):
    return next(p for p in read_file(path).papers if p.title == title)


def test_acl_file_keeps_ids_affiliations_links_and_year(corpus: Path):
    p = _by_title(
        corpus / "acl" / "acl2022.json", "A Comparison of Strategies for Source-Free Domain Adaptation"
    )
    assert [a.name for a in p.authors] == ["Xin Su", "Yiyun Zhao", "Steven Bethard"]
    assert [a.source_id for a in p.authors] == ["/x/xin-su/", "/y/yiyun-zhao/", "/s/steven-bethard/"]
    assert all(a.affiliations == ("University of Arizona",) for a in p.authors)
    assert (p.venue, p.year, p.external_ids["acl"]) == ("ACL 2022", 2022, "2022.acl-long.572")
    assert p.url == "https://aclanthology.org/2022.acl-long.572/" and p.pdf_url.endswith(".pdf")
    assert p.code_urls and p.code_urls[0].startswith("https://github.com/")
    assert p.citation_count == 12 and p.authors_complete


def test_multiple_affiliations_use_normalised_names(corpus: Path):
    p = _by_title(
        corpus / "aaai" / "aaai2022.json",
        "A Causal Debiasing Framework for Unsupervised Salient Object Detection",
    )
    assert p.authors[0].affiliations == ("Sun Yat-sen University", "University of Hong Kong")
    assert p.authors[4].affiliations == ("University of Hong Kong", "Deepwise AI Lab")
    assert p.external_ids["doi"] == "10.1609/aaai.v36i2.20052"


def test_misaligned_affiliations_are_not_shifted_onto_wrong_people(corpus: Path):
    p = _by_title(corpus / "www" / "www2024.json", "Masked Graph Autoencoder with Non-discrete Bandwidths")
    assert len(p.authors) == 5
    assert all(a.affiliations == () for a in p.authors)  # 4 affiliations for 5 authors in the source
    # The paper still prints where it was written.
    assert p.affiliations == ("Huazhong University of Science and Technology", "Michigan State University")
    assert p.authors[0].source_id == "~Ziwen_Zhao1"
    assert p.abstract == ""  # www2024 rows have no abstract
    assert p.citation_count is None  # gs_citation -1 means unknown


def test_the_corpus_has_exactly_the_listed_venues(corpus: Path):
    assert sorted(p.name for p in corpus.iterdir() if p.is_dir()) == sorted(VENUES)


@pytest.mark.parametrize("folder", VENUES)
def test_every_corpus_file_imports(corpus: Path, folder: str):
    files = sorted((corpus / folder).glob("*.json"))
    assert files, f"no paper lists in {corpus / folder}"
    for path in files:
        assert isinstance(detect(path), PaperlistsImporter)
        batch = read_file(path)
        assert len(batch.papers) > 200 and not batch.problems
        assert all(p.title and p.year and p.venue for p in batch.papers)


def test_every_bundled_sample_file_imports():
    files = sorted((SAMPLE / "paperlists").glob("*.json"))
    assert len(files) == 18  # one extract per corpus file (scripts/make_sample.py)
    for path in files:
        assert isinstance(detect(path), PaperlistsImporter)
        batch = read_file(path)
        assert len(batch.papers) > 10 and not batch.problems
        assert all(p.title and p.year and p.venue for p in batch.papers)


def test_broken_json_is_malformed(tmp_path: Path):
    f = tmp_path / "acl2099.json"
    f.write_text('[{"title": "x", "author": "A"}, {')
    with pytest.raises(MalformedFileError, match=r"acl2099\.json"):
        read_file(f)


def test_free_form_file_name_gives_no_invented_venue(tmp_path: Path):
    f = tmp_path / "x.json"
    f.write_text(json.dumps([{"title": "A", "author": "B"}]))
    assert read_file(f).papers[0].venue is None  # no venue/year in a free-form name: none invented


def _row_file(tmp_path: Path, aff: str, norm: str, index: str, authors: str = "Ann Lee") -> Path:
    path = tmp_path / "acl2024.json"
    row = {
        "title": "A paper",
        "author": authors,
        "aff": aff,
        "aff_unique_norm": norm,
        "aff_unique_index": index,
    }
    path.write_text(json.dumps([row]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("printed", "normalised", "expected"),
    [
        # The unit a normalised name drops is kept beside it, footnote marks and details after it aside.
        ("Google Research, Brain Team†", "Google", ("Google Research", "Google")),
        ("Huawei Noah’s Ark Lab", "Huawei", ("Huawei Noah’s Ark Lab", "Huawei")),
        # A campus or acronym in brackets stays with it; a longer aside does not.
        ("Microsoft Research Asia (MSRA)", "Microsoft", ("Microsoft Research Asia (MSRA)", "Microsoft")),
        (
            "Harbin Institute of Technology (Shenzhen), China",
            "Harbin Institute of Technology",
            ("Harbin Institute of Technology (Shenzhen)", "Harbin Institute of Technology"),
        ),
        ("Google Research (work done while at home, 2023)", "Google", ("Google Research", "Google")),
        (
            "International Institute of Information Technology Hyderabad, India",
            "International Institute of Information Technology",
            (
                "International Institute of Information Technology Hyderabad",
                "International Institute of Information Technology",
            ),
        ),
        # Nothing beyond the organisation's name: its legal form, a place after a dash or slash.
        ("Google LLC, USA", "Google", ("Google",)),
        ("IBM Research - Brazil", "IBM Research", ("IBM Research",)),
        ("University of Bonn / Germany", "University of Bonn", ("University of Bonn",)),
        # A named unit just before the organisation is kept with it; a school or department is not.
        (
            "Pattern Recognition Center, WeChat AI, Tencent Inc, China",
            "Tencent Inc",
            ("WeChat AI, Tencent Inc", "Tencent Inc"),
        ),
        ("DAMO Academy, Alibaba Group", "Alibaba Group", ("DAMO Academy, Alibaba Group", "Alibaba Group")),
        ("School of Computer Science, Fudan University", "Fudan University", ("Fudan University",)),
        ("Research, Google", "Google", ("Google",)),
        ("State Key Laboratory of AI, Peking University", "Peking University", ("Peking University",)),
        ("Peking University. Beijing", "Peking University", ("Peking University",)),
    ],
)
def test_a_unit_the_normalised_name_drops_is_kept_before_it(tmp_path: Path, printed, normalised, expected):
    (paper,) = read_file(_row_file(tmp_path, printed, normalised, "0")).papers
    assert paper.authors[0].affiliations == expected


def test_each_affiliation_of_an_author_keeps_its_own_unit(tmp_path: Path):
    path = _row_file(
        tmp_path,
        "Beihang University+Microsoft Research Asia; Google DeepMind",
        "Beihang University;Microsoft;Google",
        "0+1;2",
        "Ann Lee; Bo Chen",
    )
    (paper,) = read_file(path).papers
    assert paper.authors[0].affiliations == ("Beihang University", "Microsoft Research Asia", "Microsoft")
    assert paper.authors[1].affiliations == ("Google DeepMind", "Google")


def test_a_reimport_adds_units_to_a_stored_record_and_then_changes_nothing(tmp_path: Path):
    (new,) = read_file(_row_file(tmp_path, "Google DeepMind", "Google", "0")).papers
    old = replace(new, authors=tuple(replace(a, affiliations=("Google",)) for a in new.authors))
    merged = merge_papers(old, new)
    assert set(merged.authors[0].affiliations) == {"Google DeepMind", "Google"}
    assert merge_papers(merged, new) == merged


@pytest.mark.parametrize(
    ("printed", "normalised", "unit"),
    [
        ("Huawei Technologies Co., Ltd.", "Huawei", "Huawei Technologies"),
        ("LG AI Research2", "LG", "LG AI Research"),
        ("CSIRO Data61", "CSIRO", "CSIRO Data61"),
        ("Stanford University & Westlake University", "Stanford University", None),
    ],
)
def test_a_unit_is_printed_without_a_legal_form_or_a_second_place(tmp_path: Path, printed, normalised, unit):
    (paper,) = read_file(_row_file(tmp_path, printed, normalised, "0")).papers
    assert paper.authors[0].affiliations == (*([unit] if unit else []), normalised)


def test_two_authors_of_one_name_keep_their_own_affiliations_when_copies_merge(tmp_path: Path):
    path = _row_file(
        tmp_path,
        "Fudan University; East China Normal University",
        "Fudan University;East China Normal University",
        "0;1",
        "Jie Zhou; Jie Zhou",
    )
    (paper,) = read_file(path).papers
    merged = merge_papers(paper, paper)
    assert [a.affiliations for a in merged.authors] == [
        ("Fudan University",),
        ("East China Normal University",),
    ]
