"""Answer questions from the store: resolve people, retrieve papers, compose a cited summary.

No LLM is needed: the offline composer writes every sentence from retrieved records and cites
them as [n]. Nothing that is not in the retrieved records is ever named.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scholarbot.compose import Answer, Composer, Source
from scholarbot.errors import EmptyStoreError
from scholarbot.intents import MAX_QUESTION_CHARS, Parsed, parse_question
from scholarbot.names import NameIndex, NameMatch
from scholarbot.records import Paper, Researcher
from scholarbot.search import Mode, PaperIndex

#: A paper is on a topic when its cosine to the topic reaches this...
TOPIC_DENSE_MIN = 0.45
#: ...or its BM25 score reaches this share of the best-matching paper in the whole store.
TOPIC_LEXICAL_SHARE = 0.35
#: Sources listed under an answer.
MAX_SOURCES = 8


@dataclass
class PersonView:
    """One resolved person with the papers that matter for this question."""

    person: Researcher
    papers: list[Paper] = field(default_factory=list)
    on_topic: list[Paper] = field(default_factory=list)


class Answerer:
    """Holds the search indexes for a store and answers questions against them."""

    def __init__(self, services: Any, *, retrieval: Mode = "hybrid") -> None:
        self.store = services.store
        self.embedder = services.embedder
        self.retrieval: Mode = retrieval
        self._index: PaperIndex | None = None
        self._names: NameIndex | None = None
        self._people: dict[str, Researcher] = {}

    # --- lazily built indexes -----------------------------------------------------------------

    @property
    def index(self) -> PaperIndex:
        if self._index is None:
            self._index = PaperIndex(self.store, self.embedder)
            if not len(self._index):
                raise EmptyStoreError(self.store.where)
        return self._index

    @property
    def names(self) -> NameIndex:
        if self._names is None:
            self._people = {r.id: r for r in self.store.iter_researchers()}
            self._names = NameIndex(self._people.values())
        return self._names

    # --- entry points -------------------------------------------------------------------------

    def ask(self, question: str) -> Answer:
        """Answer one question."""
        started = time.perf_counter()
        truncated = len(question) > MAX_QUESTION_CHARS
        parsed = parse_question(question)
        _ = self.index  # raises EmptyStoreError before any work
        answer = self._dispatch(parsed)
        answer.question = question[:MAX_QUESTION_CHARS]
        if truncated:
            answer.notes.append(f"Your question was cut to its first {MAX_QUESTION_CHARS} characters.")
        answer.took_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def profile(self, name: str) -> Answer:
        """Profile of a named researcher (or the list of people the name may refer to)."""
        return self.ask(f"Who is {name}?")

    def _dispatch(self, parsed: Parsed) -> Answer:
        if parsed.intent == "find_paper" or parsed.person is None:
            if parsed.intent == "topic":
                return self._who_works_on(parsed.topic or "")
            return self._find_papers(parsed.topic or "")
        match = self.names.lookup(parsed.person)
        if not match.people:
            return self._unknown_person(parsed, match)
        if parsed.intent == "profile":
            return self._profile(match)
        if parsed.intent == "papers_by":
            return self._papers_by(match, parsed.topic)
        if parsed.intent == "compare" and parsed.other:
            return self._compare(match, self.names.lookup(parsed.other), parsed)
        return self._collaborators(match, parsed.topic)

    # --- intents ------------------------------------------------------------------------------

    def _find_papers(self, query: str) -> Answer:
        hits = self.index.search(query, k=5, mode=self.retrieval)
        c = self._composer("find_paper")
        if not hits:
            return c.finish("I found no paper matching that in the records.")
        papers = self._papers([h.id for h in hits])
        return c.find_papers(query, papers)

    def _who_works_on(self, topic: str) -> Answer:
        hits = self.index.search(topic, k=30, mode=self.retrieval)
        c = self._composer("topic")
        papers = self._papers([h.id for h in hits])
        by_person: dict[str, list[Paper]] = defaultdict(list)
        weight: dict[str, float] = defaultdict(float)
        for rank, paper in enumerate(papers):
            for rid in self._authors_of(paper.id):
                by_person[rid].append(paper)
                weight[rid] += 1.0 / (rank + 5)
        top = [
            self._people[rid] for rid in sorted(weight, key=lambda r: -weight[r])[:5] if rid in self._people
        ]
        return c.who_works_on(topic, [(p, by_person[p.id][:3]) for p in top])

    def _profile(self, match: NameMatch) -> Answer:
        c = self._composer("profile")
        people = list(match.people)
        if len(people) > 1:
            return c.ambiguous(match.query, [self._view(p) for p in people])
        view = self._view(people[0])
        return c.profile(view, self._collaborator_names(view.person))

    def _papers_by(self, match: NameMatch, topic: str | None) -> Answer:
        c = self._composer("papers_by")
        views = [self._view(p, topic) for p in match.people]
        if topic:
            hits = [v for v in views if v.on_topic]
            views = hits or views
        return c.papers_by(match.query, views, topic)

    def _collaborators(self, match: NameMatch, topic: str | None) -> Answer:
        c = self._composer("collab")
        views = [self._view(p, topic) for p in match.people]
        if topic:
            on = [v for v in views if v.on_topic]
            if not on:
                return c.no_topic_work(match.query, views, topic)
            views = on
        elif len(views) > 1:
            return c.ambiguous(match.query, views)
        return c.collaborators(views, topic, self._coauthor_ids)

    def _compare(self, a: NameMatch, b: NameMatch, parsed: Parsed) -> Answer:
        c = self._composer("compare")
        if not b.people:
            return self._unknown_person(Parsed("profile", person=parsed.other), b)
        return c.compare(
            self._view(a.people[0], parsed.topic), self._view(b.people[0], parsed.topic), parsed.topic
        )

    def _unknown_person(self, parsed: Parsed, match: NameMatch) -> Answer:
        c = self._composer(parsed.intent)
        return c.unknown_person(match)

    # --- helpers ------------------------------------------------------------------------------

    def _composer(self, intent: str) -> Composer:
        return Composer(intent, self._people)

    def _papers(self, ids: list[str]) -> list[Paper]:
        found = self.store.get_papers(ids)
        return [found[i] for i in ids if i in found]

    def _view(self, person: Researcher, topic: str | None = None) -> PersonView:
        papers = self._papers(list(person.paper_ids))
        view = PersonView(person, papers)
        if topic and papers:
            view.on_topic = self._on_topic(papers, topic)
        return view

    def _on_topic(self, papers: list[Paper], topic: str) -> list[Paper]:
        """Papers about the topic, most relevant first, by meaning or by words."""
        idx = self.index
        lex = idx.lexical_scores(topic)
        best_lex = float(lex.max()) if lex.size else 0.0
        dense = idx.dense_scores(idx.embed(topic))
        scored = []
        for p in papers:
            row = idx.row.get(p.id)
            if row is None:
                continue
            d, lx = float(dense[row]), float(lex[row])
            if d >= TOPIC_DENSE_MIN or (best_lex > 0 and lx >= TOPIC_LEXICAL_SHARE * best_lex):
                scored.append((d + (lx / best_lex if best_lex else 0.0), p))
        scored.sort(key=lambda t: -t[0])
        return [p for _, p in scored]

    def _authors_of(self, paper_id: str) -> list[str]:
        _ = self.names
        if not hasattr(self, "_paper_people"):
            table: dict[str, list[str]] = defaultdict(list)
            for rid, r in self._people.items():
                for pid in r.paper_ids:
                    table[pid].append(rid)
            self._paper_people = table
        return self._paper_people.get(paper_id, [])

    def _coauthor_ids(self, paper: Paper, person: Researcher) -> list[Researcher]:
        """The other resolved people on a paper, in the paper's author order."""
        rids = [r for r in self._authors_of(paper.id) if r != person.id]
        people = [self._people[r] for r in rids if r in self._people]
        order = {a.name: i for i, a in enumerate(paper.authors)}
        return sorted(people, key=lambda r: order.get(r.name, len(order)))

    def _collaborator_names(self, person: Researcher) -> list[tuple[Researcher, int]]:
        return [(self._people[rid], n) for rid, n in person.coauthors[:10] if rid in self._people]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors."""
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


__all__ = ["Answer", "Answerer", "Source"]
