"""ACL Anthology author pages as text: year headings, then title, "A | B" authors, venue, abstract."""

from __future__ import annotations

import re
from pathlib import Path

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

_YEAR = re.compile(r"^(?:19|20)\d{2}$")


class AclAuthorPageImporter:
    """An ACL Anthology author page: complete author lists, venue strings, year headings."""

    name = "acl-author-page"
    description = 'ACL Anthology author page (text): name, year headings, "A | B" author lines'

    def sniff(self, path: Path, head: str) -> bool:
        lines = head_lines(head, 80)
        return (
            len(lines) >= 4
            and looks_like_name(lines[0])
            and bool(_YEAR.match(lines[1]))
            and any(" | " in ln for ln in lines[2:40])
        )

    def parse(self, path: Path) -> ImportBatch:
        lines = read_lines(path, self.name)
        owner = lines[0] if lines and looks_like_name(lines[0]) else ""
        source = source_for(self.name, path)
        papers: list[Paper] = []
        notes: list[str] = []
        year: int | None = None
        i, n = 1, len(lines)
        while i < n:
            line = lines[i]
            if _YEAR.match(line):
                year = int(line)
                i += 1
                continue
            following = lines[i + 1 : i + 3]
            if (
                looks_like_prose(line)
                or len(following) < 2
                or any(_YEAR.match(x) or looks_like_prose(x) for x in following)
            ):
                notes.append(f"line {line[:60]!r} is not a title followed by authors and venue; skipped")
                i += 1
                continue
            title, author_line, venue = line, following[0], following[1]
            i += 3
            # The page prints the author and venue lines twice (citation block and details).
            while i < n and lines[i] in (author_line, venue):
                i += 1
            abstract = ""
            if i < n and not _YEAR.match(lines[i]) and looks_like_prose(lines[i]):
                abstract = lines[i]
                i += 1
            names = [a.strip() for a in author_line.split(" | ") if a.strip()]
            papers.append(
                Paper(
                    id=paper_id_for(title),
                    title=title,
                    abstract=abstract,
                    authors=tuple(Author(name=a) for a in names),
                    authors_complete=True,
                    year=year,
                    venue=venue,
                    code_urls=code_urls(abstract),
                    sources=(source,),
                )
            )
        return finish(path, self.name, page_format="acl-author", name=owner, papers=papers, notes=notes)
