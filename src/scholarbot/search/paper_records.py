"""Each indexed paper's record, read by row from files beside the search index.

Answering reads paper records (titles, authors, venues to cite) for a handful of rows a question;
reading them from Chroma would load its vector index into the process first. Records live in
segment files that are never rewritten: a patched index hard-links the previous generation's
segments, writes the changed and new records to one new segment and points their rows at it, so a
patch writes only what changed and a process still on the older generation reads on undisturbed.
A full build starts again from one segment.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import shutil
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

#: Segments a generation may have before a patch copies its live records into one: each patch adds
#: one, and every open index holds each segment open.
MAX_SEGMENTS = 16
#: Records copied per read while compacting.
COMPACT_SLICE = 10_000
#: Segment files: records-<n>.bin, n counting up from 0.
_SEGMENT = re.compile(r"records-(\d+)\.bin")


def _segment(folder: Path, n: int) -> Path:
    return folder / f"records-{n}.bin"


def _segments(folder: Path) -> list[int]:
    return sorted(int(m.group(1)) for p in folder.glob("records-*.bin") if (m := _SEGMENT.fullmatch(p.name)))


class RecordFile:
    """Read-only records by row: (segment, offset, length) spans into a folder's segment files.

    The segments are opened when the file is: a process keeps reading the generation it opened even
    after a rebuild replaces the folder's files (it notices the new generation on its next question).
    """

    def __init__(self, folder: Path, spans: np.ndarray) -> None:
        self.spans = spans
        self._fds = {n: os.open(_segment(folder, n), os.O_RDONLY) for n in _segments(folder)}
        # File descriptors, not objects: close them when the index is dropped, however it is.
        self._closer = weakref.finalize(self, _close_all, list(self._fds.values()))

    def __len__(self) -> int:
        return len(self.spans)

    @property
    def segments(self) -> int:
        return len(self._fds)

    def get(self, rows: Iterable[int]) -> list[bytes]:
        """The records of the given rows, in order."""
        out = []
        for row in rows:
            segment, offset, length = (int(v) for v in self.spans[int(row)])
            out.append(os.pread(self._fds[segment], length, offset))
        return out

    def rows_containing(self, needle: bytes, most: int = 20) -> list[int]:
        """Rows whose record holds `needle` not followed by a letter or digit (an identifier: a DOI,
        a link's paper id), by a scan of the segment files. Rare questions ask this, so nothing is
        kept for it: the scan reads each segment once (about a second per gigabyte)."""
        found: set[int] = set()
        for segment, fd in self._fds.items():
            size = os.fstat(fd).st_size
            live = np.flatnonzero(self.spans[:, 0] == segment)
            if not size or not len(live):
                continue
            live = live[np.argsort(self.spans[live, 1], kind="stable")]
            starts = self.spans[live, 1]
            with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as data:
                at = data.find(needle)
                while at >= 0 and len(found) < most:
                    end = at + len(needle)
                    i = int(np.searchsorted(starts, at, side="right")) - 1
                    if i >= 0 and not (end < size and data[end : end + 1].isalnum()):
                        row = int(live[i])
                        _, offset, length = (int(v) for v in self.spans[row])
                        if offset <= at and end <= offset + length:
                            found.add(row)
                    at = data.find(needle, at + 1)
        return sorted(found)

    def close(self) -> None:
        self._closer()


class RecordWriter:
    """Writes records into a staging folder and keeps each row's span; `RecordFile` reads the result."""

    def __init__(self, folder: Path, base: RecordFile | None = None, base_folder: Path | None = None) -> None:
        """A first segment in `folder`, or continuing `base` (a saved generation in `base_folder`):
        its segments are linked and a new one takes the writes, or, once it has MAX_SEGMENTS of
        them, its live records are copied into one new segment first."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.spans: list[tuple[int, int, int]] = []
        self.segment = 0
        compact = base is not None and base.segments >= MAX_SEGMENTS
        if base is not None and base_folder is not None and not compact:
            for n in _segments(base_folder):
                _link(_segment(base_folder, n), _segment(folder, n))
                self.segment = n + 1
            self.spans = [(int(s), int(o), int(n)) for s, o, n in base.spans.tolist()]
        # "x": a name already there would be a linked segment of the saved generation.
        self._file = _segment(folder, self.segment).open("xb")
        self._end = 0
        if base is not None and compact:
            for start in range(0, len(base), COMPACT_SLICE):
                self.append(base.get(range(start, min(start + COMPACT_SLICE, len(base)))))

    def append(self, records: Sequence[bytes]) -> None:
        """Records for new rows, after the existing ones."""
        for rec in records:
            self.spans.append(self._write(rec))

    def replace(self, row: int, record: bytes) -> None:
        """A new record for an existing row."""
        self.spans[row] = self._write(record)

    def _write(self, record: bytes) -> tuple[int, int, int]:
        span = (self.segment, self._end, len(record))
        self._file.write(record)
        self._end += len(record)
        return span

    def close(self) -> RecordFile:
        """Flush the new segment; the records as written, readable by row."""
        self._file.close()
        return RecordFile(self.folder, np.asarray(self.spans, dtype=np.int64).reshape(-1, 3))


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # segments are immutable: sharing the bytes is safe and free
    except OSError:
        shutil.copyfile(source, target)  # a file system without hard links
