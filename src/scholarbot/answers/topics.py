"""Is a paper on a topic? An absolute test, so a topic the store does not cover finds nothing.

Ranking alone always returns a "best" paper, however far off. A paper counts as on the topic when it
contains most of the topic's informative words (IDF-weighted), or when its meaning is closer to the
topic than unrelated papers of this store get (a floor calibrated on the store, see
PaperIndex.dense_floor), or when it is fairly close on both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import Stemmer
from rapidfuzz import fuzz

from scholarbot.records import Paper
from scholarbot.search.index import Mode, PaperIndex, fuse, top_order

#: Share of the topic's IDF-weighted words a paper must contain, its most specific word among them,
#: to be on it by words (measured: absent topics reach 0.51 at most on the 13k corpus, and never
#: with their most specific word, which no paper there uses)...
COVERAGE_ON = 0.5
#: Topics of at most this many words must contain their most specific word...
SPECIFIC_WORD_TERMS = 8
#: ...and every word carrying at least this share of the weight: a paper on "quantum" computing is
#: not on "quantum error correction", nor one on batch-norm "folding" on "protein folding"; a
#: near-generic word ("learning" of "federated learning") may be missing.
HEAVY_WORD = 0.2
#: ...or this share together with a meaning within MARGIN_NEAR of the "related" floor.
COVERAGE_NEAR = 0.4
MARGIN_NEAR = -0.08
_STEMMER = Stemmer.Stemmer("english")
#: Best-scoring papers checked for a title the topic names.
TITLE_CANDIDATES = 20
#: In a store past the exact-search limit, only topics of at most this many words are checked so
#: ("TruthfulQA", "the GLM paper").
NAME_WORDS = 4
#: A topic of alternatives ("A or B") has at most this many words in each (a longer side is more
#: likely a description that says "or", and each side alone matches more loosely).
ALTERNATIVE_WORDS = 3


@dataclass(frozen=True)
class TopicMatch:
    """Per-paper evidence for one topic over the whole index.

    In a store past the exact-search limit, papers the approximate index did not propose carry
    lexical evidence only; `include(rows)` scores the given rows' meaning exactly before a caller
    judges them (one person's papers, a venue's).
    """

    scores: np.ndarray
    on_topic: np.ndarray
    _complete: Callable[[np.ndarray], None] | None = field(default=None, repr=False, compare=False)

    def include(self, rows: np.ndarray) -> None:
        """Make the evidence for these rows exact (a no-op when it already is)."""
        if self._complete is not None and len(rows):
            self._complete(np.asarray(rows, dtype=np.int64))

    def on(self, row: int | None) -> bool:
        return row is not None and bool(self.on_topic[row])

    def score(self, row: int | None) -> float:
        return 0.0 if row is None else float(self.scores[row])


def match_topic(
    index: PaperIndex, topic: str, *, mode: Mode = "hybrid", variants: Sequence[str] = ()
) -> TopicMatch:
    """Score every paper for a topic and mark the ones that are on it; a paper on any of a few
    alternatives ("hate speech or toxic language"), or on another wording of the topic (`variants`:
    its acronyms spelt out), is on the topic."""
    parts = [*alternatives(topic), *variants]
    if len(parts) < 2:
        return _named_first(index, topic, _match_one(index, topic, mode))
    return _named_first(index, topic, _match_any(index, parts, mode))


def _match_any(index: PaperIndex, parts: Sequence[str], mode: Mode) -> TopicMatch:
    """Evidence for a paper on any of the parts: the best score, on the topic if on one of them."""
    matches = [_match_one(index, part, mode) for part in parts]
    scores = np.max([m.scores for m in matches], axis=0)
    on = np.any([m.on_topic for m in matches], axis=0)

    def judge(rows: np.ndarray) -> None:
        for m in matches:
            m.include(rows)
        scores[rows] = np.max([m.scores[rows] for m in matches], axis=0)
        on[rows] = np.any([m.on_topic[rows] for m in matches], axis=0)

    return TopicMatch(scores=scores, on_topic=on, _complete=judge if index.approximate else None)


def _named_first(index: PaperIndex, topic: str, match: TopicMatch) -> TopicMatch:
    """Papers the topic names, by their title, the name before its colon or the title's first words,
    ahead of every other and on the topic: "who wrote TruthfulQA" is about “TruthfulQA: Measuring
    How Models Mimic Human Falsehoods”, whatever else discusses TruthfulQA more."""
    key = _title_key(topic)
    if not key or (index.approximate and len(key.split()) > NAME_WORDS):
        # In a large store a long topic (a title typed in full) is left to the evidence: its
        # on-topic papers are too many to rank again cheaply.
        return match
    # A paper the topic names carries its words, so is on it: only those are ranked.
    on = np.flatnonzero(match.on_topic)
    order = on[top_order(match.scores[on], TITLE_CANDIDATES)]
    ids = [index.ids[int(r)] for r in order]
    papers = index.papers(ids)
    named = np.array(
        [int(r) for r, i in zip(order, ids, strict=True) if i in papers and _names(key, papers[i].title)],
        dtype=np.int64,
    )
    if not len(named):
        return match
    inner = match._complete

    def pin() -> None:
        others = np.delete(match.scores, named)
        top = float(others.max()) if len(others) else 0.0
        # Ahead of the rest, in the order the evidence gave them.
        match.scores[named] = top + 1.0 + np.linspace(0.1, 0.0, len(named))
        match.on_topic[named] = True

    def complete(rows: np.ndarray) -> None:
        if inner is not None:
            inner(rows)
        pin()

    pin()
    return TopicMatch(match.scores, match.on_topic, _complete=complete if inner is not None else None)


def phrased(topic: str, variants: Sequence[str], paper: Paper) -> bool:
    """Whether the paper's title or abstract says the topic (one of its alternatives, or of its other
    wordings) as a phrase, word forms aside ("topic models" says "topic modeling")."""
    wanted = [_stems(w) for t in (topic, *variants) for part in alternatives(t) for w in _wordings(part)]
    text = _stems(f"{paper.title} {paper.abstract}")
    return any(w in text for w in wanted)


#: Head nouns a field's name may end in without them being the field ("abstract argumentation
#: frameworks" is abstract argumentation, which papers also call "abstract argumentation").
_GENERIC_HEADS = frozenset(
    re.findall(
        r"\w+",
        """
        framework frameworks method methods approach approaches system systems technique techniques
        task tasks problem problems algorithm algorithms model models
        """,
    )
)


def _wordings(phrase: str) -> list[str]:
    """A phrase, and the phrase without a generic head noun when two words or more remain."""
    words = phrase.split()
    if len(words) >= 3 and words[-1].lower() in _GENERIC_HEADS:
        return [phrase, " ".join(words[:-1])]
    return [phrase]


def _stems(text: str) -> str:
    return " " + " ".join(_STEMMER.stemWords(re.findall(r"[a-z0-9]+", text.lower()))) + " "


def names_title(topic: str | None, title: str) -> bool:
    """Whether a topic names this paper: its title, its name before the colon, or its first words."""
    key = _title_key(topic or "")
    return bool(key) and _names(key, title)


#: A typed title this similar (0-100) to a paper's is that paper's, mistyped.
TITLE_SIMILAR = 90


def close_title(topic: str | None, title: str) -> bool:
    """Whether a topic typed as a title is this paper's, a few letters or its subtitle apart."""
    key, own = _title_key(topic or ""), _title_key(title)
    return bool(key) and (
        names_title(topic, title) or fuzz.ratio(key, own) >= TITLE_SIMILAR or f" {key} " in f" {own} "
    )


def _title_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _names(key: str, title: str) -> bool:
    """Whether a typed key is the title, its name before a colon, the part after it (three words or
    more), or its first words (four or more)."""
    name, colon, rest = title.partition(":")
    if key in {_title_key(title), _title_key(name) if colon else None}:
        return True
    words = len(key.split())
    if colon and words >= 3 and key == _title_key(rest):
        return True
    return words >= 4 and _title_key(title).startswith(key + " ")


def alternatives(topic: str) -> list[str]:
    """The alternatives of a topic joined by "or" ("hate speech or toxic language"); the topic
    itself when it is not a short list of them (a paper's description may say "or" in passing)."""
    return _split_short(topic, r"\s+or\s+|,\s*or\s+")


def compared(topic: str) -> list[str]:
    """The topics a comparison sets against each other ("watermarking or jailbreaking", "sarcasm vs
    metaphor", "sarcasm than metaphor"); the topic itself when it names one."""
    return _split_short(topic, r"\s+(?:or|vs\.?|versus|than(?:\s+on)?)\s+")


def _split_short(topic: str, joints: str) -> list[str]:
    """The topic's parts between `joints`, when every part is a short name; else the topic whole."""
    parts = [p.strip(" ,") for p in re.split(joints, topic, flags=re.I)]
    if len(parts) < 2 or any(not p or len(p.split()) > ALTERNATIVE_WORDS for p in parts):
        return [topic]
    return parts


def _match_one(index: PaperIndex, topic: str, mode: Mode) -> TopicMatch:
    coverage, specific, whole = index.term_coverage(topic, HEAVY_WORD)
    lex = index.lexical_scores(topic) if mode != "dense" else np.zeros(len(index), dtype=np.float32)
    # A short topic is defined by its most specific word and its other weighty ones; a long
    # description may word things its paper does not, so there coverage alone decides.
    if len(index.query_terms(topic)) > SPECIFIC_WORD_TERMS:
        specific = whole = np.ones_like(specific)
    words = specific & whole & (coverage >= COVERAGE_ON)
    scores = np.zeros(len(index), dtype=np.float64)
    on = np.zeros(len(index), dtype=bool)

    def judge(rows: np.ndarray | None) -> None:
        margin = index.related_margin(topic, rows)
        dense = index.meaning_scores(topic, rows)
        fused = fuse(lex, dense if mode != "bm25" else np.zeros_like(dense), index.dense_weight)
        near = words | (margin >= 0) | ((coverage >= COVERAGE_NEAR) & (margin >= MARGIN_NEAR))
        at = slice(None) if rows is None else rows
        scores[at], on[at] = fused[at], near[at]

    judge(None)
    return TopicMatch(scores=scores, on_topic=on, _complete=judge if index.approximate else None)
