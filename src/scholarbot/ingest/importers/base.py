"""The importer seam: each format sniffs a file's head and parses the whole file to records."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from scholarbot.records import ImportBatch


class Importer(Protocol):
    """One file format scholarbot can read."""

    #: Short name shown in messages and summaries ("paperlists-json", "acl-author-page", ...).
    name: str
    #: One line a user can recognise the format by.
    description: str

    def sniff(self, path: Path, head: str) -> bool:
        """Say whether this file is in this format, from its name and first 64 KiB of text."""
        ...

    def parse(self, path: Path) -> ImportBatch:
        """Read the file; raise MalformedFileError when it is this format but broken."""
        ...
