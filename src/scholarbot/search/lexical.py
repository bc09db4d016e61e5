"""BM25 over token arrays: the paper index's lexical half, built and patched without per-paper lists.

bm25s indexes a Python list of token ids per paper (a Counter and a set each); a patch at 500k
papers held 71M ids as Python objects, peaked at 7 GB and took most of its 97 s there. Here every
paper's token ids are one flat array with offsets, and BM25's score matrix is computed from it with
whole-array numpy, equal element for element to what bm25s builds (a test holds them to that), in
bm25s's own layout, so bm25s still loads (memory-mapped) and scores it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer

#: Token occurrences sorted at once while counting (about 16 bytes each): bounds a build's memory.
COUNT_CHUNK = 8_000_000


def stemmed_words(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    """Each text's words as BM25 sees them: lower-cased, English stop words out, stemmed.

    The paper index and the digest ranker both use this, so a topic matches the same words in both.
    """
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)


@dataclass
class TokenArrays:
    """Each document's token ids, concatenated in document order, and the words they stand for."""

    flat: np.ndarray  # int32 token ids
    offsets: np.ndarray  # int64, one more than documents: document i is flat[offsets[i]:offsets[i+1]]
    vocab: dict[str, int]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @classmethod
    def empty(cls, vocab: dict[str, int]) -> TokenArrays:
        return cls(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64), vocab)

    @classmethod
    def of(cls, texts: Sequence[str], vocab: dict[str, int], stemmer: Stemmer.Stemmer) -> TokenArrays:
        """Tokenise texts, growing `vocab` with their new words."""
        # bm25s gives the empty token an id of its own (max + 1) and fails on an empty vocabulary.
        vocab.setdefault("", len(vocab))
        words = stemmed_words(list(texts), stemmer)
        lengths = np.fromiter((len(doc) for doc in words), dtype=np.int64, count=len(words))
        flat = np.fromiter(
            (vocab.setdefault(w, len(vocab)) for doc in words for w in doc),
            dtype=np.int32,
            count=int(lengths.sum()),
        )
        return cls(flat, _offsets(lengths), vocab)

    @classmethod
    def join(cls, parts: Sequence[TokenArrays], vocab: dict[str, int]) -> TokenArrays:
        """Documents of several arrays (tokenised against `vocab`) one after another."""
        if not parts:
            return cls.empty(vocab)
        lengths = np.concatenate([p.lengths for p in parts])
        flat = np.concatenate([p.flat for p in parts]).astype(np.int32, copy=False)
        return cls(flat, _offsets(lengths), vocab)

    def select(self, docs: Sequence[int]) -> TokenArrays:
        """The given documents, in the given order."""
        pieces = [self.flat[self.offsets[d] : self.offsets[d + 1]] for d in docs]
        flat = np.concatenate(pieces).astype(np.int32, copy=False) if pieces else np.zeros(0, dtype=np.int32)
        return TokenArrays(flat, _offsets(self.lengths[np.asarray(docs, dtype=np.int64)]), self.vocab)

    def patched(self, rows: Sequence[int], replacements: TokenArrays, added: TokenArrays) -> TokenArrays:
        """These documents with `rows` replaced by `replacements` (in order) and `added` after them.

        Unchanged documents are copied run by run, so the cost is one pass over the flat array
        whatever the number of documents.
        """
        n = len(self)
        given = np.asarray(rows, dtype=np.int64)
        order = np.argsort(given, kind="stable")
        targets = given[order]
        lengths = self.lengths.copy()
        lengths[targets] = replacements.lengths[order]
        offsets = _offsets(np.concatenate([lengths, added.lengths]))
        flat = np.empty(int(offsets[-1]), dtype=np.int32)
        start = 0
        for row, j in zip(targets.tolist(), order.tolist(), strict=True):
            flat[offsets[start] : offsets[row]] = self.flat[self.offsets[start] : self.offsets[row]]
            flat[offsets[row] : offsets[row + 1]] = replacements.flat[
                replacements.offsets[j] : replacements.offsets[j + 1]
            ]
            start = row + 1
        flat[offsets[start] : offsets[n]] = self.flat[self.offsets[start] : self.offsets[n]]
        flat[offsets[n] :] = added.flat
        return TokenArrays(flat, offsets, self.vocab)


def bm25_index(tokens: TokenArrays) -> bm25s.BM25:
    """bm25s's index of the documents, built from the arrays (bm25s's defaults: Lucene's BM25)."""
    bm25 = bm25s.BM25()
    if bm25.method != "lucene" or bm25.idf_method != "lucene":
        raise ValueError(f"bm25s's default scoring changed to {bm25.method!r}; lexical.py computes Lucene's")
    n, n_vocab = len(tokens), len(tokens.vocab)
    lengths = tokens.lengths
    # Per document: k1 * (1 - b + b * length / average length), in float64 as bm25s computes it
    # (unused, and not computed, when no document has a word: the average would be 0).
    norm = bm25.k1 * ((1 - bm25.b) + bm25.b * lengths / lengths.mean()) if len(tokens.flat) else lengths
    df = np.zeros(n_vocab, dtype=np.int64)
    data, indices = [], []
    for lo, terms, docs, counts in _term_doc_counts(tokens.flat, tokens.offsets, n_vocab):
        chunk_df = np.bincount(terms)
        df[lo : lo + len(chunk_df)] = chunk_df
        # Lucene's idf in Python floats, as bm25s computes it (one log per distinct frequency).
        values, inverse = np.unique(chunk_df, return_inverse=True)
        logs = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) if d else 0.0 for d in values.tolist()])
        idf = logs[inverse].astype(bm25.dtype)
        tf = counts.astype(bm25.dtype)
        data.append((idf[terms] * (tf / (norm[docs] + tf))).astype(bm25.dtype))
        indices.append(docs.astype(bm25.int_dtype))
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25.scores = {
        "data": np.concatenate(data) if data else np.zeros(0, dtype=bm25.dtype),
        "indices": np.concatenate(indices) if indices else np.zeros(0, dtype=bm25.int_dtype),
        "indptr": indptr,
        "num_docs": n,
    }
    bm25.vocab_dict = tokens.vocab
    bm25.unique_token_ids_set = set(tokens.vocab.values())
    bm25.nonoccurrence_array = None
    return bm25


def _term_doc_counts(
    flat: np.ndarray, offsets: np.ndarray, n_vocab: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Every (term, document) pair that occurs, with its count, sorted by term then document.

    Yielded by ranges of terms holding about COUNT_CHUNK occurrences each (a term more frequent
    than that gets a range of its own): each range's first term, and its pairs' terms counted from
    it, so memory stays near the result's whatever the corpus.
    """
    n = len(offsets) - 1
    running = np.cumsum(np.bincount(flat, minlength=n_vocab))
    lo = 0
    while lo < n_vocab:
        taken = int(running[lo - 1]) if lo else 0
        hi = min(n_vocab, max(lo + 1, int(np.searchsorted(running, taken + COUNT_CHUNK, side="right"))))
        at = np.flatnonzero((flat >= lo) & (flat < hi))
        if len(at):
            doc = np.searchsorted(offsets, at, side="right") - 1
            keys, counts = np.unique((flat[at].astype(np.int64) - lo) * n + doc, return_counts=True)
            yield lo, (keys // n).astype(np.int32), (keys % n).astype(np.int32), counts
        lo = hi


def _offsets(lengths: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out
