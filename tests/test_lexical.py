"""BM25 from token arrays: the same scores bm25s builds, and patches equal to a fresh build."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer
from bm25s.tokenization import Tokenized

from scholarbot.search import lexical
from scholarbot.search.lexical import TokenArrays, bm25_index


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Titles and abstracts of the bundled sample (real papers), a few empty texts among them."""
    folder = Path(str(resources.files("scholarbot") / "data" / "sample" / "paperlists"))
    out = []
    for path in sorted(folder.glob("*.json")):
        out += [f"{r.get('title', '')}\n\n{r.get('abstract', '')}" for r in json.loads(path.read_text())]
    out[3:3] = ["", "the of and"]  # no words left after stop words
    return out


def _bm25s(docs: list[list[int]], vocab: dict[str, int]) -> bm25s.BM25:
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=docs, vocab=vocab), show_progress=False)
    return reference


def _lists(tokens: TokenArrays) -> list[list[int]]:
    return [tokens.flat[tokens.offsets[i] : tokens.offsets[i + 1]].tolist() for i in range(len(tokens))]


@pytest.mark.parametrize("chunk", [lexical.COUNT_CHUNK, 500], ids=["one-pass", "many-ranges"])
def test_scores_equal_what_bm25s_builds(texts, monkeypatch, chunk):
    monkeypatch.setattr(lexical, "COUNT_CHUNK", chunk)
    tokens = TokenArrays.of(texts, {}, Stemmer.Stemmer("english"))
    assert len(tokens) == len(texts) and len(tokens.flat) > 10_000
    ours, theirs = bm25_index(tokens), _bm25s(_lists(tokens), dict(tokens.vocab))
    for key in ("data", "indices", "indptr"):
        assert ours.scores[key].dtype == theirs.scores[key].dtype
        assert np.array_equal(ours.scores[key], theirs.scores[key]), key
    assert ours.scores["num_docs"] == theirs.scores["num_docs"]
    query = ["feder", "learn", "languag"]
    assert np.array_equal(ours.get_scores(query), theirs.get_scores(query))


def test_saved_scores_load_in_bm25s(texts, tmp_path):
    tokens = TokenArrays.of(texts[:50], {}, Stemmer.Stemmer("english"))
    bm25_index(tokens).save(str(tmp_path / "bm25"))
    loaded = bm25s.BM25.load(str(tmp_path / "bm25"), mmap=True)
    theirs = _bm25s(_lists(tokens), dict(tokens.vocab))
    assert np.array_equal(loaded.get_scores(["model"]), theirs.get_scores(["model"]))


def test_a_patch_equals_tokenising_the_changed_corpus(texts):
    stemmer = Stemmer.Stemmer("english")
    vocab: dict[str, int] = {}
    base = TokenArrays.of(texts[:300], vocab, stemmer)
    # Rows replaced out of order (the first and the last included), and new documents after them.
    rows = [299, 0, 17, 18, 150]
    new_texts = {r: texts[300 + i] for i, r in enumerate(rows)}
    replacements = TokenArrays.of([new_texts[r] for r in rows], vocab, stemmer)
    added = TokenArrays.of(texts[320:330], vocab, stemmer)
    patched = base.patched(rows, replacements, added)

    expected_texts = [new_texts.get(i, t) for i, t in enumerate(texts[:300])] + texts[320:330]
    expected = TokenArrays.of(expected_texts, dict(vocab), stemmer)
    assert np.array_equal(patched.offsets, expected.offsets)
    assert np.array_equal(patched.flat, expected.flat)
    assert _lists(patched.select([5, 0, 309])) == [_lists(expected)[i] for i in (5, 0, 309)]
    assert len(base.patched([], TokenArrays.empty(vocab), TokenArrays.empty(vocab))) == 300
