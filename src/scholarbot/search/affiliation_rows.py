"""Which papers print which affiliation, as postings saved beside the search index.

A question about a place's papers ("how many papers from Tsinghua in 2024?") used to read the record
of every paper of everyone ever placed there to see whether it prints the place: 200k records and
1.5 s warm (5.8 s cold) at a million papers. The postings answer it from two memory-mapped arrays:
each (affiliation, paper) pair once, sorted by a 64-bit digest of the affiliation as printed. A
digest rather than the text keeps the arrays fixed-width; at 64 bits two affiliations of one store
sharing a digest is a one-in-a-billion event, and would only add the other's papers.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

KEYS_FILE = "affiliation_keys.npy"
ROWS_FILE = "affiliation_rows.npy"
#: Records read per slice when the postings are made from a saved index's records.
RECORD_SLICE = 10_000


def affiliation_key(text: str) -> int:
    """The digest an affiliation is filed under."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class AffiliationRows:
    """Rows of the papers that print an affiliation, by the affiliation's exact printed text."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray) -> None:
        #: Sorted digests, one per (affiliation, paper) pair, and each pair's paper row.
        self.keys = keys
        self.rows = rows

    @classmethod
    def of(cls, printed: Iterable[Iterable[str]], first_row: int = 0) -> AffiliationRows:
        """Postings for consecutive rows, starting at `first_row`, from each row's affiliations."""
        keys: list[int] = []
        rows: list[int] = []
        for row, texts in enumerate(printed, start=first_row):
            for key in {affiliation_key(t) for t in texts}:
                keys.append(key)
                rows.append(row)
        return cls._sorted(np.array(keys, dtype=np.int64), np.array(rows, dtype=np.int64))

    @classmethod
    def from_records(
        cls, count: int, read: Callable[[range], Sequence[bytes]], printed: Callable[[bytes], Iterable[str]]
    ) -> AffiliationRows:
        """Postings made from saved records (`read` gives the records of a range of rows)."""
        parts = [
            cls.of((printed(b) for b in read(range(start, min(start + RECORD_SLICE, count)))), start)
            for start in range(0, count, RECORD_SLICE)
        ]
        if not parts:
            return cls.of(())
        return cls._sorted(np.concatenate([p.keys for p in parts]), np.concatenate([p.rows for p in parts]))

    @staticmethod
    def _sorted(keys: np.ndarray, rows: np.ndarray) -> AffiliationRows:
        order = np.lexsort((rows, keys))
        return AffiliationRows(keys[order], rows[order])

    def __len__(self) -> int:
        return len(self.keys)

    def rows_printing(self, texts: Iterable[str]) -> np.ndarray:
        """Sorted rows of the papers that print any of `texts`."""
        wanted = np.unique(np.array([affiliation_key(t) for t in texts], dtype=np.int64))
        if not len(wanted) or not len(self.keys):
            return np.zeros(0, dtype=np.int64)
        lo = np.searchsorted(self.keys, wanted, side="left")
        hi = np.searchsorted(self.keys, wanted, side="right")
        found = [np.asarray(self.rows[a:b]) for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def rows_printing_none(self, count: int) -> np.ndarray:
        """Sorted rows, of the first `count`, whose papers print no affiliation at all."""
        printing = np.zeros(count, dtype=bool)
        printing[np.asarray(self.rows)] = True
        return np.flatnonzero(~printing)

    def patched(self, changes: Mapping[int, Iterable[str]]) -> AffiliationRows:
        """These postings with the given rows' affiliations replaced (or added, for new rows)."""
        changed = np.fromiter(changes, dtype=np.int64, count=len(changes))
        keep = ~np.isin(np.asarray(self.rows), changed)
        new = AffiliationRows.of(changes[r] for r in changes)
        # `of` numbers rows from 0 in the order given: map them back to the rows they stand for.
        new_rows = changed[new.rows] if len(new) else new.rows
        return self._sorted(
            np.concatenate([np.asarray(self.keys)[keep], new.keys]),
            np.concatenate([np.asarray(self.rows)[keep], new_rows]),
        )

    def save(self, folder: Path) -> None:
        """Write both arrays into `folder`, each replacing any older one whole."""
        for name, array in ((KEYS_FILE, self.keys), (ROWS_FILE, self.rows)):
            tmp = folder / f"{name}.tmp-{os.getpid()}"
            with tmp.open("wb") as f:
                np.save(f, np.asarray(array))
            os.replace(tmp, folder / name)

    @classmethod
    def load(cls, folder: Path) -> AffiliationRows | None:
        """The saved postings, memory-mapped; None when the folder has none (or a torn pair)."""
        try:
            keys = np.load(folder / KEYS_FILE, mmap_mode="r")
            rows = np.load(folder / ROWS_FILE, mmap_mode="r")
        except (OSError, ValueError):
            return None
        return cls(keys, rows) if len(keys) == len(rows) else None
