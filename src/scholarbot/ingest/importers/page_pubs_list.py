"""Publication-list pages: citation counts, then arXiv entries whose author names run together."""

from __future__ import annotations

import re
from pathlib import Path

from scholarbot.ingest.importers.page_common import (
    code_urls,
    finish,
    head_lines,
    iso_date,
    looks_like_prose,
    read_lines,
    source_for,
    split_blocks,
)
from scholarbot.records import Author, ImportBatch, Paper, name_key, paper_id_for, split_arxiv_id

#: "#1 2605.03426v1 May 05, 2026"
_ENTRY = re.compile(r"^#\d+\s+(\d{4}\.\d{4,5}(?:v\d+)?)\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})$")
_LABEL = re.compile(r"^(Total Citations|h-index|Papers)\s*:?\s*([\d,]*)$", re.I)
_METRIC_KEYS = {"total citations": "citations", "h-index": "h_index", "papers": "papers"}
_CITED = re.compile(r"^([\d,]+)\s+Citations?$", re.I)
_MORE = re.compile(r"^\+(\d+)$")
_NAME_TOKEN = re.compile(r"^[^\W\d_][\w'’.-]*$")
_PARTICLES = frozenset(
    {"al", "bin", "binti", "da", "das", "de", "del", "della", "den", "der", "di", "dos", "du", "el", "la"}
    | {"le", "ten", "ter", "van", "von", "y"}
)
_INITIAL = re.compile(r"^[A-Z]\.?(?:-[A-Z]\.?)?$")
#: Longest author line believed; abstracts are longer and never all capitalised words anyway.
_MAX_NAME_RUN = 600


def split_run_on_names(line: str, known: tuple[str, ...] = ()) -> tuple[list[str], int | None]:
    """Split "Xiaoshan Yang Hongwei Zheng +3" into names and the "+N" count of omitted authors.

    The page prints names with no delimiter, so the boundary is a guess: each name is taken as
    two words, with particles ("van", "de") and initials ("J.") riding along with the next word,
    and names already known to be on the paper (the page owner) matched first. A three-word
    name ("Maria del Carmen Ruiz" aside) or a one-word name shifts every later boundary; the
    page offers nothing better to go on.
    """
    tokens = line.split()
    omitted: int | None = None
    if tokens and (m := _MORE.match(tokens[-1])):
        omitted = int(m.group(1))
        tokens = tokens[:-1]
    known_tokens = [k.split() for k in known]
    names: list[str] = []
    current: list[str] = []
    words = 0
    i = 0
    while i < len(tokens):
        if not current:
            hit = next((k for k in known_tokens if _same(tokens[i : i + len(k)], k)), None)
            if hit:
                names.append(" ".join(tokens[i : i + len(hit)]))
                i += len(hit)
                continue
        tok = tokens[i]
        current.append(tok)
        i += 1
        if tok.lower() not in _PARTICLES and not _INITIAL.match(tok):
            words += 1
        if words == 2:
            names.append(" ".join(current))
            current, words = [], 0
    if current:
        names.append(" ".join(current))
    return names, omitted


def _same(a: list[str], b: list[str]) -> bool:
    return len(a) == len(b) and all(x.lower() == y.lower() for x, y in zip(a, b, strict=True))


def _is_name_run(line: str) -> bool:
    tokens = line.split()
    if not tokens or len(line) > _MAX_NAME_RUN:
        return False
    if _MORE.match(tokens[-1]):
        tokens = tokens[:-1]
    return bool(tokens) and all(
        t.lower() in _PARTICLES or (_NAME_TOKEN.match(t) is not None and t[0].isupper()) for t in tokens
    )


class PubsListImporter:
    """A publication list: citations, h-index, then "#N <arXiv id> <date>" entries."""

    name = "pubs-list"
    description = 'publication list page (text): "Total Citations", "h-index", "#1 <arXiv id> <date>" entries'

    def sniff(self, path: Path, head: str) -> bool:
        lines = head_lines(head)
        if any(_ENTRY.match(ln) for ln in lines):
            return True
        labels = {m.group(1).lower() for ln in lines if (m := _LABEL.match(ln))}
        return {"total citations", "h-index"} <= labels

    def parse(self, path: Path) -> ImportBatch:
        lines = read_lines(path, self.name)
        first_entry = next((i for i, ln in enumerate(lines) if _ENTRY.match(ln)), len(lines))
        header = lines[:first_entry]
        first_label = next((i for i, ln in enumerate(header) if _LABEL.match(ln)), len(header))
        # A one-letter avatar initial ("Z") precedes the name.
        names = [ln for ln in header[:first_label] if len(ln) > 1]
        owner = names[-1] if names else ""

        metrics: dict[str, int | float] = {}
        for i, ln in enumerate(header):
            if m := _LABEL.match(ln):
                value = m.group(2) or (header[i + 1] if i + 1 < len(header) else "")
                if value.replace(",", "").isdigit():
                    metrics[_METRIC_KEYS[m.group(1).lower()]] = int(value.replace(",", ""))

        blocks = split_blocks(lines[first_entry:], _ENTRY)

        source = source_for(self.name, path)
        notes: list[str] = []
        papers: list[Paper] = []
        for entry, body in blocks:
            cited = [int(m.group(1).replace(",", "")) for ln in body if (m := _CITED.match(ln))]
            body = [ln for ln in body if not _CITED.match(ln)]
            if not body or looks_like_prose(body[0]):
                notes.append(f"entry {entry.group(1)} has no title; skipped")
                continue
            title, rest = body[0], body[1:]
            author_at = next((i for i in range(len(rest) - 1, -1, -1) if _is_name_run(rest[i])), None)
            shown: list[str] = []
            omitted: int | None = None
            if author_at is not None:
                shown, omitted = split_run_on_names(rest[author_at], (owner,))
            abstract = " ".join(ln for i, ln in enumerate(rest) if i != author_at)
            # A publications page lists its owner's own works, so the owner is an author; when the
            # shown names leave the owner out, the owner is one of the "+N", which leaves N - 1
            # authors the page does not name.
            if owner and name_key(owner) not in {name_key(n) for n in shown}:
                shown.append(owner)
                if omitted:
                    omitted -= 1
            arxiv = split_arxiv_id(entry.group(1))
            papers.append(
                Paper(
                    id=paper_id_for(title),
                    title=title,
                    abstract=abstract,
                    authors=tuple(Author(name=n) for n in shown),
                    authors_complete=author_at is not None and not omitted,
                    authors_omitted=omitted or None,
                    year=int(entry.group(4)),
                    date=iso_date(entry.group(4), entry.group(2), entry.group(3)),
                    venue="arXiv",
                    code_urls=code_urls(abstract),
                    url=f"https://arxiv.org/abs/{arxiv[0]}" if arxiv else None,
                    external_ids={"arxiv": arxiv[0]} if arxiv else {},
                    versions=(entry.group(1),) if arxiv and arxiv[1] else (),
                    citation_count=cited[0] if cited else None,
                    sources=(source,),
                )
            )
        return finish(
            path, self.name, page_format="pubs-list", name=owner, papers=papers, metrics=metrics, notes=notes
        )
