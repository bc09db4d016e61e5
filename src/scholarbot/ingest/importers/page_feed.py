"""Paper-feed pages: profile counts, then entries tagged "CVMar 14, 2023Code"; the owner goes unnamed."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from scholarbot.errors import MalformedFileError
from scholarbot.ingest.importers.page_common import (
    MONTH_RE,
    code_urls,
    finish,
    head_lines,
    iso_date,
    looks_like_prose,
    number,
    read_lines,
    source_for,
    split_blocks,
)
from scholarbot.records import Author, ImportBatch, Paper, name_key, paper_id_for

#: Optional feed score ("13.6"), subject ("CV"), date with or without year, optional "Code" flag.
_TAG_LINE = re.compile(
    rf"^(?P<score>\d+\.\d+)?(?P<subject>[A-Z]{{2}})(?P<month>{MONTH_RE}) (?P<day>\d{{1,2}})"
    r"(?:, (?P<year>\d{4}))?(?P<code>Code)?$"
)
_HEADER = {
    "h_index": re.compile(r"^h-index\s*([\d,]+)$", re.I),
    "papers": re.compile(r"^([\d,]+)\s*papers$", re.I),
    "citations": re.compile(r"^([\d,]+)\s*citations$", re.I),
    "novelty_pct": re.compile(r"^Novelty\s*([\d.]+)%$", re.I),
    "ai_score": re.compile(r"^AI Score\s*([\d.]+)$", re.I),
}
_ET_AL = re.compile(r",?\s*et al\.?$")
_AUTHOR_PART = re.compile(r"^[^\W\d_][\w'’.-]*(?: [\w'’.-]+){0,4}$")


def _authors_line(line: str) -> tuple[list[str], bool, list[str]] | None:
    """("A, B, C et al. · pku, tsinghua") -> (names, truncated, labs); None for other lines."""
    if looks_like_prose(line):
        return None
    names_part, _, labs_part = line.partition(" · ")
    truncated = bool(_ET_AL.search(names_part))
    names_part = _ET_AL.sub("", names_part)
    names = [x.strip() for x in names_part.split(",") if x.strip()]
    # A bare one-name line reads as a title too; only trust it with a comma, "et al." or lab tags.
    if not names or not (truncated or labs_part or len(names) > 1):
        return None
    if not all(_AUTHOR_PART.match(x) for x in names):
        return None
    labs = [x.strip() for x in labs_part.split(",") if x.strip()]
    return names, truncated, labs


class PaperFeedImporter:
    """A feed of papers for one unnamed researcher: subject tags, dates, truncated author lists."""

    name = "paper-feed"
    description = 'paper feed page (text): "h-index44", "155papers", entries tagged like "CVMar 14, 2023Code"'

    def sniff(self, path: Path, head: str) -> bool:
        lines = head_lines(head)
        tagged = sum(1 for ln in lines if _TAG_LINE.match(ln))
        has_header = any(_HEADER["h_index"].match(ln) for ln in lines[:10])
        return tagged >= 2 or (tagged >= 1 and has_header)

    def parse(self, path: Path) -> ImportBatch:
        lines = read_lines(path, self.name)
        first = next((i for i, ln in enumerate(lines) if _TAG_LINE.match(ln)), len(lines))
        metrics: dict[str, int | float] = {}
        for ln in lines[:first]:
            for key, rx in _HEADER.items():
                if key not in metrics and (m := rx.match(ln)) and (v := number(m.group(1))) is not None:
                    metrics[key] = v

        blocks = split_blocks(lines[first:], _TAG_LINE)

        source = source_for(self.name, path)
        notes: list[str] = []
        papers: list[Paper] = []
        for tag, body in blocks:
            parsed = [_authors_line(ln) for ln in body]
            author_at = next((i for i, a in enumerate(parsed) if a is not None), None)
            # Title and abstract are told apart by shape, not position, so a swapped block still reads.
            others = [ln for i, ln in enumerate(body) if i != author_at]
            title_at = next((i for i, ln in enumerate(others) if not looks_like_prose(ln)), None)
            if title_at is None:
                notes.append(f"entry tagged {tag.group(0)!r} has no title; skipped")
                continue
            title = others.pop(title_at)
            abstract = " ".join(others)
            found = parsed[author_at] if author_at is not None else None
            # No author line at all counts as a truncated (empty) list, never as a complete one.
            names, truncated, labs = found if found is not None else ([], True, [])
            year = tag.group("year")
            shown_date = f"{tag.group('month')} {tag.group('day')}"
            tags = [f"subject:{tag.group('subject')}"]
            if tag.group("code"):
                tags.append("has-code")
            if not year:
                # The feed drops the year for recent items; which year is not ours to guess.
                tags.append(f"date-shown:{shown_date}")
            if tag.group("score"):
                tags.append(f"feed-score:{tag.group('score')}")
            # Lab tags describe the paper, not any one author, so they are not affiliations.
            tags.extend(f"lab:{lab}" for lab in labs)
            papers.append(
                Paper(
                    id=paper_id_for(title),
                    title=title,
                    abstract=abstract,
                    authors=tuple(Author(name=x) for x in names),
                    authors_complete=not truncated,
                    authors_omitted=None,
                    year=int(year) if year else None,
                    date=iso_date(year, tag.group("month"), tag.group("day")) if year else None,
                    code_urls=code_urls(abstract),
                    tags=tuple(tags),
                    sources=(source,),
                )
            )

        if not papers:
            raise MalformedFileError(path, self.name, "no papers found")
        owner, owner_note = _infer_owner(path, self.name, papers)
        notes.insert(0, owner_note)
        stated = metrics.get("papers")
        if stated is not None and stated != len(papers):
            notes.append(f"{len(papers)} of {stated:g} papers shown (the page states {stated:g} papers)")
        notes.append("author lists end in 'et al.'; the owner is only listed where their name is shown")
        return finish(
            path, self.name, page_format="paper-feed", name=owner, papers=papers, metrics=metrics, notes=notes
        )


def _infer_owner(path: Path, fmt: str, papers: list[Paper]) -> tuple[str, str]:
    """The page never names its owner: take the one name on clearly the most author lists."""
    per_key: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for p in papers:
        for key in {name_key(a.name) for a in p.authors}:
            per_key[key] += 1
        for a in p.authors:
            spellings.setdefault(name_key(a.name), Counter())[a.name] += 1
    ranked = per_key.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        raise MalformedFileError(path, fmt, "the page names no owner and no author stands out to infer one")
    key, count = ranked[0]
    name = spellings[key].most_common(1)[0][0]
    return name, (
        f"owner name inferred: the page does not name its owner; {name!r} is on the most shown "
        f"author lists ({count} of {len(papers)})"
    )
