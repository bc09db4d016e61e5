"""Import conference paper lists in the papercopilot/paperlists JSON format."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from scholarbot.errors import MalformedFileError
from scholarbot.records import Author, ImportBatch, Paper, fold, paper_id_for

_VENUE_YEAR = re.compile(r"^([a-z]+)(\d{4})$")


class PaperlistsImporter:
    """papercopilot/paperlists JSON: a list of papers with `;`-separated authors and affiliations."""

    name = "paperlists-json"
    description = "conference paper list (papercopilot/paperlists JSON: title, author, aff, ...)"

    def sniff(self, path: Path, head: str) -> bool:
        text = head.lstrip("\ufeff \t\r\n")
        return text.startswith("[") and '"title"' in head and '"author"' in head

    def parse(self, path: Path) -> ImportBatch:
        try:
            rows = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise MalformedFileError(path, self.name, str(e)) from e
        if not isinstance(rows, list):
            raise MalformedFileError(path, self.name, "expected a JSON list of papers")
        venue, year = _venue_from_filename(path)
        batch = ImportBatch(source=f"paperlists:{path.stem}")
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or not str(row.get("title") or "").strip():
                batch.problems.append(f"entry {i}: no title, skipped")
                continue
            batch.papers.append(_paper(row, venue, year, batch.source))
        if rows and not batch.papers:
            raise MalformedFileError(path, self.name, "no entry has a title")
        return batch


def _venue_from_filename(path: Path) -> tuple[str | None, int | None]:
    # Files are named <venue><year>.json (acl2022.json); the rows themselves carry no year.
    m = _VENUE_YEAR.match(path.stem.lower())
    if not m:
        return None, None
    return f"{m.group(1).upper()} {m.group(2)}", int(m.group(2))


def _split(value: Any) -> list[str]:
    # Lists use "; " in ACL-family files and ";" in OpenReview-family files.
    if not isinstance(value, str) or not value.strip():
        return []
    return [part.strip() for part in value.split(";")]


def _authors(row: dict[str, Any]) -> tuple[Author, ...]:
    names = [n for n in _split(row.get("author")) if n]
    ids = _split(row.get("authorids"))
    affs = _per_author_affiliations(row, len(names))
    return tuple(
        Author(
            name=name,
            source_id=(ids[i] or None) if len(ids) == len(names) else None,
            affiliations=affs[i],
        )
        for i, name in enumerate(names)
    )


def _per_author_affiliations(row: dict[str, Any], n: int) -> list[tuple[str, ...]]:
    """Affiliations per author position, using the normalised names when the indices line up.

    `aff_unique_index` ("0+1;0;1+2") maps each author to entries of `aff_unique_norm`, which
    spell one institution one way across papers; raw `aff` strings vary ("LMU Munich†"). When
    counts disagree with the author list (it happens in www2024) nothing is assigned rather
    than shifting affiliations onto the wrong people.
    """
    norm = _split(row.get("aff_unique_norm"))
    index = _split(row.get("aff_unique_index"))
    raw = _split(row.get("aff"))
    out: list[tuple[str, ...]] = [() for _ in range(n)]
    if len(raw) != n:
        return out
    norm_ok = len(index) == n and norm
    for i in range(n):
        if not raw[i]:
            continue
        picked: list[str] = []
        if norm_ok:
            printed = [a.strip() for a in raw[i].split("+")]
            numbers = index[i].split("+")
            for k, j in enumerate(numbers):
                if j.strip().isdigit() and int(j) < len(norm) and norm[int(j)]:
                    # The unit first: it is where the author is ("Google DeepMind", then "Google").
                    if len(printed) == len(numbers):
                        picked.extend(_unit_of(norm[int(j)], printed[k]))
                    picked.append(norm[int(j)])
        if not picked:
            picked = [a.strip() for a in raw[i].split("+") if a.strip()]
        out[i] = tuple(dict.fromkeys(picked))
    return out


def _unit_of(organisation: str, printed: str) -> list[str]:
    """The unit of an organisation an author's printed affiliation names, if it names one.

    The normalised names spell a company or university one way and drop what follows its name:
    "Google Research" and "Google DeepMind" are both "Google", "Microsoft Research Asia" is
    "Microsoft", "International Institute of Information Technology Hyderabad" loses its city.
    The unit is kept before the organisation (which still links one person's papers and counts
    the organisation's) when a part of the printed text starts with the organisation's name and
    goes on: "Google Research, Brain Team" gives "Google Research"; "Research, Google",
    "Google LLC, USA" and "IBM Research - Brazil" name no more than a unit or a place after it.
    """
    name = _folded(organisation)
    if not name:
        return []
    parts = [
        _FOOTNOTE_DIGIT.sub("", " ".join(_FOOTNOTE.sub(" ", part).split()).strip(" .,"))
        for part in _PRINTED_PARTS.split(_PARENTHESES.sub(_short_kept, printed))
    ]
    for i, text in enumerate(parts):
        words = _folded(text)
        if words[: len(name)] != name:
            continue
        if len(words) > len(name):
            return [_LEGAL_TAIL.sub("", text)]
        # "WeChat AI, Tencent Inc", "DAMO Academy, Alibaba Group": a named unit just before the
        # organisation, not its department or school ("School of Computer Science, Fudan University").
        before = _folded(parts[i - 1]) if i else []
        named = set(before) - _DEPARTMENT_WORDS - _UNIT_KINDS
        if before and before[0] not in _DEPARTMENT_WORDS and named and not set(before) & set(name):
            return [f"{parts[i - 1]}, {organisation}"]
        return []
    return []


def _short_kept(bracket: re.Match[str]) -> str:
    # A campus or an acronym in brackets after a name says which or how people call it: "Harbin
    # Institute of Technology (Shenzhen)", "Institute of Automation (CASIA)"; longer asides go.
    inner = bracket.group(0)[1:-1].strip()
    if inner and len(inner) <= BRACKET_KEPT_CHARS and len(inner.split()) <= 2 and not re.search(r"\d", inner):
        return f" ({inner})"
    return " "


#: Text in brackets kept in a unit's name when this short ("(Shenzhen)", "(MSRA)").
BRACKET_KEPT_CHARS = 20


def _folded(text: str) -> list[str]:
    # "Noah's Ark" and "Noahs Ark" are one name (`fold` makes a curly apostrophe straight); a
    # company's legal form is no part of it.
    words = re.findall(r"[a-z0-9]+", re.sub(r"(?<=\w)'s\b", "s", fold(text)))
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return words


#: Where a printed affiliation goes on to another unit or a place: a comma, " - ", " / ", ". ".
_PRINTED_PARTS = re.compile(r",|;|\s[-–—/|&]\s|\s/|/\s|\.\s")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEGAL_TAIL = re.compile(
    r"(?:[\s.,]+(?:Inc|Ltd|Co|Corp|Corporation|Company|Limited|LLC|GmbH|gGmbH|Pvt|N\.?V|S\.?A)\b)+\.?$", re.I
)
#: Marks that tie an author to a footnote ("Google Research†").
_FOOTNOTE = re.compile(r"[*†‡§¶♠♣♥♦♮⋆★☆∗#]+")
#: A footnote's number set against the last word ("LG AI Research2"; "Data61" is a name).
_FOOTNOTE_DIGIT = re.compile(r"(?<=[a-z])[1-9]$")
#: First words of a department, school or lab of a university or state, which name no unit people ask about.
_DEPARTMENT_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    school college department dept faculty division graduate national state key laboratory lab labs
    center centre program programme chair group unit section the and of engineering computer science
    beijing shanghai guangdong shenzhen china jiangsu zhejiang hubei sichuan moe ministry provincial
    optics electronics information""",
    )
)
#: Words that say only what kind of unit it is ("Research, Google" names none).
_UNIT_KINDS = frozenset(
    re.findall(
        r"\w+",
        "research ai artificial intelligence institute academy labs lab team technology technologies inc",
    )
)
_LEGAL_FORMS = frozenset(
    {"inc", "ltd", "co", "corp", "corporation", "company", "limited", "llc", "gmbh", "ggmbh"}
)


def _unaligned_affiliations(row: dict[str, Any]) -> tuple[str, ...]:
    """The affiliations of a row whose list does not line up with its authors (none assigned to
    anyone, above): still the places the paper was written at, normalised names first."""
    if len(_split(row.get("aff"))) == len([n for n in _split(row.get("author")) if n]):
        return ()
    printed = _split(row.get("aff_unique_norm")) or [
        a.strip() for part in _split(row.get("aff")) for a in part.split("+")
    ]
    return tuple(dict.fromkeys(a for a in printed if a))


def _award(value: Any) -> str:
    """The tag of a paper's award: "award" for a bare flag (the lists mark best and outstanding
    papers alike with `true`), "award:<name>" where a list names it, "" for none."""
    if value is True:
        return "award"
    name = str(value or "").strip() if not isinstance(value, bool) else ""
    return f"award:{name}" if name and name.casefold() not in {"false", "none", "0", "no"} else ""


def _paper(row: dict[str, Any], venue: str | None, year: int | None, source: str) -> Paper:
    title = " ".join(str(row["title"]).split())
    site = row.get("site") or None
    ext: dict[str, str] = {}
    if row.get("doi"):
        ext["doi"] = str(row["doi"])
    if site and "aclanthology.org" in site and row.get("id"):
        ext["acl"] = str(row["id"])
    if site and "openreview.net" in site and row.get("id"):
        ext["openreview"] = str(row["id"])
    code = str(row.get("github") or "").strip()
    if code and not code.startswith("http"):
        code = "https://" + code
    tags = [
        t
        for t in (
            *(f"keyword:{k}" for k in _split(row.get("keywords")) if k),
            f"area:{row['primary_area']}" if row.get("primary_area") else "",
            f"track:{row['track']}" if row.get("track") else "",
            f"status:{row['status']}" if row.get("status") else "",
            _award(row.get("award")),
        )
        if t
    ]
    citations = row.get("gs_citation")
    return Paper(
        id=paper_id_for(title),
        title=title,
        abstract=" ".join(str(row.get("abstract") or "").split()),
        authors=_authors(row),
        affiliations=_unaligned_affiliations(row),
        year=year,
        venue=venue,
        url=site,
        pdf_url=row.get("pdf") or None,
        code_urls=(code,) if code else (),
        external_ids=ext,
        citation_count=citations if isinstance(citations, int) and citations >= 0 else None,
        tags=tuple(tags),
        sources=(source,),
    )
