"""Profile-page importers against the real scraped seed pages and a few broken variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from scholarbot.errors import MalformedFileError
from scholarbot.ingest.importers.page_pubs_list import split_run_on_names
from scholarbot.ingest.importers.profile_pages import (
    PROFILE_IMPORTERS,
    AclAuthorPageImporter,
    BzpeerProfileImporter,
    PaperFeedImporter,
    PubsListImporter,
)
from scholarbot.records import ImportBatch, Paper, paper_id_for

from conftest import SEEDS

FILES = {
    "bzpeer-profile": "000_c5e46914c73083de.txt",
    "pubs-list": "001_445717024e459980.txt",
    "acl-author-page": "002_9ae034b0383cefe3.txt",
    "paper-feed": "003_4b5cd621de908d1c.txt",
}
IMPORTERS = {imp.name: imp for imp in PROFILE_IMPORTERS}
MOR = "Replacing Parameters with Preferences: Federated Alignment of Heterogeneous Vision-Language Models"


def _parse(fmt: str) -> ImportBatch:
    return IMPORTERS[fmt].parse(SEEDS / FILES[fmt])


def _by_title(batch: ImportBatch, start: str) -> Paper:
    hits = [p for p in batch.papers if p.title.startswith(start)]
    assert len(hits) == 1, [p.title for p in batch.papers]
    return hits[0]


def _head(path: Path) -> str:
    # As the registry's detect() does: 64 KiB, plain utf-8 (a BOM stays in).
    return path.read_bytes()[: 64 * 1024].decode("utf-8", errors="replace")


def test_bundled_seeds_are_the_shared_ones(shared: Path) -> None:
    # Every other test here reads the copies bundled with the sample, so a bare clone runs them.
    bundled = {p.name: p.read_bytes() for p in SEEDS.glob("*.txt")}
    originals = {p.name: p.read_bytes() for p in (shared / "seeds").glob("*.txt")}
    assert sorted(bundled) == sorted(FILES.values())
    assert bundled == originals, "rebuild the sample: python scripts/make_sample.py"


# --- sniffing -------------------------------------------------------------------------------


def test_importer_names_and_protocol() -> None:
    assert set(IMPORTERS) == set(FILES)
    assert [type(i) for i in PROFILE_IMPORTERS] == [
        BzpeerProfileImporter,
        PubsListImporter,
        AclAuthorPageImporter,
        PaperFeedImporter,
    ]
    for imp in PROFILE_IMPORTERS:
        assert imp.description and callable(imp.sniff) and callable(imp.parse)


@pytest.mark.parametrize("fmt", sorted(FILES))
@pytest.mark.parametrize("file_fmt", sorted(FILES))
def test_sniff_matrix_on_seed_files(fmt: str, file_fmt: str) -> None:
    path = SEEDS / FILES[file_fmt]
    assert IMPORTERS[fmt].sniff(path, _head(path)) is (fmt == file_fmt)


NOT_PAGES = {
    "json-list": '[{"title": "A paper", "author": "Ann Lee; Bo Chen", "aff": "MIT"}]',
    "json-object": '{"papers": [{"title": "A paper", "year": 2024}]}',
    "empty": "",
    "blank": "\n\n  \r\n",
    "prose": (
        "Researchers often publish in many venues.\nIn 2024 the field grew quickly, and the h-index of many\n"
        "authors rose. Papers | posters | talks were all counted.\nSee the report for details.\n"
    ),
}


@pytest.mark.parametrize("fmt", sorted(FILES))
@pytest.mark.parametrize("kind", sorted(NOT_PAGES))
def test_sniff_rejects_other_text(tmp_path: Path, fmt: str, kind: str) -> None:
    path = tmp_path / f"{kind}.txt"
    path.write_text(NOT_PAGES[kind], encoding="utf-8")
    assert IMPORTERS[fmt].sniff(path, NOT_PAGES[kind]) is False


# --- bzpeer-profile -------------------------------------------------------------------------


def test_bzpeer_profile_hainan_zhang() -> None:
    batch = _parse("bzpeer-profile")
    (page,) = batch.profiles
    assert page.name == "Hainan Zhang"
    assert page.page_format == "bzpeer"
    assert page.source == batch.source == f"seed:bzpeer-profile:{FILES['bzpeer-profile']}"
    assert page.metrics == {"trust": 19, "works": 5, "followers": 0, "topics": 6, "close_collaborators": 4}
    assert page.affiliations == ()  # "Affiliation not imported" is not an affiliation
    assert not any("Affiliation not imported" in n for n in page.notes)
    assert len(batch.papers) == 5 and page.paper_ids == tuple(p.id for p in batch.papers)
    fedsea = _by_title(batch, "FedSEA-LLaMA")
    vpdr = _by_title(batch, "Taming Noise-Induced Prototype Degradation")
    assert "VPDR" in vpdr.abstract
    assert (fedsea.year, fedsea.venue, fedsea.date) == (2026, "arXiv", None)
    assert "kind:preprint" in fedsea.tags
    for p in batch.papers:
        assert [a.name for a in p.authors] == ["Hainan Zhang"]
        assert p.authors_complete is False and p.authors_omitted is None
        assert p.id == paper_id_for(p.title) and p.sources == (batch.source,)
        assert p.abstract and len(p.title) < 300


def test_bzpeer_truncated_before_works_is_malformed(tmp_path: Path) -> None:
    lines = (SEEDS / FILES["bzpeer-profile"]).read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cut.txt"
    path.write_text("\n".join(lines[: lines.index("Published work") + 3]), encoding="utf-8")
    imp = IMPORTERS["bzpeer-profile"]
    assert imp.sniff(path, path.read_text(encoding="utf-8"))
    with pytest.raises(MalformedFileError, match="no papers"):
        imp.parse(path)


# --- pubs-list ------------------------------------------------------------------------------


def test_pubs_list_merges_two_arxiv_versions() -> None:
    batch = _parse("pubs-list")
    (page,) = batch.profiles
    assert page.name == "Zhiming Zheng"
    assert page.metrics == {"citations": 91, "h_index": 5, "papers": 2}
    mor = [p for p in batch.papers if p.title == MOR]
    assert len(mor) == 1 and len(batch.papers) == 1
    (p,) = mor
    assert p.id == paper_id_for(MOR) and page.paper_ids == (p.id,)
    assert set(p.versions) == {"2605.03426v1", "2602.00485v1"}
    assert p.external_ids["arxiv"] in {"2605.03426", "2602.00485"}
    names = [a.name for a in p.authors]
    for who in ("Xiaoshan Yang", "Hongwei Zheng", "Shule Lu", "Yujing Wang", "Hainan Zhang", "Zhiming Zheng"):
        assert names.count(who) == 1
    # "+3" on the page, one of whom is the owner (not among the names shown).
    assert p.authors_complete is False and p.authors_omitted == 2
    # Dated by its first version (2602.00485v1, Jan 31), not the later one listed first.
    assert (p.year, p.date, p.venue, p.citation_count) == (2026, "2026-01-31", "arXiv", 0)


def test_split_run_on_names() -> None:
    assert split_run_on_names("Ann Lee Bo Chen +2") == (["Ann Lee", "Bo Chen"], 2)
    particles = split_run_on_names("Ludwig van Beethoven J. Smith Doe")
    assert particles == (["Ludwig van Beethoven", "J. Smith Doe"], None)
    # A known name (the page owner) is matched whole, even when it is three words.
    assert split_run_on_names("Ann Lee Mary Ann Jones Bo Chen", ("Mary Ann Jones",)) == (
        ["Ann Lee", "Mary Ann Jones", "Bo Chen"],
        None,
    )


def test_pubs_list_header_only_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "header_only.txt"
    path.write_text("Z\n\nZhiming Zheng\n\nTotal Citations\n91\nh-index\n5\nPapers\n2\n\nPublications\n")
    imp = IMPORTERS["pubs-list"]
    assert imp.sniff(path, path.read_text())
    with pytest.raises(MalformedFileError):
        imp.parse(path)


# --- acl-author-page ------------------------------------------------------------------------


def test_acl_author_page_hanlin_gu() -> None:
    batch = _parse("acl-author-page")
    (page,) = batch.profiles
    assert page.name == "Hanlin Gu" and page.page_format == "acl-author"
    assert len(batch.papers) == 3
    fedmkt = _by_title(batch, "FedMKT:")
    assert fedmkt.year == 2025 and "Computational Linguistics" in (fedmkt.venue or "")
    names = [a.name for a in fedmkt.authors]
    assert len(names) == 8 and "Qiang Yang" in names and "Lixin Fan" in names  # deduped repeat line
    assert fedmkt.authors_complete is True
    assert fedmkt.code_urls == (
        "https://github.com/FederatedAI/FATE-LLM/tree/main/python/fate_llm/algo/fedmkt",
    )
    lleot = _by_title(batch, "LLEOT:")
    assert lleot.year == 2026 and "Findings" in (lleot.venue or "") and "ACL 2026" in (lleot.venue or "")
    assert lleot.code_urls == ("https://github.com/Z-eloto/LLEOT",)  # trailing "." stripped
    assert len(lleot.authors) == 6 and lleot.abstract.startswith("Adapting large language models")
    fedcot = _by_title(batch, "FedCoT:")
    assert fedcot.year == 2025 and "EMNLP 2025" in (fedcot.venue or "")


def test_acl_crlf_bom_and_missing_authors(tmp_path: Path) -> None:
    text = (SEEDS / FILES["acl-author-page"]).read_text(encoding="utf-8")
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    imp = IMPORTERS["acl-author-page"]
    assert imp.sniff(path, _head(path))
    assert [p.title for p in imp.parse(path).papers] == [p.title for p in _parse("acl-author-page").papers]

    broken = tmp_path / "broken.txt"
    broken.write_text("Hanlin Gu\n2026\nA Title Without Anything Else\n", encoding="utf-8")
    with pytest.raises(MalformedFileError):
        imp.parse(broken)


# --- paper-feed -----------------------------------------------------------------------------


def test_paper_feed_zheng_lin() -> None:
    batch = _parse("paper-feed")
    (page,) = batch.profiles
    assert page.name == "Zheng Lin" and page.page_format == "paper-feed"
    assert any("inferred" in n for n in page.notes)
    assert any("50 of 155" in n for n in page.notes)
    assert page.metrics["h_index"] == 44 and page.metrics["papers"] == 155
    assert page.metrics["citations"] == 8939
    assert len(batch.papers) == 50 and len(page.paper_ids) == 50
    for p in batch.papers:
        assert p.title and len(p.title) < 300 and not p.title.endswith(".")
        assert len(p.abstract) > len(p.title)
        assert sum(t.startswith("subject:") for t in p.tags) == 1
        assert p.authors and p.authors_complete is False and p.authors_omitted is None
        assert not any(a.affiliations for a in p.authors)  # lab tags are not per-author
        assert (p.year is None) == (p.date is None)

    cosod = _by_title(batch, "Co-Salient Object Detection with Co-Representation Purification")
    assert (cosod.date, cosod.year) == ("2023-03-14", 2023)
    assert {"subject:CV", "has-code", "lab:tencent-ai"} <= set(cosod.tags)
    assert [a.name for a in cosod.authors] == ["Ziyue Zhu", "Zhao Zhang", "Zheng Lin"]

    lottery = _by_title(batch, "Learning to Win Lottery Tickets")
    assert {"lab:pku", "lab:tsinghua", "subject:CL"} <= set(lottery.tags)

    no_year = {
        "From Assistant to Double Agent": "date-shown:Feb 9",
        "Query-focused and Memory-aware Reranker": "date-shown:Feb 12",
        "HFedMoE:": "date-shown:Jan 2",
    }
    for start, tag in no_year.items():
        p = _by_title(batch, start)
        assert p.year is None and p.date is None and tag in p.tags
    assert "has-code" in _by_title(batch, "From Assistant to Double Agent").tags
    assert "has-code" not in _by_title(batch, "Query-focused").tags

    # The owner is only an author where the shown (truncated) list names them.
    assert "Zheng Lin" not in [a.name for a in _by_title(batch, "Dissecting RGB-D").authors]


FEED_SNIPPET = (
    "h-index3\n12papers\n\n"
    "CVMar 14, 2023Code\nA First Title\n\nAnn Lee, Bo Chen et al. · mit\n\n{abstract}\n\n"
    "LGJan 2\n{abstract}\nA Second Title\n\nBo Chen, Cy Dee et al.\n\n"
)
ABSTRACT = "We study things. Our results show that the method works well on every benchmark we tried."


def test_paper_feed_tolerates_crlf_bom_and_swapped_blocks(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    text = FEED_SNIPPET.format(abstract=ABSTRACT)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    imp = IMPORTERS["paper-feed"]
    assert imp.sniff(path, _head(path))
    batch = imp.parse(path)
    assert [p.title for p in batch.papers] == ["A First Title", "A Second Title"]
    assert batch.papers[1].abstract == ABSTRACT and batch.papers[1].year is None
    assert batch.profiles[0].name == "Bo Chen"
    assert any("2 of 12" in n for n in batch.profiles[0].notes)


def test_paper_feed_without_a_clear_owner_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    text = "h-index3\n\nCVMar 14, 2023\nA Title\n\nAnn Lee, Bo Chen et al.\n\n" + ABSTRACT + "\n"
    path.write_text(text, encoding="utf-8")
    imp = IMPORTERS["paper-feed"]
    assert imp.sniff(path, path.read_text(encoding="utf-8"))
    with pytest.raises(MalformedFileError, match="owner"):
        imp.parse(path)
