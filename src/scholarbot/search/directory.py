"""Find researcher names in questions and resolve them to people in the store.

Matching is on name keys (order, case and diacritics folded), then fuzzy (typos) with rapidfuzz.
A key may hold several people; callers decide how to disambiguate.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from scholarbot.records import Researcher, fold, name_key

if TYPE_CHECKING:
    from scholarbot.store.store import Store

#: Similarity (0-100) a fuzzy match needs to count as the same name ("Hainan Zang" -> 91).
FUZZY_ACCEPT = 88
#: Similarity for "did you mean" suggestions.
FUZZY_SUGGEST = 70


@dataclass(frozen=True)
class PersonEntry:
    """The part of a researcher record needed to find them: cheap to keep for every person."""

    id: str
    name: str
    aliases: tuple[str, ...]
    paper_ids: tuple[str, ...]
    #: Affiliations in the records, most used first (institution questions filter on them).
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameMatch:
    """People a name refers to, how it was matched, and near misses for messages."""

    query: str
    people: tuple[PersonEntry, ...]
    exact: bool
    suggestions: tuple[str, ...] = ()


def entry_of(r: Researcher) -> PersonEntry:
    """The compact directory entry of a full researcher record."""
    return PersonEntry(r.id, r.name, r.aliases, r.paper_ids, r.affiliations)


def person_name_keys(person: PersonEntry) -> list[str]:
    """Name keys of a person's name and aliases, without duplicates."""
    return list(dict.fromkeys(name_key(n) for n in (person.name, *person.aliases)))


def _ordered(name: str) -> str:
    return " ".join(fold(name).replace("-", "").replace(".", " ").split())


class NameIndex:
    """All researcher names, for lookup and for spotting names inside free text."""

    def __init__(self, people: Iterable[PersonEntry], keys: Sequence[Sequence[str]] | None = None) -> None:
        self.by_key: dict[str, list[PersonEntry]] = defaultdict(list)
        self.display: dict[str, str] = {}
        for i, person in enumerate(people):
            person_keys = keys[i] if keys is not None else person_name_keys(person)
            for key in person_keys:
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

    def suggest(self, prefix: str, limit: int = 25) -> list[str]:
        """Display names starting with `prefix` (any word order), then fuzzy matches, most published first."""
        key = name_key(prefix)
        if not key:
            return []
        names = sorted(set(self.display.values()))
        starts = [n for n in names if fold(n).startswith(fold(prefix).strip()) or name_key(n).startswith(key)]
        if len(starts) < limit:
            extra = process.extract(
                prefix, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=FUZZY_SUGGEST
            )
            starts += [n for n, _, _ in extra if n not in starts]
        return starts[:limit]

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


class PeopleDirectory:
    """Every researcher's name and papers in memory; full records fetched from the store on demand.

    The compact table is cached on disk per store generation: parsing 36k full records takes
    seconds, the table a tenth of that.
    """

    def __init__(
        self, entries: Sequence[PersonEntry], store: Store, keys: Sequence[Sequence[str]] | None = None
    ) -> None:
        self.store = store
        self.entries = {e.id: e for e in entries}
        self.keys = keys if keys is not None else [person_name_keys(e) for e in entries]
        self.names = NameIndex(entries, self.keys)
        self._by_paper: dict[str, list[str]] = defaultdict(list)
        for e in entries:
            for pid in e.paper_ids:
                self._by_paper[pid].append(e.id)
        self._records: dict[str, Researcher] = {}

    @classmethod
    def open(cls, store: Store, cache_dir: Path) -> PeopleDirectory:
        """Load the table from cache when it matches the store's generation, else build and save it."""
        generation = store.generation()
        path = cache_dir / "people.json"
        try:
            data = json.loads(path.read_text())
            if data["generation"] == generation:
                rows = data["people"]
                entries = [PersonEntry(e[0], e[1], tuple(e[2]), tuple(e[3]), tuple(e[5])) for e in rows]
                return cls(entries, store, keys=[e[4] for e in rows])
        except (OSError, ValueError, KeyError, IndexError):
            pass  # rebuilt below
        directory = cls([entry_of(r) for r in store.iter_researchers()], store)
        rows = [
            [e.id, e.name, list(e.aliases), list(e.paper_ids), keys, list(e.affiliations)]
            for e, keys in zip(directory.entries.values(), directory.keys, strict=True)
        ]
        with contextlib.suppress(OSError):
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"people.json.tmp-{os.getpid()}")
            tmp.write_text(json.dumps({"generation": generation, "people": rows}, ensure_ascii=False))
            shutil.move(tmp, path)
        return directory

    def __len__(self) -> int:
        return len(self.entries)

    def authors_of(self, paper_id: str) -> list[str]:
        """Researcher ids of a paper's resolved authors."""
        return self._by_paper.get(paper_id, [])

    def records(self, ids: Iterable[str]) -> dict[str, Researcher]:
        """Full records for the given ids (fetched once, then kept)."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self._records]
        if wanted:
            self._records.update(self.store.get_researchers(wanted))
        return {i: self._records[i] for i in ids if i in self._records}

    def record(self, rid: str) -> Researcher:
        """One full record."""
        return self.records([rid])[rid]
