"""Researcher records in Chroma, many to a row.

Embedded Chroma writes every metadata string twice (its log and its metadata table) and indexes it
(one SQLite index on key and value), so a row per researcher made researcher writes the largest part
of an ingest: 32,000 of the shared corpus's records wrote at 1,974/s one to a row and 11,333/s 24 to
a row compressed (`benchmarks/researcher_rows.py`). Nothing queries researchers inside Chroma (names
go through the people table, topics through papers), so they are kept in packs:

* A store's researchers are spread over B buckets by a hash of their id (the store's `researcher_packs`
  flag holds B); bucket b is the row ``rp_<b in hex>``, whose one metadata value is every record of the
  bucket, one ``id<TAB>record JSON`` line each, zlib-compressed and base64-encoded.
* Writes are buffered and applied bucket by bucket when the writer closes, so a resolution that writes
  every researcher writes every row once (a buffer past :data:`SPILL` records moves to a temporary
  SQLite file rather than memory). A few changed researchers rewrite only their buckets.
* B follows the store: it is chosen for about :data:`PER_PACK` records a bucket when the first pack is
  written, and everything is rewritten under a larger B once buckets hold four times that.
* Stores written one row per researcher (before packs) are read as they are, and moved into packs, in
  the same way, at their next researcher write. The count of researchers is a flag written with them
  (Chroma can only count rows).

Records are the same canonical JSON text as before, so record hashes do not change.
"""

from __future__ import annotations

import base64
import contextlib
import sqlite3
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Flag holding the number of buckets; absent in stores with one row per researcher.
PACKS_FLAG = "researcher_packs"
#: Flag holding how many researchers the packs hold.
COUNT_FLAG = "researcher_count"
#: Records a bucket is sized for; buckets are re-made when they average four times this.
PER_PACK = 24
#: Buffered records held in memory before the buffer moves to a temporary file.
SPILL = 50_000
#: Buckets read and written per Chroma call.
BUCKETS_PER_CALL = 500
#: Prefix of pack row ids (researcher ids start with "r_", so the two never meet).
PACK_PREFIX = "rp_"


def bucket_of(rid: str, buckets: int) -> int:
    return zlib.crc32(rid.encode()) % buckets


def pack_id(bucket: int) -> str:
    return f"{PACK_PREFIX}{bucket:x}"


def encode(lines: Mapping[str, str]) -> str:
    """One bucket's records (id -> canonical record JSON) as a metadata string."""
    # Canonical JSON escapes tabs and newlines, so neither can occur inside a record.
    text = "\n".join(f"{rid}\t{lines[rid]}" for rid in sorted(lines))
    return base64.b64encode(zlib.compress(text.encode(), 6)).decode("ascii")


def decode(blob: str) -> dict[str, str]:
    """The inverse of :func:`encode`."""
    text = zlib.decompress(base64.b64decode(blob)).decode()
    out: dict[str, str] = {}
    for line in text.split("\n") if text else ():
        rid, record = line.split("\t", 1)
        out[rid] = record
    return out


def buckets_for(count: int) -> int:
    """Buckets for a store of `count` researchers: a power of two, about PER_PACK records each."""
    target = max(16, -(-count // PER_PACK))
    return 1 << (target - 1).bit_length()


class _Buffer:
    """Pending records by id (None: delete), latest write winning; in memory, then a temporary file."""

    def __init__(self) -> None:
        self.memory: dict[str, str | None] = {}
        self._db: sqlite3.Connection | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.size = 0

    def put(self, items: Iterable[tuple[str, str | None]], keep_existing: bool = False) -> None:
        """Add records; `keep_existing` leaves ids already pending as they are."""
        it = iter(items)
        if self._db is None:
            for rid, record in it:
                if not (keep_existing and rid in self.memory):
                    self.memory[rid] = record
                if len(self.memory) > SPILL:
                    self._spill()
                    break
            else:
                self.size = len(self.memory)
                return
        assert self._db is not None
        verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
        before = self._db.total_changes
        self._db.executemany(f"{verb} INTO buf VALUES (?, ?)", it)
        # An upper bound (a replaced id counts again): exact counts scan the file.
        self.size += self._db.total_changes - before

    def _spill(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="scholarbot-packs-")
        self._db = sqlite3.connect(Path(self._dir.name) / "buffer.sqlite3")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE buf (rid TEXT PRIMARY KEY, record TEXT)")
        self._db.executemany("INSERT INTO buf VALUES (?, ?)", self.memory.items())
        self.size = len(self.memory)
        self.memory = {}

    def by_bucket(self, buckets: int) -> Iterator[tuple[int, dict[str, str | None]]]:
        """Every pending record grouped by bucket, in bucket order."""
        if self._db is None:
            grouped: dict[int, dict[str, str | None]] = defaultdict(dict)
            for rid, record in self.memory.items():
                grouped[bucket_of(rid, buckets)][rid] = record
            yield from sorted(grouped.items())
            return
        # One pass over the file; each bucket's records are collected as the scan reaches them.
        db = self._db
        db.create_function("bucket", 1, lambda rid: bucket_of(rid, buckets), deterministic=True)
        current = -1
        records: dict[str, str | None] = {}
        for b, rid, record in db.execute("SELECT bucket(rid) AS b, rid, record FROM buf ORDER BY b"):
            if b != current and records:
                yield current, records
                records = {}
            current = b
            records[rid] = record
        if records:
            yield current, records

    def live(self) -> int:
        """Pending records that are writes, not deletes (exact, unlike `size`)."""
        if self._db is None:
            return sum(1 for r in self.memory.values() if r is not None)
        return int(self._db.execute("SELECT count(*) FROM buf WHERE record IS NOT NULL").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class ResearcherRows:
    """The researchers collection, in packs (or one row per researcher in older stores)."""

    def __init__(
        self,
        collection: Any,
        flags: Callable[[], dict[str, Any]],
        set_flags: Callable[[Mapping[str, str | float | bool]], str],
        write: Callable[[list[str], list[dict[str, Any]]], None],
        page: Callable[[], int],
    ) -> None:
        self.collection = collection
        self._flags = flags
        self._set_flags = set_flags
        self._write = write
        self._page = page

    def buckets(self) -> int | None:
        value = self._flags().get(PACKS_FLAG)
        return int(value) if value else None

    def count(self) -> int:
        flags = self._flags()
        if flags.get(PACKS_FLAG):
            return int(flags.get(COUNT_FLAG) or 0)
        return int(self.collection.count())

    # --- reading ---------------------------------------------------------------------------------

    def _rows(self, ids: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        page = self._page()
        for start in range(0, len(ids), page):
            res = self.collection.get(ids=list(ids[start : start + page]), include=["metadatas"])
            yield from zip(res["ids"], res["metadatas"], strict=True)

    def _all_ids(self) -> list[str]:
        return list(self.collection.get(include=[])["ids"])

    def lines(self, ids: Sequence[str] | None = None) -> Iterator[tuple[str, str]]:
        """(id, record JSON) of the researchers asked for, or of every researcher."""
        buckets = self.buckets()
        if buckets is None:
            # One row per researcher; ignore any packs a move into packs left when it was cut short.
            wanted = ids if ids is not None else [i for i in self._all_ids() if not i.startswith(PACK_PREFIX)]
            for rid, meta in self._rows(wanted):
                if not rid.startswith(PACK_PREFIX):
                    yield rid, str(meta["record"])
            return
        if ids is None:
            packs = sorted(i for i in self._all_ids() if i.startswith(PACK_PREFIX))
            for _pid, meta in self._rows(packs):
                yield from decode(meta["records"]).items()
            return
        asked = set(ids)
        packs = sorted({pack_id(bucket_of(rid, buckets)) for rid in asked})
        for _pid, meta in self._rows(packs):
            for rid, record in decode(meta["records"]).items():
                if rid in asked:
                    yield rid, record

    # --- writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self) -> Iterator[PackWriter]:
        """Buffer researcher writes and deletes; they reach the store, bucket by bucket, on exit."""
        w = PackWriter(self)
        try:
            yield w
            w.flush()
        finally:
            w.buffer.close()


class PackWriter:
    """Pending researcher writes (see :meth:`ResearcherRows.writer`)."""

    def __init__(self, rows: ResearcherRows) -> None:
        self.rows = rows
        self.buffer = _Buffer()

    def upsert(self, records: Iterable[tuple[str, str]]) -> None:
        """Write researchers, as (id, canonical record JSON)."""
        self.buffer.put(list(records))

    def delete(self, ids: Iterable[str]) -> None:
        self.buffer.put([(rid, None) for rid in ids])

    def flush(self) -> None:
        if not self.buffer.size:
            return
        rows = self.rows
        flags = rows._flags()
        buckets = int(flags[PACKS_FLAG]) if flags.get(PACKS_FLAG) else None
        held = int(flags.get(COUNT_FLAG) or 0) if buckets else int(rows.collection.count())
        rewrite = buckets is None and held > 0
        if buckets is not None and (held + self.buffer.size) > 4 * PER_PACK * buckets:
            rewrite = True
        if rewrite:
            # Everything into the buffer (what this writer wrote wins), then every row written anew;
            # the flag names the new layout before the old rows go, so readers never see neither.
            self.buffer.put(rows.lines(), keep_existing=True)
            stale = rows._all_ids()
            buckets = buckets_for(self.buffer.live())
            count, written = self._write_all(buckets, read_packs=False)
            rows._set_flags({PACKS_FLAG: buckets, COUNT_FLAG: count})
            gone = [i for i in stale if i not in written]
            page = rows._page()
            for start in range(0, len(gone), page):
                rows.collection.delete(ids=gone[start : start + page])
            return
        if buckets is None:  # an empty store's first researchers
            buckets = buckets_for(self.buffer.size)
        delta, _ = self._write_all(buckets, read_packs=True)
        rows._set_flags({PACKS_FLAG: buckets, COUNT_FLAG: held + delta})

    def _write_all(self, buckets: int, read_packs: bool) -> tuple[int, set[str]]:
        """Apply the buffer bucket by bucket: the change in researchers held, and the packs written."""
        delta = 0
        written: set[str] = set()
        chunk: list[tuple[int, dict[str, str | None]]] = []

        def apply() -> int:
            ids = [pack_id(b) for b, _ in chunk]
            current: dict[str, dict[str, str]] = {}
            if read_packs:
                current = {pid: decode(meta["records"]) for pid, meta in self.rows._rows(ids)}
            out_ids: list[str] = []
            out_rows: list[dict[str, Any]] = []
            empty: list[str] = []
            change = 0
            for b, pending in chunk:
                pid = pack_id(b)
                records = current.get(pid, {})
                before = len(records)
                for rid, record in pending.items():
                    if record is None:
                        records.pop(rid, None)
                    else:
                        records[rid] = record
                change += len(records) - before
                if records:
                    out_ids.append(pid)
                    out_rows.append({"records": encode(records)})
                elif pid in current:
                    empty.append(pid)
            if out_ids:
                self.rows._write(out_ids, out_rows)
                written.update(out_ids)
            if empty:
                self.rows.collection.delete(ids=empty)
            return change

        for item in self.buffer.by_bucket(buckets):
            chunk.append(item)
            if len(chunk) >= BUCKETS_PER_CALL:
                delta += apply()
                chunk = []
        if chunk:
            delta += apply()
        return delta, written
