"""Approximate nearest papers by meaning: an HNSW graph over the index's vectors, memory-mapped.

Chroma keeps an HNSW index of the papers too, but it loads the whole collection's index into the
process on the first read of any kind (2 s and ~700 MB at 500k papers). This one lives beside the
search index, is opened as a read-only view of its file (the operating system pages in what a
question visits, shared between processes) and is keyed by the index's row numbers, so candidates
need no id lookup. Its half-precision vectors only propose candidates: the search index re-scores
them exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from usearch.index import Index

#: Half-precision vectors: int8 lost too much. Static-model vectors all lean one way (their mean
#: cosine to the average vector is 0.83), so the graph stores each vector minus the average and
#: ranks by inner product, which orders papers exactly as cosine does (q.(x - c) = q.x - q.c, the
#: same shift for every paper). Measured with titles as questions (benchmarks/ann.py): the exact top
#: 10 were among 1,000 candidates 0.97 of the time with int8 cosine, 0.993 like this, at 100k papers.
DTYPE = "f16"
#: Neighbours per node (usearch's default is 16). At 200k papers, 32 found 0.988 of the exact top 10
#: against 0.971, for a 38% longer build and 6.3 against 4.6 ms a query; a wider build search
#: (expansion_add 256) gained less (0.983) for a build 2.3 times as long.
CONNECTIVITY = 32
#: Rows added per call when building (bounds the float copy of a memory-mapped matrix).
ADD_SLICE = 50_000


class Ann:
    """Rows of the vectors nearest a query vector, from a graph built once and patched.

    `center` is the vector subtracted from every stored vector (the average at build time); it is
    saved beside the graph and kept by patches, so every row is shifted alike.
    """

    def __init__(self, index: Index, center: np.ndarray) -> None:
        self.index = index
        self.center = np.asarray(center, dtype=np.float32)

    @classmethod
    def build(cls, matrix: np.ndarray) -> Ann:
        """A graph over every row of a (possibly memory-mapped) matrix."""
        total = np.zeros(matrix.shape[1], dtype=np.float64)
        for start in range(0, len(matrix), ADD_SLICE):
            total += np.asarray(matrix[start : start + ADD_SLICE], dtype=np.float64).sum(axis=0)
        index = Index(ndim=int(matrix.shape[1]), metric="ip", dtype=DTYPE, connectivity=CONNECTIVITY)
        ann = cls(index, total / max(1, len(matrix)))
        ann.put(np.arange(len(matrix), dtype=np.uint64), matrix)
        return ann

    @classmethod
    def open(cls, path: Path) -> Ann:
        """A read-only view of a saved graph (memory-mapped, nothing read up front)."""
        return cls._restore(path, view=True)

    @classmethod
    def load(cls, path: Path) -> Ann:
        """A writable copy of a saved graph in memory, to patch and save elsewhere."""
        return cls._restore(path, view=False)

    @classmethod
    def _restore(cls, path: Path, view: bool) -> Ann:
        index = Index.restore(str(path), view=view)
        if index is None:
            raise ValueError(f"{path} is not an ANN index")
        return cls(index, np.load(_center_path(path)))

    def __len__(self) -> int:
        return len(self.index)

    def put(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Add rows, replacing those already present (a paper whose text, and so vector, changed)."""
        rows = np.asarray(rows, dtype=np.uint64)
        if len(self):
            present = np.asarray(self.index.contains(rows), dtype=bool).reshape(-1)
            if present.any():
                self.index.remove(rows[present])
        for start in range(0, len(rows), ADD_SLICE):
            part = slice(start, start + ADD_SLICE)
            shifted = np.asarray(vectors[part], dtype=np.float32) - self.center
            self.index.add(rows[part], shifted, threads=_threads())

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `k` rows nearest the vector, nearest first, with their (approximate) cosines."""
        if not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        vector = np.asarray(vector, dtype=np.float32)
        found = self.index.search(vector, k)
        # usearch's inner-product distance is 1 - q.(x - c); adding q.c back gives the cosine.
        near = 1.0 - np.asarray(found.distances, dtype=np.float32) + float(vector @ self.center)
        return np.asarray(found.keys, dtype=np.int64), near

    def save(self, path: Path) -> None:
        """Write the graph to `path` and its center beside it (the center first: a reader finding
        the graph finds its center)."""
        np.save(_center_path(path), self.center)
        self.index.save(str(path))


def _center_path(path: Path) -> Path:
    return path.with_name(path.name.split(".")[0] + "-center.npy")


def _threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
