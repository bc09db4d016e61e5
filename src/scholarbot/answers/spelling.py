"""A word's other English spelling ("dialogue" / "dialog", "summarisation" / "summarization"): papers
use both, and a search should find either. breame's table of British and American spellings first;
"-ise"/"-ize" forms it lacks ("tokenisation") by rule, kept only where papers use the result."""

from __future__ import annotations

import re
from collections.abc import Callable

from breame.spelling import get_american_spelling, get_british_spelling

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
