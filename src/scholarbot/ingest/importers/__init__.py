"""Pick the right importer for each file and expand folders into files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from scholarbot.errors import MalformedFileError, UnknownFormatError
from scholarbot.ingest.importers.base import Importer
from scholarbot.ingest.importers.paperlists import PaperlistsImporter
from scholarbot.ingest.importers.profile_pages import PROFILE_IMPORTERS
from scholarbot.records import ImportBatch

IMPORTERS: tuple[Importer, ...] = (PaperlistsImporter(), *PROFILE_IMPORTERS)

#: Bytes read to recognise a format; every format announces itself well within this.
SNIFF_BYTES = 64 * 1024


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield files under the given files and folders, sorted, skipping hidden ones."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        elif path.exists():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")


def detect(path: Path) -> Importer:
    """Return the importer for a file or raise UnknownFormatError naming the known formats."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(SNIFF_BYTES)
    except OSError as e:
        raise MalformedFileError(path, "any", str(e)) from e
    head = raw.decode("utf-8", errors="replace")
    for imp in IMPORTERS:
        if imp.sniff(path, head):
            return imp
    raise UnknownFormatError(path, [imp.name for imp in IMPORTERS])


def read_file(path: Path) -> ImportBatch:
    """Detect a file's format and parse it."""
    return detect(path).parse(path)
