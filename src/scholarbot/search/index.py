"""Hybrid paper search: BM25 over title + abstract fused with dense vectors from the store.

The index is built from the store's contents (the same for an embedded store and a Chroma
server) and cached on disk per store generation, then answers in milliseconds, optionally within
a set of papers (one person's work).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import bm25s
import numpy as np
import Stemmer

from scholarbot.store.store import SCAN_PAGE, Store

#: z-score at which meaning evidence counts fully (about the top 0.01% of a store).
DENSE_Z_SCALE = 4.0
#: Weight of meaning evidence against a perfect lexical match, per kind of vector.
DENSE_WEIGHT_STATIC = 1.0
DENSE_WEIGHT_DEEP = 2.0

#: Titles used as probe queries when calibrating the "related" cosine floor, and the quantile taken.
DENSE_FLOOR_PROBES = 200
DENSE_FLOOR_QUANTILE = 0.999

Mode = Literal["hybrid", "bm25", "dense"]


@dataclass(frozen=True)
class Scored:
    """A paper id with its fused score and the parts it came from."""

    id: str
    score: float
    lexical: float
    dense: float


class PaperIndex:
    """In-memory BM25 and vector matrix over every stored paper."""

    def __init__(
        self,
        ids: list[str],
        titles: list[str],
        matrix: np.ndarray,
        bm25: bm25s.BM25 | None,
        embedder: object,
        deep: np.ndarray | None = None,
        deep_rows: np.ndarray | None = None,
        venues: list[str] | None = None,
        years: list[int] | None = None,
    ) -> None:
        self.embedder = embedder
        self.ids = ids
        self.titles = titles
        #: Venue string and year (0 when unknown) of every paper, for filters and linking.
        self.venues = venues if venues is not None else [""] * len(ids)
        self.years = np.asarray(years if years is not None else [0] * len(ids), dtype=np.int32)
        self._floors: dict[bool, float] = {}
        self.row = {pid: i for i, pid in enumerate(ids)}
        self.matrix = matrix
        self.bm25 = bm25
        self.stemmer = Stemmer.Stemmer("english")
        #: Full-model vectors for the papers `deep_rows` points at (see enrich.py), if any.
        self.deep = deep
        self.deep_rows = deep_rows
        self._deep_embedder: Any | None = None

    @classmethod
    def build(cls, store: Store, embedder: object) -> PaperIndex:
        """Read every paper's text and vector from the store and index them."""
        ids: list[str] = []
        titles: list[str] = []
        texts: list[str] = []
        vectors: list[np.ndarray] = []
        text_hashes: list[str] = []
        venues: list[str] = []
        years: list[int] = []
        offset = 0
        while True:
            res = store.papers.get(
                include=["documents", "embeddings", "metadatas"], limit=SCAN_PAGE, offset=offset
            )
            if not res["ids"]:
                break
            ids.extend(res["ids"])
            text_hashes.extend(str(m.get("text_hash")) for m in res["metadatas"])
            venues.extend(str(m.get("venue") or "") for m in res["metadatas"])
            years.extend(int(m.get("year") or 0) for m in res["metadatas"])
            for doc in res["documents"]:
                texts.append(doc)
                titles.append(doc.partition("\n\n")[0])
            vectors.append(np.asarray(res["embeddings"], dtype=np.float32))
            offset += len(res["ids"])
        matrix = np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        bm25 = None
        if ids:
            # Titles count twice: they are the densest statement of what a paper is about.
            corpus = [f"{t}\n{t}\n{x}" for t, x in zip(titles, texts, strict=True)]
            stemmer = Stemmer.Stemmer("english")
            tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
        deep = deep_rows = None
        found = store.deep_vectors()
        if found is not None:
            deep_ids, deep_hashes, deep_matrix = found
            row = {pid: i for i, pid in enumerate(ids)}
            # A vector made from an older abstract is dropped until `enrich` redoes it: the
            # static vector of the current text is better than a full one of the wrong text.
            keep = [
                j for j, pid in enumerate(deep_ids) if pid in row and deep_hashes[j] == text_hashes[row[pid]]
            ]
            deep = deep_matrix[keep]
            deep_rows = np.array([row[deep_ids[j]] for j in keep], dtype=np.int64)
        return cls(ids, titles, matrix, bm25, embedder, deep, deep_rows, venues, years)

    @classmethod
    def open(cls, store: Store, embedder: object, cache_dir: Path) -> PaperIndex:
        """Load the index from `cache_dir` when it matches the store's generation, else build and save it.

        Building reads and tokenises every paper (seconds at 13k papers); loading the saved
        arrays takes a fraction of a second, which is what keeps a cold `scholarbot ask` fast.
        """
        generation = store.generation()
        folder = cache_dir / "papers"
        try:
            if (folder / "generation").read_text() == generation:
                return cls._load(folder, embedder)
        except (OSError, ValueError, KeyError):
            pass  # a missing or damaged cache is rebuilt below
        index = cls.build(store, embedder)
        with contextlib.suppress(OSError):
            index._save(folder, generation)
        return index

    def _save(self, folder: Path, generation: str) -> None:
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        # The static model's "unrelated" floor is calibrated once per generation and saved with the index.
        floor = self.dense_floor(deep=False)
        meta = {
            "ids": self.ids,
            "titles": self.titles,
            "venues": self.venues,
            "years": self.years.tolist(),
            "static_floor": floor,
        }
        (tmp / "papers.json").write_text(json.dumps(meta))
        np.save(tmp / "vectors.npy", self.matrix)
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"))
        if self.deep is not None and self.deep_rows is not None:
            np.save(tmp / "deep.npy", self.deep)
            np.save(tmp / "deep_rows.npy", self.deep_rows)
        (tmp / "generation").write_text(generation)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def _load(cls, folder: Path, embedder: object) -> PaperIndex:
        meta = json.loads((folder / "papers.json").read_text())
        matrix = np.load(folder / "vectors.npy")
        bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True) if (folder / "bm25").exists() else None
        deep = deep_rows = None
        if (folder / "deep.npy").exists():
            deep, deep_rows = np.load(folder / "deep.npy"), np.load(folder / "deep_rows.npy")
        index = cls(
            meta["ids"],
            meta["titles"],
            matrix,
            bm25,
            embedder,
            deep,
            deep_rows,
            meta["venues"],
            meta["years"],
        )
        index._floors[False] = float(meta["static_floor"])
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

    def word_frequency(self, word: str) -> int:
        """How many papers use a word (after stemming); 0 for stop words and unknown words."""
        terms = self.query_terms(word)
        return len(self._postings(terms[0])) if len(terms) == 1 else 0

    def term_coverage(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Per paper: the share of the query's informative words (IDF-weighted) it contains, and
        whether it contains the query's most specific word.

        A word no paper uses weighs as much as the rarest word and is the most specific one: a
        question about "tokamak plasma" is not covered by papers that only share "prediction" with it.
        """
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        rarest = np.zeros(n, dtype=bool)
        terms = self.query_terms(query)
        if not terms or not n:
            return out, rarest
        postings = [self._postings(t) for t in terms]
        total = 0.0
        for rows in postings:
            idf = float(np.log((n + 1) / (len(rows) + 0.5)))
            total += idf
            out[rows] += idf
        rarest[min(postings, key=len)] = True
        return (out / total if total > 0 else out), rarest

    def related_margin(self, query: str) -> np.ndarray:
        """How far each paper's cosine to the query is above the store's "unrelated" floor (> 0: related).

        Full-model vectors replace static ones where enrichment made them, each judged against
        its own model's floor.
        """
        margin = self.dense_scores(self.embed(query)) - self.dense_floor(deep=False)
        if self.deep is not None and self.deep_rows is not None and len(self.deep_rows):
            q = np.asarray(self._deep().embed_query(query), dtype=np.float32).reshape(-1)
            margin[self.deep_rows] = self.deep @ q - self.dense_floor(deep=True)
        return margin

    def dense_floor(self, *, deep: bool) -> float:
        """Cosine that unrelated text rarely reaches in this store, calibrated on the store itself.

        Paper titles are used as queries against the other papers: the 99.9th percentile of those
        similarities is what an unrelated paper can score by chance, whatever the model's baseline.
        """
        cache = self._floors
        if deep not in cache:
            matrix = self.deep if deep else self.matrix
            rng = np.random.default_rng(0)
            if matrix is None or len(matrix) < 50:
                cache[deep] = 0.5 if deep else 0.8
            else:
                probe = rng.choice(len(matrix), size=min(DENSE_FLOOR_PROBES, len(matrix)), replace=False)
                embedder = self._deep() if deep else self.embedder
                rows = probe if not deep or self.deep_rows is None else self.deep_rows[probe]
                titles = [self.titles[int(r)] for r in rows]
                queries = np.asarray(embedder.embed_documents(titles), dtype=np.float32)  # type: ignore[union-attr]
                sims = queries @ matrix.T
                sims[np.arange(len(probe)), probe] = -1.0  # a title matches its own paper
                cache[deep] = float(np.quantile(sims, DENSE_FLOOR_QUANTILE))
        return cache[deep]

    def _deep(self) -> Any:
        if self._deep_embedder is None:
            from scholarbot.store.embeddings import get_embedder
            from scholarbot.store.store import DEEP_EMBEDDER

            self._deep_embedder = get_embedder(DEEP_EMBEDDER)
        return self._deep_embedder

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every paper to a query vector from the static model."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.float32)
        return self.matrix @ vector

    @property
    def deep_coverage(self) -> float:
        """Share of papers that have a full-model vector."""
        return 0.0 if self.deep_rows is None or not self.ids else len(self.deep_rows) / len(self.ids)

    def meaning_scores(self, query: str) -> np.ndarray:
        """How far above the store's typical paper each paper's meaning is to the query, in z-scores.

        Uses the full model's vectors wherever enrichment produced them and the static model's
        elsewhere. z-scores (per model, over the whole store) put both on one scale and make
        thresholds independent of a model's baseline similarity: static vectors sit near 0.6
        cosine for unrelated text, full MiniLM near 0.1.
        """
        z = zscore(self.dense_scores(self.embed(query)))
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
        if not self.ids or not query.strip():
            return []
        zeros = np.zeros(len(self.ids), dtype=np.float32)
        lex = self.lexical_scores(query) if mode != "dense" else zeros
        dense = self.meaning_scores(query) if mode != "bm25" else zeros
        rows = np.arange(len(self.ids))
        if within is not None:
            rows = np.array(sorted(self.row[p] for p in within if p in self.row), dtype=int)
            if rows.size == 0:
                return []
        if mode == "bm25":
            fused = np.where(lex[rows] > 0, lex[rows], -np.inf)
        elif mode == "dense":
            fused = dense[rows].astype(np.float64)
        else:
            fused = fuse(lex, dense, deep=self.deep_coverage > 0)[rows]
        order = [i for i in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[i])]
        return [
            Scored(self.ids[rows[i]], float(fused[i]), float(lex[rows[i]]), float(dense[rows[i]]))
            for i in order
        ]


def fuse(lex: np.ndarray, dense_z: np.ndarray, *, deep: bool) -> np.ndarray:
    """Lexical share of the best BM25 score plus weighted meaning z-score.

    A perfect lexical match is worth 1; a paper DENSE_Z_SCALE standard deviations above the
    store in meaning is worth the dense weight. Full-model vectors earn more weight than static
    ones because they read paraphrases far better (benchmarks/embedders.py).
    """
    share = lexical_share(lex)
    weight = DENSE_WEIGHT_DEEP if deep else DENSE_WEIGHT_STATIC
    return share.astype(np.float64) + weight * np.clip(dense_z, 0.0, None) / DENSE_Z_SCALE


def lexical_share(lex: np.ndarray) -> np.ndarray:
    """BM25 scores as a share of the best one in the store (1.0 = the best lexical match)."""
    best = float(lex.max()) if lex.size else 0.0
    return lex / best if best > 0 else np.zeros_like(lex)


def stemmed_words(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    """Each text's words as BM25 sees them: lower-cased, English stop words out, stemmed.

    The paper index and the digest ranker both use this, so a topic matches the same words in both.
    """
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)


def zscore(x: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """`x` in standard deviations from the mean of `reference` (default: of `x` itself)."""
    ref = x if reference is None else reference
    return ((x - ref.mean()) / (float(ref.std()) + 1e-9)).astype(np.float32)
