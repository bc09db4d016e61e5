"""How a question names the labels a venue gave its papers: tracks, categories and awards.

The labels are whatever the records hold (`records.paper_labels`: "status:Findings", "track:Survey
Track", "status:Oral", "award"), not a list kept here; a question names one by its words
("findings papers", "the industry track", "IJCAI's doctoral consortium", "orals at WWW"). A label
of one word must be said as a label, with a word for a track or paper beside it or after "in" /
"at" ("findings papers", "in Findings"), since "findings", "short" or "industry" are ordinary words
too; a label of several words ("Doctoral Consortium", "AI for Good") is specific enough alone. A
word that says what kind of paper one is ("survey", "journal") or that says "important" ("main") is
not a label unless "track" follows: surveys are everywhere, the IJCAI Survey Track is one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scholarbot.records import label_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words of a label's name that do not tell it apart ("Special Track on AI in FinTech").
_LABEL_GLUE = _words(
    "track tracks special on the and of for in & - papers paper conference conferences system "
    "systems projects"
)
#: Words that say the word before them names a label ("findings papers", "industry track").
_KIND_NOUNS = _words(
    "track tracks paper papers session sessions submission submissions presentation "
    "presentations talk talks category categories pubs ones"
)
#: Words taken with a label's name ("the industry track").
_TRACK_WORDS = _words("track tracks session sessions category categories")
#: Words that may follow a label said after "in" ("in Findings at ACL", "in Findings?").
_ENDS_A_LABEL = _words("of at in from for on about with by and or")
#: Words that say the word after them names a label ("in Findings", "at the demo track").
_PLACED = _words("in at from into")
#: Kinds of paper, which a topic names as often as a track does ("survey papers on X"), and words
#: that say "the important ones" as often as a category ("the main papers on X"): labels only
#: before "track".
_TRACK_ONLY = _words(
    "survey surveys journal journals review reviews position tutorial tutorials main technical regular full"
)
#: Labels venues commonly give, by the word a question uses: asked for where the records hold no
#: such label, the answer says so rather than searching for the word.
KNOWN_LABELS = {
    "oral": "status:Oral",
    "spotlight": "status:Spotlight",
    "poster": "status:Poster",
    "finding": "status:Findings",
    "demonstration": "status:Demo",
    "industry": "status:Industry",
    "workshop": "status:Workshop",
}
#: One word for a label written two ways ("demo" and "System Demonstrations").
_SAME = {"demo": "demonstration", "demos": "demonstration", "demonstrations": "demonstration"}
#: An award as questions ask for one; the records mark award papers with an "award" label.
AWARD_WORDS = re.compile(
    r"\b(?:(?:won|wins?|winning|got|received|receiving)\s+(?:an?\s+|the\s+|any\s+)?"
    r"(?:best[- ]paper\s+)?awards?|"
    r"(?:best|outstanding)[- ]papers?(?:[- ]awards?)?(?:[- ](?:winners?|winning))?|"
    r"award[- ]winn(?:ing|ers?)|awards?(?:[- ](?:winners?|winning))?|awarded|prize[- ]winning)\b",
    re.I,
)


@dataclass(frozen=True)
class LabelSpan:
    """Labels a run of the question names, and where the run is in the text."""

    start: int
    end: int
    labels: tuple[str, ...]


def _norm(word: str) -> str:
    w = word.casefold().strip("'’")
    w = _SAME.get(w, w)
    if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return _SAME.get(w, w)


def label_words(label: str) -> tuple[str, ...]:
    """The words that tell a label apart, normalised ("track:Demo Track" -> ("demo",) →
    "demonstration")."""
    said = re.findall(r"[\w&-]+", label_text(label))
    return tuple(_norm(w) for w in said if w.casefold() not in _LABEL_GLUE)


def find_labels(
    text: str,
    words: Sequence[tuple[str, int, int]],
    held: Sequence[str],
    venue_at: Callable[[int], bool] = lambda _: False,
) -> list[LabelSpan]:
    """The labels among `held` that the question's words (`(word, start, end)` in order) name,
    and award words whatever the records hold (an "award" label the records may lack).

    `venue_at(i)` says whether word i names a venue ("Findings of ACL").
    """
    spans: list[LabelSpan] = []
    normed = [_norm(w) for w, _, _ in words]
    folded = [w.casefold() for w, _, _ in words]
    by_words: dict[tuple[str, ...], list[str]] = {}
    for label in held:
        key = label_words(label)
        if key and not label.startswith("award"):
            by_words.setdefault(key, []).append(label)
    taken: set[int] = set()
    for key in sorted(by_words, key=len, reverse=True):  # "AI for Good - Projects" before "AI"
        for i in range(len(words)):
            end = _match(normed, folded, i, key)
            if end is None or taken.intersection(range(i, end)):
                continue
            if len(key) == 1 and not _said_as_label(folded, i, end, venue_at):
                continue
            first, last = _extent(folded, i, end, reach_back=True)
            taken.update(range(first, last))
            spans.append(LabelSpan(words[first][1], words[last - 1][2], tuple(by_words[key])))
    for i, word in enumerate(normed):
        known = KNOWN_LABELS.get(word)
        if known and i not in taken and _said_as_label(folded, i, i + 1, venue_at):
            first, last = _extent(folded, i, i + 1, reach_back=False)
            taken.update(range(first, last))
            spans.append(LabelSpan(words[first][1], words[last - 1][2], (known,)))
    for m in AWARD_WORDS.finditer(text):
        awards = tuple(x for x in held if x.startswith("award")) or ("award",)
        spans.append(LabelSpan(m.start(), m.end(), awards))
    return spans


def _extent(folded: list[str], i: int, end: int, *, reach_back: bool) -> tuple[int, int]:
    """The words a label named by words i..end takes out of the question: "track" after it and,
    with `reach_back`, "in (the)" before it; never "papers", which the rest of the question may need
    ("findings papers by X")."""
    last = end + 1 if end < len(folded) and folded[end] in _TRACK_WORDS else end
    first = i
    if reach_back and first and folded[first - 1] == "the":
        first -= 1
    if reach_back and first and folded[first - 1] in _PLACED:
        first -= 1
    else:
        first = i
    return first, last


def _match(normed: list[str], folded: list[str], i: int, key: tuple[str, ...]) -> int | None:
    """Where the label's words `key` end when they start at word i (glue words may come between)."""
    j = i
    for n, w in enumerate(key):
        while n and j < len(normed) and folded[j] in _LABEL_GLUE and normed[j] != w:
            j += 1
        if j >= len(normed) or normed[j] != w:
            return None
        j += 1
    return j


def _said_as_label(folded: list[str], i: int, end: int, venue_at: Callable[[int], bool]) -> bool:
    after = folded[end] if end < len(folded) else ""
    if folded[i] in _TRACK_ONLY:
        return after in {"track", "tracks"}
    if after in _KIND_NOUNS:
        return True
    if after == "of" and end + 1 < len(folded) and venue_at(end + 1):
        return True  # "Findings of ACL"
    before = folded[i - 1] if i else ""
    if before == "the" and i > 1:
        before = folded[i - 2]
    # "papers in Findings at ACL", not "in the long run": nothing of its own follows the label.
    return before in _PLACED and (not after or after in _ENDS_A_LABEL or venue_at(end))
