"""Find researcher names in questions and resolve them to people in the store.

Matching is on name keys (order, case and diacritics folded), then fuzzy (typos) with rapidfuzz.
A key may hold several people; callers decide how to disambiguate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from scholarbot.records import Researcher, fold, name_key

#: Similarity (0-100) a fuzzy match needs to count as the same name ("Hainan Zang" -> 91).
FUZZY_ACCEPT = 88
#: Similarity for "did you mean" suggestions.
FUZZY_SUGGEST = 70


@dataclass(frozen=True)
class NameMatch:
    """People a name refers to, how it was matched, and near misses for messages."""

    query: str
    people: tuple[Researcher, ...]
    exact: bool
    suggestions: tuple[str, ...] = ()


def _ordered(name: str) -> str:
    return " ".join(fold(name).replace("-", "").replace(".", " ").split())


class NameIndex:
    """All researcher names, for lookup and for spotting names inside free text."""

    def __init__(self, people: Iterable[Researcher]) -> None:
        self.by_key: dict[str, list[Researcher]] = defaultdict(list)
        self.display: dict[str, str] = {}
        for person in people:
            for name in (person.name, *person.aliases):
                key = name_key(name)
                if key and person not in self.by_key[key]:
                    self.by_key[key].append(person)
                    self.display.setdefault(key, person.name)
        for group in self.by_key.values():
            group.sort(key=lambda r: (-len(r.paper_ids), r.id))
        self.keys = list(self.by_key)

    def __len__(self) -> int:
        return len(self.by_key)

    def lookup(self, name: str) -> NameMatch:
        """Resolve a name: exact key first, then a fuzzy match, else suggestions only."""
        key = name_key(name)
        if key in self.by_key:
            people = self.by_key[key]
            # "Zhao Li" and "Li Zhao" share a key but are usually different people: when some
            # candidates were printed in the asked order, those are the ones meant.
            same_order = [p for p in people if _ordered(name) in {_ordered(n) for n in (p.name, *p.aliases)}]
            return NameMatch(name, tuple(same_order or people), exact=True)
        if not key or not self.keys:
            return NameMatch(name, (), exact=False)
        hits = process.extract(key, self.keys, scorer=fuzz.ratio, limit=5, score_cutoff=FUZZY_SUGGEST)
        if hits and hits[0][1] >= FUZZY_ACCEPT and (len(hits) == 1 or hits[0][1] - hits[1][1] >= 3):
            return NameMatch(name, tuple(self.by_key[hits[0][0]]), exact=False)
        return NameMatch(name, (), exact=False, suggestions=tuple(self.display[k] for k, _, _ in hits))

    def spot(self, text: str, max_tokens: int = 5) -> tuple[str, str] | None:
        """Find the longest span of `text` that is a known name; return (span, key).

        Used when a question's wording does not follow a pattern we parse; spans of 2 to
        `max_tokens` words are tried, longest first, so "Rui Zhang" wins over "Zhang".
        """
        tokens = text.replace("?", " ").replace(",", " ").replace("'s ", " ").split()
        for size in range(min(max_tokens, len(tokens)), 1, -1):
            for start in range(len(tokens) - size + 1):
                span = " ".join(tokens[start : start + size])
                if not any(ch.isupper() for ch in span) and fold(span) == span:
                    continue
                key = name_key(span)
                if key in self.by_key:
                    return span, key
        return None
