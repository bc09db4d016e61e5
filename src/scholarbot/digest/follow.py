"""Which new papers are by a researcher a channel follows: the people resolver decides, never the name alone.

Following "Zheng Lin" means following one Zheng Lin (the one picked, with a store id), not every
author of that name. A new paper is theirs when the evidence that joins authorships into people (a
shared coauthor, affiliation or author id; see ingest/people.py) joins its author to the followed person's
known papers. A namesake with no such link is someone else, and is not sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from scholarbot.ingest.people import resolve_people
from scholarbot.records import Paper, Researcher, person_key


class RecordSource(Protocol):
    """Where paper and researcher records are read: the store, or copies of them (digest/service.py)."""

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]: ...

    def get_researchers(self, ids: Sequence[str]) -> dict[str, Researcher]: ...


def followed_papers(
    papers: Sequence[Paper],
    followed: Mapping[str, tuple[str, ...]],
    names: Mapping[str, str],
    store: RecordSource,
) -> dict[str, set[str]]:
    """Map each followed researcher's display name to the ids of `papers` that are theirs.

    Args:
        papers: The new batch.
        followed: Researcher id -> paper ids that identified them when the subscription was made
            (store ids move when people are re-resolved; the papers do not).
        names: Researcher id -> display name (the subscription's researcher_names).
        store: Where the researchers' current records and known papers are read.
    """
    out: dict[str, set[str]] = {}
    current = store.get_researchers(list(followed))
    for rid, anchors in followed.items():
        record = current.get(rid)
        known_ids = set(anchors) | set(record.paper_ids if record else ())
        name = names.get(rid) or (record.name if record else "")
        # Person keys, as resolution groups names: a paper printing a middle initial the record
        # lacks ("Christopher D. Manning") is still a candidate, and resolution decides.
        keys = {person_key(n) for n in (name, *(record.aliases if record else ())) if n}
        mine = {p.id for p in papers if p.id in known_ids}
        candidates = [
            p for p in papers if p.id not in known_ids and any(person_key(a.name) in keys for a in p.authors)
        ]
        if candidates and keys:
            known = list(store.get_papers(sorted(known_ids)).values())
            for person in resolve_people([*known, *candidates]):
                if person_key(person.name) in keys and known_ids & set(person.paper_ids):
                    mine |= {pid for pid in person.paper_ids if pid not in known_ids}
        if mine:
            out[name] = mine
    return out
