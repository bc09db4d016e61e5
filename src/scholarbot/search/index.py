"""Hybrid paper search: BM25 over title + abstract fused with dense vectors from the store.

The index is built from the store's contents (the same for an embedded store and a Chroma
server) and cached on disk per store generation, then answers in milliseconds, optionally within
a set of papers (one person's work).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from scholarbot.records import Paper
from scholarbot.search.affiliation_rows import AffiliationRows
from scholarbot.search.ann import Ann
from scholarbot.search.lexical import TokenArrays, bm25_index, stemmed_words
from scholarbot.search.paper_records import RecordFile, RecordWriter
from scholarbot.store.store import (
    DEEP_EMBEDDER,
    DEEP_FLAG,
    DEEP_WEIGHT_FLAG,
    WRITE_CLOCK_MARGIN_S,
    Store,
    paper_from_blob,
    printed_affiliations,
)

#: z-score at which meaning evidence counts fully (about the top 0.01% of a store).
DENSE_Z_SCALE = 4.0
#: Weight of meaning evidence against a perfect lexical match, per kind of vector.
DENSE_WEIGHT_STATIC = 1.0
DENSE_WEIGHT_DEEP = 2.0

#: Titles used as probe queries when calibrating the "related" cosine floor, and the quantile taken.
DENSE_FLOOR_PROBES = 200
DENSE_FLOOR_QUANTILE = 0.999
#: Layout of the cache folder; an older one is rebuilt.
INDEX_FORMAT = 6
#: The approximate index's file in the cache folder.
ANN_FILE = "ann.usearch"
#: A change to more than this share of the papers (and more than UPDATE_MIN_ROWS) is a full build.
UPDATE_SHARE = 0.2
UPDATE_MIN_ROWS = 1000
#: A store of at least this many papers has a stale or missing index patched or built in a child
#: process when the caller can start one (and the bot's digests read and write it there:
#: services.py): at 500k papers a patch peaked at 3 GB (the store's own vector index, loaded to read
#: the changed papers, was 750 MB of it), where answering needs 1 GB; below it, starting the child
#: (imports, the model) would cost more than the work.
REFRESH_ELSEWHERE_ROWS = 50_000
#: Bytes copied per read when a patch copies the saved vectors into its new folder.
COPY_CHUNK = 64 << 20

Mode = Literal["hybrid", "bm25", "dense"]
#: A word the tokenizer keeps whole (bm25s's token pattern).
_ONE_TOKEN = re.compile(r"\w\w+")
#: The stop words BM25 leaves out (stemmed_words: bm25s's English list).
_STOPWORDS = frozenset(STOPWORDS_EN)

log = logging.getLogger(__name__)

#: Candidates asked of the approximate index (ann.py) per question, at first and at most. When even
#: the last candidate is still "related" (above the floor), more may be, so the ask is widened.
ANN_CANDIDATES = 1000
ANN_CANDIDATES_MAX = 16_000
#: Best lexical matches whose meaning is always computed exactly, so fusion sees both halves for them.
LEXICAL_CANDIDATES = 2000
#: Papers whose cosines estimate a question's mean and spread over the store (approximate mode): 16 MB
#: of vectors, a millisecond per question. With 4,096, 4 of 175 answers at 13k listed other "nearest
#: papers" for absent topics, whose fused scores are close enough for small z-score changes to reorder.
SAMPLE_ROWS = 16_384
#: Distinct questions whose cosines are kept (a topic is scored several ways per answer).
COSINE_CACHE = 32
#: Labels (tracks, categories, awards: `records.paper_labels`) are bits of one word per paper; a
#: store with more distinct labels keeps the commonest.
MAX_LABELS = 64


@dataclass(frozen=True)
class LabelColumn:
    """Each paper's labels as bits into `names`: "Findings papers at NAACL" filters rows without
    reading records."""

    names: list[str]
    bits: np.ndarray

    @classmethod
    def of(cls, labels: Sequence[tuple[str, ...]]) -> LabelColumn:
        counts = Counter(label for held in labels for label in held)
        names = sorted(name for name, _ in counts.most_common(MAX_LABELS))
        bit = {name: 1 << i for i, name in enumerate(names)}
        packed: dict[tuple[str, ...], int] = {}  # few distinct combinations: each packed once
        out = np.zeros(len(labels), dtype=np.uint64)
        for r, held in enumerate(labels):
            if held:
                if held not in packed:
                    packed[held] = sum(bit.get(label, 0) for label in set(held))
                out[r] = packed[held]
        return cls(names, out)

    def decoded(self) -> list[tuple[str, ...]]:
        """Each row's labels by name (a patch re-packs them with the changed papers')."""
        unpacked: dict[int, tuple[str, ...]] = {}
        out = []
        for value in self.bits.tolist():
            if value not in unpacked:
                unpacked[value] = tuple(n for i, n in enumerate(self.names) if value >> i & 1)
            out.append(unpacked[value])
        return out

    def mask(self, labels: Iterable[str]) -> np.ndarray:
        """Whether each row has any of `labels`."""
        asked = set(labels)
        want = sum(1 << i for i, n in enumerate(self.names) if n in asked)
        return (np.asarray(self.bits) & np.uint64(want)) != 0

    def held(self, rows: np.ndarray) -> list[str]:
        """The labels any of `rows` has."""
        value = int(np.bitwise_or.reduce(np.asarray(self.bits)[rows])) if len(rows) else 0
        return [n for i, n in enumerate(self.names) if value >> i & 1]


@dataclass(frozen=True)
class Scored:
    """A paper id with its fused score and the parts it came from."""

    id: str
    score: float
    lexical: float
    dense: float


class Column(Sequence[str]):
    """Read-only strings by row over a fixed-width byte array (memory-mapped when loaded from disk)."""

    def __init__(self, raw: np.ndarray) -> None:
        self.raw = raw

    @classmethod
    def of(cls, values: Sequence[str]) -> Column:
        return cls(np.array([v.encode() for v in values], dtype=bytes) if values else np.zeros(0, "S1"))

    def __len__(self) -> int:
        return len(self.raw)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [bytes(v).decode() for v in self.raw[i]]
        return bytes(self.raw[int(i)]).decode()


class RowLookup:
    """Paper id -> row through a sorted copy of the ids (binary search; no per-paper Python objects)."""

    def __init__(self, sorted_ids: np.ndarray, order: np.ndarray) -> None:
        self.sorted_ids = sorted_ids
        self.order = order

    @classmethod
    def of(cls, ids: Column) -> RowLookup:
        order = np.argsort(ids.raw, kind="stable")
        return cls(ids.raw[order], order.astype(np.int64))

    def rows(self, ids: Iterable[str]) -> np.ndarray:
        """Rows of the ids that are indexed, in the given order (unknown ids are left out)."""
        width = self.sorted_ids.dtype.itemsize
        keys = [k for k in (i.encode() for i in ids) if len(k) <= width]
        if not keys or not len(self.sorted_ids):
            return np.zeros(0, dtype=np.int64)
        wanted = np.array(keys, dtype=self.sorted_ids.dtype)
        at = np.minimum(np.searchsorted(self.sorted_ids, wanted), len(self.sorted_ids) - 1)
        found = self.sorted_ids[at] == wanted
        return np.asarray(self.order[at[found]], dtype=np.int64)

    def get(self, pid: str, default: int | None = None) -> int | None:
        rows = self.rows([pid])
        return int(rows[0]) if len(rows) else default

    def __getitem__(self, pid: str) -> int:
        row = self.get(pid)
        if row is None:
            raise KeyError(pid)
        return row

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self.get(pid) is not None


class PaperIndex:
    """BM25 postings and the vector matrix of every stored paper, memory-mapped from a cache folder.

    Nothing is read per paper at load: ids, years, venues, vectors, postings and records are files
    that the operating system pages in (and shares between processes), so answering never reads
    Chroma. Meaning is scored exactly against every vector up to `StoreSettings.exact_search_limit`
    papers; above it an HNSW graph (ann.py) proposes candidates, and only those, the best lexical
    matches and rows a caller asks about get exact cosines.
    """

    def __init__(
        self,
        ids: Column,
        matrix: np.ndarray,
        bm25: bm25s.BM25 | None,
        embedder: object,
        deep: np.ndarray | None = None,
        deep_rows: np.ndarray | None = None,
        venue_codes: np.ndarray | None = None,
        venue_names: Sequence[str] = (),
        years: np.ndarray | None = None,
        store: Store | None = None,
        row: RowLookup | None = None,
        ann: Ann | None = None,
        records: RecordFile | None = None,
        citations: np.ndarray | None = None,
        affiliations: AffiliationRows | None = None,
        folder: tuple[Path, str] | None = None,
        *,
        labels: LabelColumn | None = None,
        author_counts: np.ndarray | None = None,
    ) -> None:
        self.embedder = embedder
        self.ids = ids
        n = len(ids)
        self.labels = labels if labels is not None else LabelColumn([], np.zeros(n, dtype=np.uint64))
        #: How many authors each paper lists (0 when it lists none): "solo-authored papers at COLM".
        self.author_counts = author_counts if author_counts is not None else np.zeros(n, dtype=np.int32)
        #: Each paper's venue as a code into `venue_names` (-1 when unknown), and its year (0 unknown).
        self.venue_codes = venue_codes if venue_codes is not None else np.full(n, -1, dtype=np.int32)
        self.venue_names = list(venue_names)
        self.years = years if years is not None else np.zeros(n, dtype=np.int32)
        #: Each paper's citation count as its source gave it (-1 when unknown): "most cited" questions
        #: over a whole venue or store rank by it without reading records.
        self.citations = citations if citations is not None else np.full(n, -1, dtype=np.int32)
        self._floors: dict[bool, float] = {}
        self.row = row if row is not None else RowLookup.of(ids)
        self.matrix = matrix
        self.bm25 = bm25
        self.stemmer = Stemmer.Stemmer("english")
        #: Full-model vectors for the papers `deep_rows` points at (see enrich.py), if any.
        self.deep = deep
        self.deep_rows = deep_rows
        #: The model behind them (a store flag `enrich` sets) and its weight in fusion.
        self.deep_model = DEEP_EMBEDDER
        self.deep_weight = DENSE_WEIGHT_DEEP
        self._deep_embedder: Any | None = None
        #: Where paper records come from when the index keeps none (built without a cache folder).
        self.source = store
        #: Proposes the candidates of the dense half when the store is past the exact limit (else None).
        self.ann = ann
        #: Each paper's record by row (see paper_records.py).
        self.records = records
        #: Which papers print which affiliation; a cache saved before they existed gets them made
        #: from its records when a question first needs them, and saved into its folder (`folder`:
        #: the folder and the generation it was read at).
        self._affiliations = affiliations
        self._folder = folder
        self._unplaced: np.ndarray | None = None
        self._sample = (
            np.sort(np.random.default_rng(0).choice(n, size=min(SAMPLE_ROWS, n), replace=False))
            if self.ann is not None
            else None
        )
        self._sample_matrix: np.ndarray | None = None
        self._cosines: dict[str, Cosines] = {}
        #: What a save needs to patch this index later: token ids, text hashes, when reading began.
        self._corpus: tuple[TokenArrays, Column, float] | None = None

    @property
    def approximate(self) -> bool:
        """Whether meaning is scored through the approximate index (a large store)."""
        return self.ann is not None

    def papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Records of indexed papers by id; ids the index lacks are absent from the result."""
        if self.records is None:
            return self.source.get_papers(ids) if self.source is not None else {}
        rows = self.row.rows(ids).tolist()
        blobs = self.records.get(rows)
        return {self.ids[r]: paper_from_blob(blob) for r, blob in zip(rows, blobs, strict=True)}

    def rows_citing(self, identifier: str) -> list[int]:
        """Rows of the papers whose record holds an identifier (a DOI, a link's paper id)."""
        if self.records is None or not identifier:
            return []
        return self.records.rows_containing(identifier.encode())

    def rows_printing(self, texts: Sequence[str]) -> np.ndarray:
        """Sorted rows of the papers that print one of `texts` as an author's affiliation."""
        return self.affiliations.rows_printing(texts) if texts else np.zeros(0, dtype=np.int64)

    def printed_by(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the papers of `rows`: each affiliation one prints (its digest, `affiliation_key`)
        beside that paper's row, one pair per paper and affiliation, sorted by digest."""
        postings = self.affiliations
        mask = np.isin(np.asarray(postings.rows), rows)
        return np.asarray(postings.keys)[mask], np.asarray(postings.rows)[mask]

    def rows_printing_none(self) -> np.ndarray:
        """Sorted rows of the papers that print no affiliation for any author (kept once made)."""
        if self._unplaced is None:
            self._unplaced = self.affiliations.rows_printing_none(len(self))
        return self._unplaced

    @property
    def affiliations(self) -> AffiliationRows:
        if self._affiliations is None:
            records = self.records
            if records is None:
                # Built without a cache folder, the index always has them: this is an index
                # loaded from a folder saved before they existed, and it keeps its records.
                raise RuntimeError("the index has neither affiliation postings nor records")
            self._affiliations = AffiliationRows.from_records(len(self), records.get, printed_affiliations)
            if self._folder is not None:
                folder, generation = self._folder
                with contextlib.suppress(OSError):
                    # Not into a newer generation that replaced the folder since this one was read.
                    if (folder / "generation").read_text() == generation:
                        self._affiliations.save(folder)
        return self._affiliations

    def reference_vectors(self) -> np.ndarray:
        """Vectors that stand for the whole store when putting a cosine on its scale (all, or a sample)."""
        if self._sample is None:
            return np.asarray(self.matrix)
        if self._sample_matrix is None:
            self._sample_matrix = np.asarray(self.matrix[self._sample])
        return self._sample_matrix

    @classmethod
    def build(cls, store: Store, embedder: object, staging: Path | None = None) -> PaperIndex:
        """Read every paper's text and vector from the store and index them.

        With a `staging` folder the papers' records are written there as they are read (`open`
        saves the index into it); without one they stay in the store.
        """
        since = time.time()
        writer = RecordWriter(staging) if staging is not None else None
        rows = _Rows.scan(store, None, {}, writer.append if writer is not None else None)
        records = writer.close() if writer is not None else None
        index = cls._assemble(store, embedder, rows, since, records=records)
        # Floors are calibrated on titles, which only a build has in hand; they are saved with the index.
        index._calibrate(rows.titles)
        return index

    @classmethod
    def _assemble(
        cls,
        store: Store,
        embedder: object,
        rows: _Rows,
        since: float,
        ann: Ann | None = None,
        records: RecordFile | None = None,
        affiliations: AffiliationRows | None = None,
    ) -> PaperIndex:
        bm25 = bm25_index(rows.tokens) if rows.ids else None
        deep = deep_rows = None
        column = Column.of(rows.ids)
        lookup = RowLookup.of(column)
        found = store.deep_vectors()
        if found is not None:
            deep_ids, deep_hashes, deep_matrix = found
            at = lookup.rows(deep_ids)
            row = {pid: int(r) for pid, r in zip((p for p in deep_ids if p in lookup), at, strict=True)}
            # A vector made from an older abstract is dropped until `enrich` redoes it: the
            # static vector of the current text is better than a full one of the wrong text.
            keep = [
                j
                for j, pid in enumerate(deep_ids)
                if pid in row and deep_hashes[j] == rows.text_hashes[row[pid]]
            ]
            deep = deep_matrix[keep]
            deep_rows = np.array([row[deep_ids[j]] for j in keep], dtype=np.int64)
        names = sorted(set(rows.venues) - {""})
        code = {v: i for i, v in enumerate(names)}
        venue_codes = np.array([code.get(v, -1) for v in rows.venues], dtype=np.int32)
        matrix = rows.matrix()
        if not _past_limit(store, len(matrix)):
            ann = None
        elif ann is None or len(ann) != len(matrix):
            ann = Ann.build(matrix)
        index = cls(
            column,
            matrix,
            bm25,
            embedder,
            deep,
            deep_rows,
            venue_codes,
            names,
            np.asarray(rows.years, dtype=np.int32),
            store,
            lookup,
            ann,
            records,
            np.asarray(rows.citations, dtype=np.int32),
            affiliations if affiliations is not None else AffiliationRows.of(rows.affiliations),
            labels=LabelColumn.of(rows.labels),
            author_counts=np.asarray(rows.author_counts, dtype=np.int32),
        )
        flags = store.flags()
        index.deep_model = str(flags.get(DEEP_FLAG) or DEEP_EMBEDDER)
        index.deep_weight = float(flags.get(DEEP_WEIGHT_FLAG, DENSE_WEIGHT_DEEP))
        index._corpus = (rows.tokens, Column.of(rows.text_hashes), since)
        return index

    @classmethod
    def _update(cls, folder: Path, store: Store, embedder: object, staging: Path) -> PaperIndex | None:
        """The saved index with the papers written since it was built applied, or None when a
        full build is due (an older cache, or a change too large to patch).

        Only the changed papers are read from the store and tokenised; BM25 is re-indexed from the
        saved token ids, because its scores depend on every paper's length and word counts. The
        approximate index and the records take the changed rows only.
        """
        meta = json.loads((folder / "index.json").read_text())
        if meta.get("format") != INDEX_FORMAT or "since" not in meta:
            return None
        since = time.time()
        old = cls._load(folder, embedder, store, graph=False)
        n = len(old)
        changed = store.papers_written_since(float(meta["since"]) - WRITE_CLOCK_MARGIN_S)
        if old.records is None or len(changed) > max(UPDATE_MIN_ROWS, UPDATE_SHARE * n):
            return None
        delta_records: list[bytes] = []
        vocab = json.loads((folder / "vocab.json").read_text())
        delta = _Rows.scan(store, changed, vocab, delta_records.extend)
        rows = _Rows(
            ids=list(old.ids),
            titles=[],
            tokens=TokenArrays(
                np.load(folder / "tokens.npy", mmap_mode="r"),
                np.load(folder / "token_offsets.npy", mmap_mode="r"),
                vocab,
            ),
            vectors=[],
            text_hashes=[bytes(h).decode() for h in np.load(folder / "text_hashes.npy")],
            venues=[old.venue_names[c] if c >= 0 else "" for c in old.venue_codes.tolist()],
            years=old.years.tolist(),
            citations=old.citations.tolist(),
            affiliations=[],
            labels=old.labels.decoded(),
            author_counts=old.author_counts.tolist(),
        )
        delta_matrix = delta.matrix()
        writer = RecordWriter(staging, old.records, folder)
        replaced: dict[int, int] = {}  # row -> its paper's place in the delta
        added: list[int] = []
        printed: dict[int, tuple[str, ...]] = {}  # row -> the affiliations its paper now prints
        for j, pid in enumerate(delta.ids):
            at = old.row.get(pid)
            if at is None:
                added.append(j)
                printed[len(rows.ids)] = delta.affiliations[j]
                rows.ids.append(pid)
                rows.text_hashes.append(delta.text_hashes[j])
                rows.venues.append(delta.venues[j])
                rows.years.append(delta.years[j])
                rows.citations.append(delta.citations[j])
                rows.labels.append(delta.labels[j])
                rows.author_counts.append(delta.author_counts[j])
                writer.append([delta_records[j]])
            else:
                replaced[at] = j
                printed[at] = delta.affiliations[j]
                rows.text_hashes[at], rows.venues[at], rows.years[at], rows.citations[at] = (
                    delta.text_hashes[j],
                    delta.venues[j],
                    delta.years[j],
                    delta.citations[j],
                )
                rows.labels[at], rows.author_counts[at] = delta.labels[j], delta.author_counts[j]
                writer.replace(at, delta_records[j])
        # The saved arrays stay mapped only until the patched ones replace them.
        rows.tokens = rows.tokens.patched(
            list(replaced), delta.tokens.select(list(replaced.values())), delta.tokens.select(added)
        )
        staging.mkdir(parents=True, exist_ok=True)
        matrix = _grown_copy(folder / "vectors.npy", staging / "vectors.npy", len(added))
        matrix[n:] = delta_matrix[added]
        moved = {n + i: delta_matrix[j] for i, j in enumerate(added)}  # the approximate index's changes
        for at, j in replaced.items():
            if not np.array_equal(matrix[at], delta_matrix[j]):
                moved[at] = matrix[at] = delta_matrix[j]
        rows.vectors = [matrix]
        ann = Ann.load(folder / ANN_FILE) if (folder / ANN_FILE).exists() else None
        if ann is not None and moved:
            ann.put(np.fromiter(moved, dtype=np.int64, count=len(moved)), np.asarray(list(moved.values())))
        records = writer.close()
        index = cls._assemble(store, embedder, rows, since, ann, records, old.affiliations.patched(printed))
        if (
            index.deep is not None
            and len(index.deep) >= 50
            and (True not in old._floors or old.deep_model != index.deep_model)
        ):
            return None  # a model's first full vectors (an `enrich`): their floor needs the titles
        index._floors = dict(old._floors)  # a store-wide percentile: a small change does not move it
        return index

    @classmethod
    def open(
        cls, store: Store, embedder: object, cache_dir: Path, refresh: Callable[[], None] | None = None
    ) -> PaperIndex:
        """Load the index from `cache_dir` when it matches the store's generation, else patch or build it.

        Building reads and tokenises every paper (~90 s at 100k papers on 2 cores); patching reads
        only the papers written since the cache was made; opening the saved arrays maps them without
        reading them, which is what keeps a cold `scholarbot ask` fast.

        `refresh`, when given, brings a stale or missing cache of a large store up to date elsewhere
        (a child process: services.py), so this process never holds what a patch or build needs, nor
        loads the store's papers; should it fail, the work is done here.
        """
        generation = store.generation()
        folder = cache_dir / "papers"
        staging = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        index: PaperIndex | None = None
        try:
            if (folder / "generation").read_text() == generation:
                return cls._load(folder, embedder, store)
        except (OSError, ValueError, KeyError, IndexError, RuntimeError):
            pass  # a missing, damaged or older-format cache is rebuilt below
        if refresh is not None and large_store(store, cache_dir):
            try:
                refresh()
                # Whatever generation it reached: a store changed again since is followed next question.
                return cls._load(folder, embedder, store)
            except Exception as e:  # whatever failed there, the work is done here instead
                log.warning("no child process refreshed the index at %s (%s); doing it here", folder, e)
        try:
            shutil.rmtree(staging, ignore_errors=True)
            index = cls._update(folder, store, embedder, staging)
        except (OSError, ValueError, KeyError, IndexError, RuntimeError):
            pass  # a missing, damaged or older-format cache is rebuilt below
        if index is None:
            # Never write into a half-made patch: its segments are links to the saved generation's.
            shutil.rmtree(staging, ignore_errors=True)
            index = cls.build(store, embedder, staging)
        with contextlib.suppress(OSError):
            index._save(folder, generation, staging)
        return index

    def _save(self, folder: Path, generation: str, tmp: Path) -> None:
        """Write the index into `tmp` (where a build or patch wrote the records) and swap it in."""
        tmp.mkdir(parents=True, exist_ok=True)
        tokens, text_hashes, since = (
            self._corpus if self._corpus is not None else (TokenArrays.empty({}), Column.of([]), 0.0)
        )
        meta = {
            "format": INDEX_FORMAT,
            "since": since,
            "venues": self.venue_names,
            "labels": self.labels.names,
            "floors": {str(k): v for k, v in self._floors.items()},
            "deep_model": self.deep_model,
            "deep_weight": self.deep_weight,
        }
        (tmp / "index.json").write_text(json.dumps(meta))
        np.save(tmp / "ids.npy", self.ids.raw)
        np.save(tmp / "ids_sorted.npy", self.row.sorted_ids)
        np.save(tmp / "ids_order.npy", self.row.order)
        np.save(tmp / "years.npy", self.years)
        np.save(tmp / "citations.npy", self.citations)
        np.save(tmp / "venue_codes.npy", self.venue_codes)
        np.save(tmp / "label_bits.npy", self.labels.bits)
        np.save(tmp / "author_counts.npy", self.author_counts)
        _save_array(tmp / "vectors.npy", self.matrix)
        np.save(tmp / "token_offsets.npy", tokens.offsets)
        np.save(tmp / "tokens.npy", tokens.flat)
        (tmp / "vocab.json").write_text(json.dumps(tokens.vocab))
        np.save(tmp / "text_hashes.npy", text_hashes.raw)
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"))
        if self.deep is not None and self.deep_rows is not None:
            np.save(tmp / "deep.npy", self.deep)
            np.save(tmp / "deep_rows.npy", self.deep_rows)
        if self.ann is not None:
            self.ann.save(tmp / ANN_FILE)
        if self.records is not None:
            np.save(tmp / "record_spans.npy", self.records.spans)
        self.affiliations.save(tmp)
        (tmp / "generation").write_text(generation)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def _load(cls, folder: Path, embedder: object, store: Store | None, graph: bool = True) -> PaperIndex:
        """The saved index, memory-mapped; with `graph`, its approximate index too when the store is
        past the exact limit (built and saved here if the folder lacks it)."""
        meta = json.loads((folder / "index.json").read_text())
        if meta.get("format") != INDEX_FORMAT:
            raise ValueError("index cache of another format")

        def mapped(name: str) -> np.ndarray:
            return np.load(folder / name, mmap_mode="r")

        bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True) if (folder / "bm25").exists() else None
        deep = deep_rows = None
        if (folder / "deep.npy").exists():
            deep, deep_rows = np.load(folder / "deep.npy"), np.load(folder / "deep_rows.npy")
        ids = Column(mapped("ids.npy"))
        records = None
        if (folder / "record_spans.npy").exists():
            records = RecordFile(folder, mapped("record_spans.npy"))
        matrix = mapped("vectors.npy")
        ann = None
        if graph and _past_limit(store, len(ids)):
            ann = Ann.open(folder / ANN_FILE) if (folder / ANN_FILE).exists() else None
            if ann is None or len(ann) != len(ids):
                # Saved while the store was under the exact limit (or the limit was since lowered).
                ann = _save_ann(folder, Ann.build(matrix))
        index = cls(
            ids,
            matrix,
            bm25,
            embedder,
            deep,
            deep_rows,
            mapped("venue_codes.npy"),
            meta["venues"],
            mapped("years.npy"),
            store,
            RowLookup(mapped("ids_sorted.npy"), mapped("ids_order.npy")),
            ann,
            records,
            mapped("citations.npy"),
            AffiliationRows.load(folder),
            (folder, (folder / "generation").read_text()),
            labels=LabelColumn(list(meta["labels"]), mapped("label_bits.npy")),
            author_counts=mapped("author_counts.npy"),
        )
        index._floors = {k == "True": float(v) for k, v in meta["floors"].items()}
        index.deep_model = str(meta.get("deep_model", DEEP_EMBEDDER))
        index.deep_weight = float(meta.get("deep_weight", DENSE_WEIGHT_DEEP))
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def embed(self, text: str) -> np.ndarray:
        """Embed a query once so callers can reuse the vector."""
        vec = self.embedder.embed_query(text)  # type: ignore[attr-defined]
        return np.asarray(vec, dtype=np.float32).reshape(-1)

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every paper for the query (zeros when nothing matches)."""
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        words = [w for w in stemmed_words([query], self.stemmer)[0] if w]
        if not words:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(words), dtype=np.float32)

    def query_terms(self, query: str) -> list[str]:
        """The query's informative words, stemmed, without stop words or repeats."""
        return list(dict.fromkeys(w for w in stemmed_words([query], self.stemmer)[0] if w))

    def _postings(self, term: str) -> np.ndarray:
        """Rows of the papers whose text contains a (stemmed) term."""
        if self.bm25 is None:
            return np.zeros(0, dtype=np.int64)
        tid = self.bm25.vocab_dict.get(term)
        if tid is None:
            return np.zeros(0, dtype=np.int64)
        scores = self.bm25.scores
        lo, hi = int(scores["indptr"][tid]), int(scores["indptr"][tid + 1])
        return np.asarray(scores["indices"][lo:hi], dtype=np.int64)

    def papers_using(self, word: str) -> int | None:
        """How many papers use one word (after stemming); None for a word search ignores (a stop
        word). A dictionary lookup, for checking many words at once (typo candidates)."""
        low = word.lower()
        if low in _STOPWORDS or not low:
            return None
        return len(self._postings(self.stemmer.stemWord(low)))

    def writes(self, word: str, looked_at: int = 5) -> bool:
        """Whether papers write this very word (not only another word of its stem: "polici" is the
        stem of "policy", no word of its own), judged on a few of the papers using its stem."""
        low = word.lower()
        # A hyphenated word is looked for among the papers using its last part.
        rows = self._postings(self.stemmer.stemWord(low.rsplit("-", 1)[-1]))[:looked_at]
        pattern = re.compile(rf"(?<![a-z]){re.escape(low)}(?![a-z])", re.I)
        found = self.papers([self.ids[int(r)] for r in rows])
        return any(pattern.search(f"{p.title} {p.abstract}") for p in found.values())

    def word_frequency(self, word: str) -> int:
        """How many papers use a word (after stemming); 0 for stop words and unknown words."""
        if _ONE_TOKEN.fullmatch(word):
            # One token as the tokenizer splits text: looked up directly (the tokenizer costs 0.1 ms
            # a call, and the linker asks about every word of a question).
            return self.papers_using(word) or 0
        terms = self.query_terms(word)
        return len(self._postings(terms[0])) if len(terms) == 1 else 0

    def term_coverage(self, query: str, heavy: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per paper: the share of the query's informative words (IDF-weighted) it contains, whether
        it contains the query's most specific word, and whether it contains every word that carries
        at least `heavy` of the weight.

        A word no paper uses weighs as much as the rarest word and is the most specific one: a
        question about "tokamak plasma" is not covered by papers that only share "prediction" with it.
        """
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        rarest = np.zeros(n, dtype=bool)
        whole = np.ones(n, dtype=bool)
        terms = self.query_terms(query)
        if not terms or not n:
            return out, rarest, whole
        postings = [self._postings(t) for t in terms]
        idfs = [float(np.log((n + 1) / (len(rows) + 0.5))) for rows in postings]
        total = sum(idfs)
        # A paper may spell an acronym out ("large language models" for "LLMs"): never required.
        spelt_out = {t for w in _ACRONYM.findall(query) for t in self.query_terms(w)}
        for term, rows, idf in zip(terms, postings, idfs, strict=True):
            out[rows] += idf
            if total > 0 and idf >= heavy * total and term not in spelt_out:
                has = np.zeros(n, dtype=bool)
                has[rows] = True
                whole &= has
        rarest[min(postings, key=len)] = True
        return (out / total if total > 0 else out), rarest, whole

    # --- meaning ------------------------------------------------------------------------------

    def cosines(self, query: str) -> Cosines:
        """The static model's cosine of every paper to a query: exact, or for the candidates (see class)."""
        found = self._cosines.get(query)
        if found is None:
            if len(self._cosines) >= COSINE_CACHE:
                self._cosines.clear()
            found = self._cosines[query] = self._score_cosines(query)
        return found

    def _score_cosines(self, query: str) -> Cosines:
        vector = self.embed(query)
        n = len(self.ids)
        if self.ann is None or self._sample is None:
            return Cosines(self.matrix, vector, self.matrix @ vector if n else np.zeros(0, np.float32))
        sample = self.reference_vectors() @ vector
        values = np.full(n, np.nan, dtype=np.float32)
        floor = self.dense_floor(deep=False)
        k = ANN_CANDIDATES
        while True:
            rows, near = self.ann.search(vector, k)
            if len(rows) < k or near[-1] < floor or k >= ANN_CANDIDATES_MAX:
                break
            k *= 4  # even the k-th candidate is related: there are more than k related papers
        rows = np.sort(rows)
        values[rows] = np.asarray(self.matrix[rows]) @ vector
        cos = Cosines(self.matrix, vector, values, float(sample.mean()), float(sample.std()))
        lex = self.lexical_scores(query)
        if lex.size:
            cos.complete(top_order(lex, LEXICAL_CANDIDATES))
        return cos

    def related_margin(self, query: str, rows: np.ndarray | None = None) -> np.ndarray:
        """How far each paper's cosine to the query is above the store's "unrelated" floor (> 0: related).

        Full-model vectors replace static ones where enrichment made them, each judged against
        its own model's floor. Papers the approximate index did not propose count as unrelated.
        """
        cos = self.cosines(query)
        if rows is not None:
            cos.complete(rows)
        margin = np.nan_to_num(cos.values - self.dense_floor(deep=False), nan=-1.0)
        if self.deep is not None and self.deep_rows is not None and len(self.deep_rows):
            q = np.asarray(self._deep().embed_query(query), dtype=np.float32).reshape(-1)
            margin[self.deep_rows] = self.deep @ q - self.dense_floor(deep=True)
        return margin

    def dense_floor(self, *, deep: bool) -> float:
        """Cosine that unrelated text rarely reaches in this store, calibrated on the store itself.

        Paper titles are used as queries against the other papers: the 99.9th percentile of those
        similarities is what an unrelated paper can score by chance, whatever the model's baseline.
        Calibrated when the index is built and saved with it.
        """
        return self._floors.get(deep, 0.5 if deep else 0.8)

    def _calibrate(self, titles: Sequence[str]) -> None:
        for deep in (False, True):
            rng = np.random.default_rng(0)
            matrix = self.deep if deep else self.matrix
            if matrix is None or len(matrix) < 50:
                continue
            probe = rng.choice(len(matrix), size=min(DENSE_FLOOR_PROBES, len(matrix)), replace=False)
            embedder = self._deep() if deep else self.embedder
            rows = probe if not deep or self.deep_rows is None else self.deep_rows[probe]
            queries = np.asarray(embedder.embed_documents([titles[int(r)] for r in rows]), dtype=np.float32)  # type: ignore[union-attr]
            if len(matrix) > SAMPLE_ROWS * 4 and self.ann is not None:
                # Against a sample: the full product would be probes x papers floats.
                against = np.sort(rng.choice(len(matrix), size=SAMPLE_ROWS * 4, replace=False))
                sims = queries @ np.asarray(matrix[against]).T
                sims[against[None, :] == rows[:, None]] = -1.0
            else:
                sims = queries @ np.asarray(matrix).T
                sims[np.arange(len(probe)), probe] = -1.0  # a title matches its own paper
            self._floors[deep] = float(np.quantile(sims, DENSE_FLOOR_QUANTILE))

    def _deep(self) -> Any:
        if self._deep_embedder is None:
            from scholarbot.store.embeddings import get_embedder

            # The main embedder's cache folder is where a hub-named model was fetched to.
            self._deep_embedder = get_embedder(self.deep_model, getattr(self.embedder, "cache_dir", None))
        return self._deep_embedder

    @property
    def dense_weight(self) -> float:
        """Weight of meaning in fusion: the enrich model's once it has vectors, else the static model's."""
        return self.deep_weight if self.deep_coverage > 0 else DENSE_WEIGHT_STATIC

    @property
    def deep_coverage(self) -> float:
        """Share of papers that have a full-model vector."""
        return 0.0 if self.deep_rows is None or not len(self.ids) else len(self.deep_rows) / len(self.ids)

    def meaning_scores(self, query: str, rows: np.ndarray | None = None) -> np.ndarray:
        """How far above the store's typical paper each paper's meaning is to the query, in z-scores.

        Uses the full model's vectors wherever enrichment produced them and the static model's
        elsewhere. z-scores (per model, over the whole store) put both on one scale and make
        thresholds independent of a model's baseline similarity: static vectors sit near 0.6
        cosine for unrelated text, full MiniLM near 0.1. `rows` get exact cosines in approximate mode.
        """
        cos = self.cosines(query)
        if rows is not None:
            cos.complete(rows)
        z = cos.zscores()
        if self.deep is not None and self.deep_rows is not None and len(self.deep_rows):
            q = np.asarray(self._deep().embed_query(query), dtype=np.float32).reshape(-1)
            z[self.deep_rows] = zscore(self.deep @ q)
        return z

    def search(
        self, query: str, k: int = 5, within: set[str] | None = None, mode: Mode = "hybrid"
    ) -> list[Scored]:
        """Rank papers for a query by a weighted sum of lexical and meaning evidence.

        Scores are fused, not ranks: reciprocal-rank fusion gives a weak dense ranking an equal
        vote and flattens BM25's margin on exact phrasings (it cost 0.15 hit@1 on the dev set).
        `mode` "bm25" or "dense" uses one retriever alone (the benchmarks' baselines).
        """
        if not len(self.ids) or not query.strip():
            return []
        rows = np.arange(len(self.ids))
        if within is not None:
            rows = np.sort(self.row.rows(within))
            if rows.size == 0:
                return []
        zeros = np.zeros(len(self.ids), dtype=np.float32)
        lex = self.lexical_scores(query) if mode != "dense" else zeros
        dense = self.meaning_scores(query, rows if within is not None else None) if mode != "bm25" else zeros
        if mode == "bm25":
            fused = np.where(lex[rows] > 0, lex[rows], -np.inf)
        elif mode == "dense":
            fused = dense[rows].astype(np.float64)
        else:
            fused = fuse(lex, dense, self.dense_weight)[rows]
        order = [i for i in top_order(fused, k) if np.isfinite(fused[i])]
        return [
            Scored(self.ids[int(rows[i])], float(fused[i]), float(lex[rows[i]]), float(dense[rows[i]]))
            for i in order
        ]


@dataclass
class Cosines:
    """One query's cosine to the papers: every paper's (exact mode) or the candidates' so far (NaN elsewhere).

    `complete` fills in rows a caller is about to judge (one person's papers, a venue's), so a
    paper is never dropped just because the approximate index did not propose it.
    """

    matrix: np.ndarray
    vector: np.ndarray
    values: np.ndarray
    #: The cosines' mean and spread over the store: exact, or estimated on a fixed sample of papers.
    mean: float | None = None
    std: float | None = None

    def complete(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        missing = np.sort(rows[np.isnan(self.values[rows])]) if rows.size else rows
        if missing.size:
            self.values[missing] = np.asarray(self.matrix[missing]) @ self.vector

    def zscores(self) -> np.ndarray:
        """Standard deviations above the store's mean; 0 for papers not scored (not remarkable)."""
        if self.mean is None or self.std is None:
            return zscore(self.values)
        return np.nan_to_num((self.values - self.mean) / (self.std + 1e-9), nan=0.0).astype(np.float32)


def large_store(store: Store, cache_dir: Path) -> bool:
    """Whether a long-lived process should leave the store's heavy work to a child process.

    The saved index says so without asking the store; with none saved (a first build, as in a bot
    started on a store nobody indexed), the store is counted. Counting scans (0.12 s at 13k papers,
    most of a small patch), so a small saved index is taken at its word.
    """
    saved = saved_rows(cache_dir)
    return (saved or store.count("papers")) >= REFRESH_ELSEWHERE_ROWS


def saved_rows(cache_dir: Path) -> int:
    """How many papers the index saved in `cache_dir` holds, whatever its generation; 0 when none."""
    try:
        return len(np.load(cache_dir / "papers" / "ids.npy", mmap_mode="r"))
    except (OSError, ValueError):
        return 0


#: Acronyms as typed: two capitals or more ("LLMs", "RLHF", "GNNs"), or a short word with no vowel ("nlp").
_ACRONYM = re.compile(r"\b(?:[A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*|[b-df-hj-np-tv-z]{2,6})\b")


def top_order(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest scores, best first, ties in position order.

    The same as `np.argsort(-scores, kind="stable")[:k]` without sorting every score: only those at
    or above the k-th best are sorted, ties at the boundary included.
    """
    n = len(scores)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n or n <= 4 * k:
        return np.argsort(-scores, kind="stable")[:k]
    kth = np.partition(scores, n - k)[n - k]
    top = np.flatnonzero(scores >= kth)
    return top[np.argsort(-scores[top], kind="stable")][:k]


@dataclass
class _Rows:
    """Papers as read from the store for indexing, in store order."""

    ids: list[str]
    titles: list[str]
    tokens: TokenArrays
    vectors: list[np.ndarray]
    text_hashes: list[str]
    venues: list[str]
    years: list[int]
    citations: list[int]
    affiliations: list[tuple[str, ...]]
    labels: list[tuple[str, ...]]
    author_counts: list[int]

    @classmethod
    def scan(
        cls,
        store: Store,
        ids: Sequence[str] | None,
        vocab: dict[str, int],
        records: Callable[[list[bytes]], None] | None = None,
    ) -> _Rows:
        """Every paper, or the given ones, tokenised against `vocab` (which grows) page by page;
        their records go to `records` as they are read, and neither text nor record is kept."""
        rows = cls([], [], TokenArrays.empty(vocab), [], [], [], [], [], [], [], [])
        stemmer = Stemmer.Stemmer("english")
        pieces = []
        for page in store.paper_pages(ids):
            if records is not None:
                records(page.records)
            rows.ids.extend(page.ids)
            rows.text_hashes.extend(page.text_hashes)
            rows.venues.extend(page.venues)
            rows.years.extend(page.years)
            rows.citations.extend(page.citations)
            rows.affiliations.extend(page.affiliations)
            rows.labels.extend(page.labels)
            rows.author_counts.extend(page.author_counts)
            titles = [x.partition("\n\n")[0] for x in page.texts]
            rows.titles.extend(titles)
            # Titles count three times: they are the densest statement of what a paper is about.
            texts = [f"{t}\n{t}\n{x}" for t, x in zip(titles, page.texts, strict=True)]
            pieces.append(TokenArrays.of(texts, vocab, stemmer))
            rows.vectors.append(page.vectors)
        rows.tokens = TokenArrays.join(pieces, vocab)
        return rows

    def matrix(self) -> np.ndarray:
        """The vectors as one array, in row order."""
        if len(self.vectors) == 1:
            return self.vectors[0]
        return np.vstack(self.vectors) if self.vectors else np.zeros((0, 1), dtype=np.float32)


def _grown_copy(src: Path, dst: Path, rows: int) -> np.memmap:
    """A writable map of a new file `dst` holding the array saved at `src` and `rows` rows after it.

    The saved rows are copied from file to file, so patching an index does not hold its whole
    matrix in memory (512 MB at 500k papers) to change a few rows.
    """
    old = np.load(src, mmap_mode="r")
    new = np.lib.format.open_memmap(dst, mode="w+", dtype=old.dtype, shape=(len(old) + rows, *old.shape[1:]))
    with open(src, "rb") as source, open(dst, "r+b") as target:
        done, total = 0, old.nbytes
        while done < total:
            chunk = os.pread(source.fileno(), min(COPY_CHUNK, total - done), old.offset + done)
            os.pwrite(target.fileno(), chunk, new.offset + done)
            done += len(chunk)
    return new


def _save_array(path: Path, array: np.ndarray) -> None:
    """Save an array unless it is already that file, mapped (a patch writes its vectors in place)."""
    if isinstance(array, np.memmap) and array.filename and Path(array.filename).resolve() == path.resolve():
        array.flush()
        return
    np.save(path, array)


def _past_limit(store: Store | None, n: int) -> bool:
    """Whether a store of `n` papers is searched through the approximate index."""
    return store is not None and n > store.settings.exact_search_limit


def _save_ann(folder: Path, ann: Ann) -> Ann:
    """Add an approximate index to a saved folder (atomically: readers see all of it or none)."""
    tmp = folder / f"{ANN_FILE}.tmp-{os.getpid()}"
    ann.save(tmp)
    tmp.replace(folder / ANN_FILE)
    return ann


def fuse(lex: np.ndarray, dense_z: np.ndarray, weight: float) -> np.ndarray:
    """Lexical share of the best BM25 score plus weighted meaning z-score.

    A perfect lexical match is worth 1; a paper DENSE_Z_SCALE standard deviations above the
    store in meaning is worth `weight`. Full-model vectors earn more weight than static ones
    because they read paraphrases far better (benchmarks/embedders.py), and a stronger model
    more again: BM25 at MiniLM's weight pulled a strong model's paraphrase hit@1 down.
    """
    share = lexical_share(lex)
    return share.astype(np.float64) + weight * np.clip(dense_z, 0.0, None) / DENSE_Z_SCALE


def lexical_share(lex: np.ndarray) -> np.ndarray:
    """BM25 scores as a share of the best one in the store (1.0 = the best lexical match)."""
    best = float(lex.max()) if lex.size else 0.0
    return lex / best if best > 0 else np.zeros_like(lex)


def zscore(x: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """`x` in standard deviations from the mean of `reference` (default: of `x` itself)."""
    ref = x if reference is None else reference
    return ((x - ref.mean()) / (float(ref.std()) + 1e-9)).astype(np.float32)
