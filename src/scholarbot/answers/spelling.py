"""A word's other English spelling ("dialogue" / "dialog", "summarisation" / "summarization"): papers
use both, and a search should find either. breame's table of British and American spellings first;
"-ise"/"-ize" forms it lacks ("tokenisation") by rule, kept only where papers use the result.

And a typo's likely word ("sarcsm" -> "sarcasm", "dialouge" -> "dialogue"): a word no paper uses
(or a paper or two: papers have typos too, "langauge") that is one edit (a letter dropped, added,
changed, or two swapped) from words papers do use is read as the one most papers use, when enough
do. The edits of the typed word are looked up, rather than the store's words searched for near
ones, so the cost does not grow with the store and the word found is a whole word, not a stem. An
English word is never a typo, whether or not papers use it ("falconry" is not "falconly", whose
stem "falcon" is a model's name); pyspellchecker's English word list says which words are English."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from breame.spelling import get_american_spelling, get_british_spelling
from spellchecker import SpellChecker

#: "-ise" endings and their "-ize" twins, in British and American spelling.
_ISE = re.compile(r"(?<=\w\w)is(e|ed|es|ing|ation|ations|er|ers|able)$")
_IZE = re.compile(r"(?<=\w\w)iz(e|ed|es|ing|ation|ations|er|ers|able)$")


def other_spelling(word: str) -> str | None:
    """The word as the other side of the Atlantic spells it, in lower case; None when it has none."""
    low = word.lower()
    other = get_american_spelling(low)
    if other == low:
        other = get_british_spelling(low)
    if other == low:
        other = _ISE.sub(r"iz\1", low) if _ISE.search(low) else _IZE.sub(r"is\1", low)
    return other if other != low else None


def respelt(text: str, known: Callable[[str], bool]) -> str:
    """The text with each word that has another spelling which `known` accepts written that way."""

    def swap(m: re.Match[str]) -> str:
        other = other_spelling(m.group(0))
        return other if other is not None and known(other) else m.group(0)

    return re.sub(r"[A-Za-z]+", swap, text)


#: A word no paper uses is read as a typo only of a word at least this many papers use...
TYPO_MIN_PAPERS = 5
#: ...and a word a paper or two use (papers have typos too: "langauge") only of a word this many
#: times as many papers use.
TYPO_RARE_PAPERS = 2
TYPO_RATIO = 100
#: ...and only when it has at least this many letters (short words have too many neighbours).
TYPO_MIN_LETTERS = 4
#: A typo read as a shorter word ("crispr" -> "crisp") needs this many letters: dropping a letter
#: from a short word that no paper uses turns many a real term into a different one.
TYPO_DROP_MIN_LETTERS = 7
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Words as chat clips them ("spiking neural nets"), read as the full word when papers write that
#: many times as often (`CLIPPED_RATIO`): a word papers use as itself ("eval") stays as typed.
_CLIPPINGS = {
    "net": "network",
    "nets": "networks",
    "algo": "algorithm",
    "algos": "algorithms",
    "convo": "conversation",
    "convos": "conversations",
    "stats": "statistics",
    "optim": "optimization",
    "seg": "segmentation",
    "summ": "summarization",
    "gen": "generation",
}
CLIPPED_RATIO = 10


def one_edit(word: str) -> set[str]:
    """Every string one letter dropped, swapped with the next, changed or added away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    added = {a + c + b for a, b in splits for c in _LETTERS}
    return (dropped | swapped | changed | added) - {word}


@functools.cache
def _english() -> SpellChecker:
    # Loaded at the first word no paper uses (0.2 s, 160k words), not at import.
    return SpellChecker(language="en", distance=1)


def is_english(word: str) -> bool:
    """Whether a (lower-case) word is in the English word list."""
    return word in _english()


def typos_fixed(
    text: str, papers_using: Callable[[str], int | None], written: Callable[[str], bool]
) -> tuple[str, list[tuple[str, str]]]:
    """The text with each likely typo replaced by its word, and the (typed, read) pairs.

    `papers_using(word)` is how many papers use a word (its stem), or None for a word search ignores
    (a stop word); `written(word)` whether papers write the word itself.
    """
    fixed: list[tuple[str, str]] = []

    def fix(m: re.Match[str]) -> str:
        typed = m.group(0)
        low = typed.lower()
        used = papers_using(low)
        full = _CLIPPINGS.get(low)
        if full and (papers_using(full) or 0) >= CLIPPED_RATIO * max(used or 0, 1):
            fixed.append((typed, full))
            return full
        if (
            len(low) < TYPO_MIN_LETTERS
            or any(c.isupper() for c in typed[1:])  # "PoliMi", "BabelNet", "CRISPR": names, as typed
            or used is None
            or used > TYPO_RARE_PAPERS
            or is_english(low)
        ):
            return typed
        least = max(TYPO_MIN_PAPERS, TYPO_RATIO * used)
        candidates = []
        for word in one_edit(low):
            if len(word) < len(low) and len(low) < TYPO_DROP_MIN_LETTERS:
                continue
            n = papers_using(word) or 0
            if n >= least:
                candidates.append((-n, word))
        best = next((word for _, word in sorted(candidates) if written(word)), None)
        if best is None:
            return typed
        read = best.capitalize() if typed[0].isupper() else best
        fixed.append((typed, read))
        return read

    return re.sub(r"(?<![\w'-])[A-Za-z]+(?![\w'-])", fix, text), fixed


#: A word is tried as two joined by a hyphen ("multimodal" / "multi-modal") from this many letters,
#: each part at least HYPHEN_PART_LETTERS long.
HYPHEN_WORD_LETTERS = 8
HYPHEN_PART_LETTERS = 3
#: Endings that are no word of their own, where a hyphen only breaks a word across a line.
_SUFFIXES = frozenset(
    re.findall(
        r"\w+",
        "ing ings ed er ers est ion ions tion tions ly al ally ness ment ments able ity ive ize ise",
    )
)


def rehyphenated(text: str, papers_using: Callable[[str], int | None], written: Callable[[str], bool]) -> str:
    """The text with each word in the other form papers also write: "multimodal" as "multi-modal",
    "code-switching" as "codeswitching", where papers write that form (the search splits words at
    hyphens, so the two forms find different papers)."""

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        if "-" in word:
            joined = word.replace("-", "")
            return (
                joined if word.count("-") == 1 and (papers_using(joined) or 0) and written(joined) else word
            )
        if len(word) < HYPHEN_WORD_LETTERS:
            return word
        for i in range(HYPHEN_PART_LETTERS, len(word) - HYPHEN_PART_LETTERS + 1):
            head, tail = word[:i], word[i:]
            if tail.lower() in _SUFFIXES:
                continue  # "learn-ing": a word broken across a line, not two words
            if (papers_using(head) or 0) and (papers_using(tail) or 0) and written(f"{head}-{tail}"):
                return f"{head}-{tail}"
        return word

    return re.sub(r"(?<![\w-])[A-Za-z]+(?:-[A-Za-z]+)?(?![\w-])", swap, text)
