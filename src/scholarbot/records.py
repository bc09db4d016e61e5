"""Typed records that cross module boundaries: papers, authorships, researcher profiles.

Importers produce these; the store persists them; the answer layer reads them back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

from unidecode import unidecode

T = TypeVar("T")


@dataclass(frozen=True)
class Author:
    """One author position on one paper, as a source printed it."""

    name: str
    #: Identifier the source gives for this author (ACL Anthology "/x/xin-su/",
    #: OpenReview "~Xin_Su1"), namespaced by :func:`author_id_namespace`.
    source_id: str | None = None
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paper:
    """A paper as one or more sources describe it."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[Author, ...] = ()
    #: False when the source truncated the list ("+3", "et al.", or no list at all).
    authors_complete: bool = True
    #: How many authors the source says it left out ("+3" -> 3); None when unknown.
    authors_omitted: int | None = None
    year: int | None = None
    #: ISO date (YYYY-MM-DD) only when the source printed a full date.
    date: str | None = None
    venue: str | None = None
    url: str | None = None
    pdf_url: str | None = None
    code_urls: tuple[str, ...] = ()
    #: External identifiers: "doi", "arxiv" (without version), "acl", "openreview", ...
    external_ids: dict[str, str] = field(default_factory=dict)
    #: arXiv versions seen ("2605.03426v1"), so two versions stay one record.
    versions: tuple[str, ...] = ()
    citation_count: int | None = None
    #: Subject tags, keywords, areas and lab tags the sources attached.
    tags: tuple[str, ...] = ()
    #: Where this record came from, e.g. "paperlists:acl2022" or "seed:profile-page:<file>".
    sources: tuple[str, ...] = ()
    #: Affiliations the paper prints that no one author can be given: the source's list does not
    #: line up with its authors (half of WWW 2024's rows). They place the paper, not its people.
    affiliations: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """How the paper was presented or recognised, as its tags say: `paper_labels`."""
        return paper_labels(self.tags)


#: Tag prefixes that say how a venue presented or recognised a paper rather than what it is
#: about: its track ("track:Survey Track"), its category ("status:Findings", "status:Oral") and
#: its award ("award", "award:Best Paper").
LABEL_PREFIXES = ("track:", "status:", "award")
#: The track every paper of a venue without tracks is in: no label.
_NO_LABEL = frozenset({"track:main"})


def paper_labels(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags among `tags` that label a paper's presentation (`LABEL_PREFIXES`), in order."""
    return tuple(
        t for t in tags if t.startswith(LABEL_PREFIXES) and t.casefold() not in _NO_LABEL and t != "award:"
    )


def label_text(label: str) -> str:
    """A label as an answer writes it: "Findings", "Survey Track", "award"."""
    return label.partition(":")[2] or label


@dataclass(frozen=True)
class ProfilePage:
    """A researcher profile as one source page shows it (before people are resolved)."""

    name: str
    source: str
    #: The kind of page ("bzpeer", "pubs-list", "acl-author", "paper-feed").
    page_format: str
    metrics: dict[str, int | float] = field(default_factory=dict)
    affiliations: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    #: Paper ids, in page order, that the page lists for this person.
    paper_ids: tuple[str, ...] = ()
    #: Counts the page states but does not show in full (e.g. "155 papers" with 50 listed).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Researcher:
    """A resolved person: one or more authorships (and maybe profile pages) judged to be one human."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    metrics: dict[str, int | float] = field(default_factory=dict)
    topics: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    paper_ids: tuple[str, ...] = ()
    #: Coauthor researcher ids with the number of shared papers, most first.
    coauthors: tuple[tuple[str, int], ...] = ()
    #: Clusters of authorships joined into this person on name rarity alone (0: none). How common a
    #: name is gets judged by the clusters before such joins, so later resolutions need the count.
    rarity_joins: int = 0


@dataclass
class ImportBatch:
    """What one importer read from one file."""

    source: str
    papers: list[Paper] = field(default_factory=list)
    profiles: list[ProfilePage] = field(default_factory=list)
    #: Entries skipped inside an otherwise readable file, each with the reason.
    problems: list[str] = field(default_factory=list)


# --- identity -----------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ARXIV_ID = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(v\d+)?(?![\d])")


def fold(text: str) -> str:
    """Lower-case ASCII folding: diacritics, full-width forms and case do not matter."""
    return unidecode(unicodedata.normalize("NFKC", text)).lower()


def title_key(title: str) -> str:
    """Key two spellings of one title to the same string (case, punctuation, accents, TeX braces)."""
    return _NON_ALNUM.sub(" ", fold(title)).strip()


def paper_id_for(title: str) -> str:
    """Stable paper id from the title alone.

    Sources disagree on everything else (venue string, arXiv version, author truncation), while
    the title survives every copy of a paper; 16 hex digits of sha1 make clashes negligible at
    millions of papers (a clash needs ~4e9 titles for 50% odds).
    """
    # A title of only symbols or emoji folds to nothing; its exact text is then the best key.
    key = title_key(title) or "raw:" + unicodedata.normalize("NFKC", title).strip()
    return "p_" + hashlib.sha1(key.encode()).hexdigest()[:16]


@lru_cache(maxsize=1 << 18)  # names repeat across papers; resolution keys each authorship many times
def name_key(name: str) -> str:
    """Key a person's name so order, case, accents, dots and hyphens do not matter.

    "Zhang Hainan", "Hainan Zhang" and "hainan  zhang" share a key; "Hai-nan" and "Hainan" too.
    The key is for grouping candidates only: one key may still hold several people.
    """
    tokens = _NON_ALNUM.sub(" ", fold(name).replace("-", "")).split()
    return " ".join(sorted(tokens))


#: Generational suffixes: "Hal Daumé III" is printed "Hal Daume" too, like a middle initial left out.
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def bare_key(key: str) -> str:
    """A name key without its initials and generational suffix, when at least two full words remain
    ("christopher d manning" -> "christopher manning", "daume hal iii" -> "daume hal"); otherwise
    the key itself ("j smith": one word says too little)."""
    full = [t for t in key.split() if len(t) > 1 and t not in _SUFFIXES]
    return " ".join(full) if len(full) >= 2 else key


@lru_cache(maxsize=1 << 18)
def person_key(name: str) -> str:
    """The key people resolution groups authorships under: the name key, middle initials set aside.

    "Christopher D. Manning" and "Christopher Manning" are candidates for one person (resolution
    still needs evidence, and keeps "Philip S. Yu" apart from "Philip L. H. Yu", see
    :func:`initials`); "J. Smith" and "K. Smith" are not.
    """
    return bare_key(name_key(name))


def initials(name: str) -> str:
    """The initials :func:`person_key` set aside, sorted ("Philip L. H. Yu" -> "hl"); "" when none."""
    key = name_key(name)
    if bare_key(key) == key:
        return ""
    # A suffix is no initial: "Hal Daumé III" and "Hal Daume" may be one person.
    return "".join(sorted(t for t in key.split() if len(t) == 1))


def split_arxiv_id(text: str) -> tuple[str, str | None] | None:
    """Find an arXiv id in text: ("2605.03426", "v1") or None."""
    m = _ARXIV_ID.search(text)
    if not m:
        return None
    return m.group(1), m.group(2)


def author_id_namespace(source_id: str) -> str:
    """Which id scheme a source author id belongs to; ids of one scheme are comparable."""
    if source_id.startswith("~"):
        return "openreview"
    if source_id.startswith("/"):
        return "acl"
    return source_id.split(":", 1)[0] if ":" in source_id else "other"


def merge_papers(a: Paper, b: Paper) -> Paper:
    """Merge two records of one paper, keeping the most informative value of each field.

    A complete author list beats a truncated one; a longer abstract beats a shorter one; the
    union of links, tags, versions and sources is kept so nothing a source said is lost.
    """
    if a.id != b.id:
        raise ValueError(f"cannot merge different papers {a.id!r} and {b.id!r}")
    authors, complete, omitted = _better_authors(a, b)
    return replace(
        a,
        title=a.title if len(a.title) >= len(b.title) else b.title,
        abstract=a.abstract if len(a.abstract) >= len(b.abstract) else b.abstract,
        authors=authors,
        authors_complete=complete,
        authors_omitted=omitted,
        year=_first_not_none(a.year, b.year),
        date=min((d for d in (a.date, b.date) if d), default=None),  # the first version's date
        venue=_prefer_venue(a.venue, b.venue),
        url=_first_not_none(a.url, b.url),
        pdf_url=_first_not_none(a.pdf_url, b.pdf_url),
        code_urls=_union(a.code_urls, b.code_urls),
        external_ids={**b.external_ids, **a.external_ids},
        versions=_union(a.versions, b.versions),
        citation_count=max((c for c in (a.citation_count, b.citation_count) if c is not None), default=None),
        tags=_union(a.tags, b.tags),
        sources=_union(a.sources, b.sources),
        affiliations=_union(a.affiliations, b.affiliations),
    )


def merge_by_id(papers: Iterable[Paper]) -> dict[str, Paper]:
    """One record per paper id, records of one id merged in order, ids in order of first appearance.

    Two arXiv versions, one work found by two queries, or one paper listed twice on a page all
    become one record (see `merge_papers`).
    """
    merged: dict[str, Paper] = {}
    for paper in papers:
        merged[paper.id] = merge_papers(merged[paper.id], paper) if paper.id in merged else paper
    return merged


def _better_authors(a: Paper, b: Paper) -> tuple[tuple[Author, ...], bool, int | None]:
    # A complete list wins; between two lists of the same completeness the longer wins, and
    # affiliations/ids from the other copy are folded in by name so neither source is lost.
    def rank(p: Paper) -> tuple[bool, int]:
        return (p.authors_complete, len(p.authors))

    best, other = (a, b) if rank(a) >= rank(b) else (b, a)
    # Two authors of one name on one paper (two "Jie Zhou"s) cannot be told apart by it.
    mine, theirs = (Counter(name_key(x.name) for x in p.authors) for p in (best, other))
    by_key = {k: x for x in other.authors if mine[k := name_key(x.name)] == theirs[k] == 1}
    merged = []
    for au in best.authors:
        twin = by_key.get(name_key(au.name))
        if twin is not None:
            au = replace(
                au,
                source_id=au.source_id or twin.source_id,
                # Both copies' affiliations: a later import may print a unit the first did not.
                affiliations=_union(au.affiliations, twin.affiliations),
            )
        merged.append(au)
    return tuple(merged), best.authors_complete, best.authors_omitted


def _prefer_venue(a: str | None, b: str | None) -> str | None:
    # A peer-reviewed venue says more than "arXiv" does.
    if a and b and a.lower().startswith("arxiv") and not b.lower().startswith("arxiv"):
        return b
    return a or b


def _first_not_none(*values: T | None) -> T | None:
    return next((v for v in values if v is not None), None)


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))
