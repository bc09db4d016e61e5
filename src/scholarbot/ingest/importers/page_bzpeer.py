"""BZPEER "Researcher profile" pages: a trust snapshot of counts and works listed without coauthors."""

from __future__ import annotations

import re
from pathlib import Path

from scholarbot.errors import MalformedFileError
from scholarbot.ingest.importers.page_common import (
    code_urls,
    finish,
    head_lines,
    looks_like_name,
    looks_like_prose,
    read_lines,
    source_for,
)
from scholarbot.records import Author, ImportBatch, Paper, paper_id_for

_HEADING = "Researcher profile"
_WORKS = "Published work"
#: "preprint2026arXiv": kind, year and venue printed without separators.
_KIND = re.compile(r"^([a-z][a-z-]{2,30})((?:19|20)\d{2})(\S.{0,80})?$")
_COUNT = re.compile(r"^([\d,]+)\s*(works|followers|topics|close collaborators)$", re.I)
_TRUST = re.compile(r"^Trust\s+(\d+)\b")
_STATED = re.compile(r"^(\d+) published items?(?:\(s\))?$", re.I)
# The role, affiliation and availability are run together: "Researcher<affiliation>Open to collaborate".
_ROLE_LINE = re.compile(r"^Researcher(.*?)(?:Open to collaborate|Not open to collaborate)$")
_NO_AFFILIATION = "Affiliation not imported"


class BzpeerProfileImporter:
    """A BZPEER profile: owner, snapshot counts, and works whose coauthors the page never shows."""

    name = "bzpeer-profile"
    description = 'BZPEER "Researcher profile" page (text): trust snapshot and published work'

    def sniff(self, path: Path, head: str) -> bool:
        lines = head_lines(head)
        return bool(lines) and lines[0] == _HEADING and ("Trust snapshot" in lines or _WORKS in lines)

    def parse(self, path: Path) -> ImportBatch:
        lines = read_lines(path, self.name)
        if not lines or lines[0] != _HEADING:
            raise MalformedFileError(path, self.name, f'does not start with "{_HEADING}"')
        owner = lines[1] if len(lines) > 1 and looks_like_name(lines[1]) else ""
        start = lines.index(_WORKS) if _WORKS in lines else len(lines)

        metrics: dict[str, int | float] = {}
        notes: list[str] = []
        affiliations: tuple[str, ...] = ()
        for line in lines[2:start]:
            if m := _TRUST.match(line):
                metrics["trust"] = int(m.group(1))
                # Verification level and claim status are glued together; kept verbatim, not split.
                notes.append(f"trust line as shown: {line}")
            elif m := _COUNT.match(line):
                metrics[m.group(2).lower().replace(" ", "_")] = int(m.group(1).replace(",", ""))
            elif (m := _ROLE_LINE.match(line)) and m.group(1).strip() not in ("", _NO_AFFILIATION):
                affiliations = (m.group(1).strip(),)
        if "topics" in metrics:
            notes.append(f"{metrics['topics']} topics counted but not listed")
        if "close_collaborators" in metrics:
            notes.append(f"{metrics['close_collaborators']} close collaborators counted but not named")
        notes.append("works are listed without coauthors; only the page owner is recorded as an author")

        stated: int | None = None
        entries: list[tuple[re.Match[str], list[str]]] = []
        for line in lines[start + 1 :]:
            if (m := _STATED.match(line)) and not entries:
                stated = int(m.group(1))
            elif m := _KIND.match(line):
                entries.append((m, []))
            elif entries:
                entries[-1][1].append(line)

        papers: list[Paper] = []
        source = source_for(self.name, path)
        for kind, body in entries:
            if not body or looks_like_prose(body[0]):
                notes.append(f"an item of kind {kind.group(0)!r} has no title; skipped")
                continue
            abstract = " ".join(body[1:])
            papers.append(
                Paper(
                    id=paper_id_for(body[0]),
                    title=body[0],
                    abstract=abstract,
                    authors=(Author(name=owner),) if owner else (),
                    authors_complete=False,
                    authors_omitted=None,
                    year=int(kind.group(2)),
                    venue=(kind.group(3) or "").strip() or None,
                    code_urls=code_urls(abstract),
                    tags=(f"kind:{kind.group(1)}",),
                    sources=(source,),
                )
            )
        if stated is not None and stated != len(papers):
            notes.append(f"{len(papers)} of {stated} stated published items shown")
        return finish(
            path,
            self.name,
            page_format="bzpeer",
            name=owner,
            papers=papers,
            metrics=metrics,
            notes=notes,
            affiliations=affiliations,
        )
