"""Name rarity and the other weak evidence that joins authorships of one rare name.

Coauthors, affiliations and ids link most authorships of one person (see :mod:`scholarbot.ingest.people`).
What is left are clusters of one name with nothing in common: a researcher who changed lab and
coauthors, or two namesakes. Author-disambiguation systems (S2AND, OpenAlex) settle these with the
name's rarity, topic, venue and time. This module estimates each and scores a pair of clusters:

* Rarity. ``expected_namesakes`` is how many people a population the size of the store's would hold
  under the name by chance if name parts were drawn independently: N * prod(p(token)), where p(token)
  is the share of the population (the clusters evidence left) whose name holds the token. "Tobias
  Meggendorfer" comes out near 1e-3, "Wei Wang" near 15. The records can not tell how common a name
  is outside the store, and they undercount romanised Chinese, Korean and Vietnamese names (few
  family names, given names from a small set of syllables, characters and tones lost), so for those
  the estimate is multiplied by :data:`ROMANISED_FACTOR`.
* Odds. The prior odds that two clusters of a name are one person are 1 / expected_namesakes;
  a shared venue series and close topics multiply them up, disjoint venues, far topics and a long
  gap in years down. A pair is joined when the odds reach :data:`MERGE_ODDS`.

The likelihood ratios were estimated on the shared corpus (13k papers, 2020-2025), resolved with every
author id hidden: pairs of clusters that carry the same OpenReview or ACL id (one person; 244 pairs)
share a venue series 87% of the time, random pairs of researchers 28%; their topic cosine is >= 0.05
for 37% of them and 14% of random pairs, and < 0.01 (both with enough words) for 3% and 15%. Topic
does not separate namesakes in one field (two NLP Wei Wangs), so it only adjusts the odds the name's
rarity sets; the time signal could not be measured on six years of papers and is a guess.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

from unidecode import unidecode

from scholarbot.records import Paper, bare_key, fold

#: A pair of clusters is joined when its odds of being one person reach this (P >= 0.99).
MERGE_ODDS = 100.0
#: Romanised Chinese, Korean and Vietnamese names: the corpus undercounts how many people share one
#: spelling (few family names, given names built from a small set of syllables, characters and tones
#: lost in romanisation).
ROMANISED_FACTOR = 10.0
#: Clusters a token needs before the names it appears in can say it is East Asian.
ASSOCIATION_MIN = 5
#: Likelihood ratios of the supporting evidence (see the module docstring for their source).
LR_VENUE_SHARED = 3.0
LR_VENUE_DISJOINT = 0.2
LR_TOPIC_CLOSE = 2.5
LR_TOPIC_FAR = 0.2
LR_LONG_GAP = 0.5
#: Cosine of title/abstract word vectors that counts as close, and as far (both with enough text).
TOPIC_CLOSE = 0.05
TOPIC_FAR = 0.01
#: Papers whose words set the document frequencies.
IDF_SAMPLE = 3000
#: Field words a cluster needs before a low cosine counts against it.
TOPIC_MIN_WORDS = 40
#: Years between two clusters' spans that count as a long gap.
LONG_GAP_YEARS = 8


def name_tokens(key: str) -> list[str]:
    """Tokens of a name key that carry information (initials do not)."""
    return [t for t in key.split() if len(t) > 1]


class NameFrequencies:
    """How common each name token is among the people (clusters) of one resolution."""

    def __init__(self, cluster_keys: Iterable[str] | Mapping[str, int], total: int | None = None) -> None:
        """From each cluster's name key, or from clusters counted per key.

        With `total` (every cluster in the store), the keys may be only those sharing a word with the
        names that will be asked about: their frequencies come out the same.
        """
        self.tokens: Counter[str] = Counter()
        self.total = 0
        # Keys, not their token sets: a store's worth of frozensets was most of this object's size,
        # and only the few tokens `east_asian` asks about need their names' other parts.
        self._names_with: dict[str, list[str]] = defaultdict(list)
        self._east_asian: dict[str, bool] = {}
        self._counts = cluster_keys if isinstance(cluster_keys, Mapping) else Counter(cluster_keys)
        for key, n in self._counts.items():
            self.total += n
            for t in set(name_tokens(key)):
                self.tokens[t] += n
                self._names_with[t].append(key)
        if total is not None:
            self.total = total

    def east_asian(self, token: str) -> bool:
        """Whether a token is part of a name romanised from Chinese, Korean or Vietnamese.

        By its syllables, or, for spellings outside the syllable tables ("Park", "Ahn"), by the names
        it appears in: at least two thirds of them (of five or more) have only such other parts.
        """
        if token not in self._east_asian:
            verdict = romanised_syllables(token)
            if not verdict and self.tokens[token] >= ASSOCIATION_MIN:
                partners = 0
                for key in self._names_with[token]:
                    others = set(name_tokens(key)) - {token}
                    if others and all(romanised_syllables(o) for o in others):
                        partners += self._counts[key]
                verdict = partners >= 2 / 3 * self.tokens[token]
            self._east_asian[token] = verdict
        return self._east_asian[token]

    def romanised(self, key: str) -> bool:
        """Whether every token of a name is East Asian romanised ("zheng lin", "seongmin park")."""
        tokens = name_tokens(key)
        return bool(tokens) and all(self.east_asian(t) for t in tokens)

    def expected_namesakes(self, key: str) -> float | None:
        """Expected number of people holding this name, by token frequencies; None when not judged.

        A name needs two tokens that are not initials: "J. Smith" or a single name says too little.
        """
        tokens = name_tokens(key)
        if len(tokens) < 2 or not self.total:
            return None
        n = float(self.total)
        estimate = n * math.prod(self.tokens[t] / n for t in tokens)
        return estimate * (ROMANISED_FACTOR if self.romanised(key) else 1.0)


def _syllables(initials: str, vowels: str, finals: str) -> frozenset[str]:
    return frozenset(
        i.strip("-") + v + f.strip("-")
        for i in initials.split()
        for v in vowels.split()
        for f in finals.split()
    )


# Syllable tables, every initial with every vowel and final: combinations a language lacks only make
# the test more conservative. Pinyin; Korean (Revised Romanization, with the "oo"/"ee" of many names);
# Vietnamese without its diacritics.
_PINYIN = _syllables(
    "- b p m f d t n l g k h j q x zh ch sh r z c s y w",
    "a o e i u v ai ei ui ao ou iu ie ue ve er an en in un vn ang eng ing ong ia iao ian iang iong"
    " ua uo uai uan uang ueng",
    "-",
)
_KOREAN = _syllables(
    "- g k kk n d t tt r l m b p pp s ss j jj ch h sh",
    "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i oo ee",
    "- k n t l m p ng",
)
_VIETNAMESE = _syllables(
    "- b c ch d g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x",
    "a e i o u y ai ao au ay eo eu ia ie iu oa oe oi ua ue ui uo uu uy ya ye yu uye ieu oai oay uoi uay",
    "- c ch m n ng nh p t",
)


@lru_cache(maxsize=65536)
def _fewest_syllables(token: str, table: frozenset[str]) -> int:
    """Fewest syllables of `table` that `token` splits into (99 when it does not split)."""
    if not token:
        return 0
    best = 99
    for end in range(1, min(7, len(token)) + 1):
        if token[:end] in table:
            best = min(best, 1 + _fewest_syllables(token[end:], table))
    return best


@lru_cache(maxsize=65536)
def romanised_syllables(token: str) -> bool:
    """Whether a token reads as a Chinese or Korean name part (one or two syllables) or a Vietnamese one."""
    return (
        _fewest_syllables(token, _PINYIN) <= 2
        or _fewest_syllables(token, _KOREAN) <= 2
        or _fewest_syllables(token, _VIETNAMESE) == 1
    )


_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_STOPWORDS = (
    "the and for with that this are from can which its these has have not their than such both also"
    " been into using use based via more how while over between through our paper propose proposed"
    " show results approach method methods new"
)
_STOP = frozenset(_STOPWORDS.split())


def paper_words(paper: Paper) -> set[str]:
    """Content words of a paper's title, abstract and keyword tags."""
    tags = " ".join(t.split(":", 1)[1] for t in paper.tags if t.startswith(("keyword:", "area:", "subject:")))
    text = f"{paper.title} {paper.abstract} {tags}".lower()
    return {w for w in _WORD.findall(text) if w not in _STOP}


def venue_series(venue: str | None) -> str:
    """A venue without its year or edition: "ACL 2022" -> "acl", "COLING 2025" -> "coling"."""
    if not venue:
        return ""
    return " ".join(re.sub(r"[^a-z]+", " ", fold(venue)).split())


@dataclass
class ClusterEvidence:
    """What one cluster of authorships shows about its person, beyond coauthors and affiliations."""

    venues: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    papers: list[Paper] = field(default_factory=list)
    spellings: set[str] = field(default_factory=set)

    def add(self, paper: Paper, spelling: str) -> None:
        series = venue_series(paper.venue)
        if series:
            self.venues.add(series)
        if paper.year:
            self.years.add(paper.year)
        self.papers.append(paper)
        self.spellings.add(spelling)

    def absorb(self, other: ClusterEvidence) -> None:
        self.venues |= other.venues
        self.years |= other.years
        self.papers.extend(other.papers)
        self.spellings |= other.spellings


def ordered_spelling(name: str) -> str:
    """A printed name in its printed order, folded, middle initials aside (as in the person key):
    "Yu-Feng Li" and "YuFeng Li" -> "yufeng li"; "Christopher D. Manning" -> "christopher manning"."""
    return bare_key(" ".join(re.sub(r"[^a-z0-9 ]+", " ", fold(name).replace("-", "")).split()))


@dataclass(frozen=True)
class PairEvidence:
    """The score of one pair of same-name clusters, with what went into it."""

    expected_namesakes: float
    romanised: bool
    odds: float
    shared_venues: tuple[str, ...]
    topic: float | None
    year_gap: int | None


class TopicModel:
    """Tf-idf over content words; document frequencies from a fixed sample of papers, built on first use.

    Paper ids are hashes, so the papers with the smallest ids are a fair sample: a few thousand give
    stable frequencies for field words and keep the cost flat as the store grows.
    """

    def __init__(self, papers: Iterable[Paper], sample: int = IDF_SAMPLE) -> None:
        self._papers = papers
        self._sample = sample
        self._idf: dict[str, float] | None = None
        self._unseen = 0.0
        self._stop: set[str] = set()
        self._words: dict[str, tuple[str, ...]] = {}

    def words_of(self, paper: Paper) -> tuple[str, ...]:
        # Kept as a tuple of interned words: a set of fresh strings costs ~8 KB a paper, and at a
        # million papers rarity touches enough of them for that to be the resolution's peak.
        if paper.id not in self._words:
            self._words[paper.id] = tuple(sys.intern(w) for w in paper_words(paper))
        return self._words[paper.id]

    def _weights(self) -> tuple[dict[str, float], float]:
        if self._idf is None:
            sample = sorted(self._papers, key=lambda p: p.id)[: self._sample]
            df: Counter[str] = Counter()
            for p in sample:
                df.update(paper_words(p))
            n = len(sample)
            # A word in a fifth of all papers says nothing about a field.
            self._idf = {w: math.log((n + 1) / (c + 1)) for w, c in df.items() if c <= 0.2 * n}
            self._stop = {w for w, c in df.items() if c > 0.2 * n}
            self._unseen = math.log(n + 1)
        return self._idf, self._unseen

    def vector(self, papers: Iterable[Paper]) -> dict[str, float]:
        idf, unseen = self._weights()
        counts: Counter[str] = Counter()
        for p in papers:
            counts.update(self.words_of(p))
        return {w: c * idf.get(w, unseen) for w, c in counts.items() if w not in self._stop}

    def cosine(self, a: ClusterEvidence, b: ClusterEvidence) -> tuple[float, bool]:
        """Cosine of two clusters' tf-idf vectors, and whether both had enough field words to judge."""
        va, vb = self.vector(a.papers), self.vector(b.papers)
        na = math.sqrt(sum(x * x for x in va.values()))
        nb = math.sqrt(sum(x * x for x in vb.values()))
        enough = min(len(va), len(vb)) >= TOPIC_MIN_WORDS
        if not na or not nb:
            return 0.0, enough
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(x * vb.get(w, 0.0) for w, x in va.items()) / (na * nb), enough


def could_join(expected: float) -> bool:
    """Whether a name this common could be joined on the best supporting evidence at all."""
    return LR_VENUE_SHARED * LR_TOPIC_CLOSE / max(expected, 1e-12) >= MERGE_ODDS


def score_pair(
    expected: float, romanised: bool, a: ClusterEvidence, b: ClusterEvidence, topics: TopicModel
) -> PairEvidence | None:
    """The odds that two clusters of one rare name are one person; None when they cannot reach the bar.

    Different printed orders ("Zhao Li" vs "Li Zhao") are left apart: they are often two names.
    """
    if not (a.spellings & b.spellings):
        return None
    odds = 1.0 / max(expected, 1e-12)
    shared = tuple(sorted(a.venues & b.venues))
    if shared:
        odds *= LR_VENUE_SHARED
    elif a.venues and b.venues:
        odds *= LR_VENUE_DISJOINT
    gap = None
    if a.years and b.years:
        gap = max(0, max(min(a.years), min(b.years)) - min(max(a.years), max(b.years)))
        if gap > LONG_GAP_YEARS:
            odds *= LR_LONG_GAP
    if odds * LR_TOPIC_CLOSE < MERGE_ODDS:
        return None  # not even close topics would carry it: skip the topic vectors
    topic = None
    if odds * LR_TOPIC_FAR < MERGE_ODDS:  # topic can still decide
        topic, enough = topics.cosine(a, b)
        if topic >= TOPIC_CLOSE:
            odds *= LR_TOPIC_CLOSE
        elif topic < TOPIC_FAR and enough:
            odds *= LR_TOPIC_FAR
    if odds < MERGE_ODDS:
        return None
    return PairEvidence(expected, romanised, odds, shared, topic, gap)


# --- one name printed with and without its middle names ------------------------------------


class NameForm(NamedTuple):
    """A printed name read as given name, middle parts and family name, for matching variants.

    "Jackie Chi Kit Cheung": first "jackie", last "cheung", words {"chi", "kit"}; "Jackie CK Cheung"
    and "Jackie C. K. Cheung": letters {"c", "k"}. A nickname in brackets ("Nanyun (Violet) Peng")
    is no part of it, nor is a generational suffix.
    """

    first: str
    last: str
    #: Middle names written out.
    words: frozenset[str]
    #: Initials: single letters anywhere but the given and family name, and a middle of two or three
    #: capitals ("CK") in a name that is not all capitals.
    letters: frozenset[str]
    #: Every part run together in printed order ("See Kiong Ng" and "See-Kiong Ng": "seekiongng").
    compact: str

    @property
    def block(self) -> str:
        """The given and family name, which printed variants of one name share."""
        return f"{self.first} {self.last}"


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SUFFIX_WORDS = frozenset({"jr", "sr", "ii", "iii", "iv"})


@lru_cache(maxsize=1 << 16)
def name_form(name: str) -> NameForm | None:
    """Read a printed name as a :class:`NameForm`; None when it has fewer than two full words.

    Words are split as :func:`~scholarbot.records.name_key` splits them (a hyphen joins), so the
    first and last words are words of the person key.
    """
    text = unidecode(unicodedata.normalize("NFKC", _BRACKETED.sub(" ", name))).replace("-", "")
    raw = [w for w in re.findall(r"[A-Za-z0-9]+", text) if w.lower() not in _SUFFIX_WORDS]
    full = [i for i, w in enumerate(raw) if len(w) > 1]
    if len(full) < 2:
        return None
    first, last = full[0], full[-1]
    mixed_case = any(ch.islower() for ch in text)
    words: set[str] = set()
    letters: set[str] = set()
    for i, w in enumerate(raw):
        if i in (first, last):
            continue
        if len(w) == 1 or (first < i < last and mixed_case and w.isupper() and len(w) <= 3):
            letters.update(w.lower())
        else:
            words.add(w.lower())
    return NameForm(
        raw[first].lower(),
        raw[last].lower(),
        frozenset(words),
        frozenset(letters),
        "".join(raw).lower(),
    )


def middles_agree(a: NameForm, b: NameForm) -> bool:
    """Whether two printed forms of one given and family name may be one person's.

    One side's middle names must be the other's or some of them ("Thien Huu Nguyen", "Thien
    Nguyen"), and the initials of each side (its middle names' first letters among them) those of
    the other or some of them: "Jackie CK Cheung" fits "Jackie Chi Kit Cheung", "Juan A. Rodriguez"
    does not fit "Juan Diego Rodriguez".
    """
    if not (a.words <= b.words or b.words <= a.words):
        return False
    la = a.letters | {w[0] for w in a.words}
    lb = b.letters | {w[0] for w in b.words}
    return la <= lb or lb <= la


def drops_east_asian_syllable(a: NameForm, b: NameForm) -> bool:
    """Whether two forms differ by a middle word in a name of romanised East Asian syllables only.

    "Xiao Juan Wang" and "Xiao Wang": the second syllable belongs to the given name, which the shorter
    form then is another given name, not the same one without a middle name. Such pairs are joined on
    a shared coauthor or id, not on an affiliation alone (see :mod:`scholarbot.ingest.people`).
    """
    if a.words == b.words:
        return False
    parts = (a.first, a.last, *a.words, *b.words)
    return all(romanised_syllables(p) for p in parts)


@lru_cache(maxsize=1 << 16)
def key_pairs(key: str) -> frozenset[tuple[str, str]]:
    """Pairs of full words of a person key (one of them is the given and family name of each print)."""
    return frozenset(combinations(sorted({t for t in key.split() if len(t) > 1}), 2))


def key_letters(key: str) -> str:
    """A person key's letters, however spaced."""
    return "".join(sorted(key.replace(" ", "")))


def keys_anchored(keys: Iterable[str]) -> bool:
    """Whether person keys can be one person's names: all hold one pair of full words (the given and
    family name their middle names are printed around), or all are one string of letters spaced
    differently ("kiong ng see", "ng seekiong")."""
    keys = list(keys)
    if len(keys) < 2:
        return True
    common = key_pairs(keys[0])
    for k in keys[1:]:
        common = common & key_pairs(k)
        if not common:
            break
    return bool(common) or len({key_letters(k) for k in keys}) == 1
