"""Answer questions from the store: resolve people, retrieve papers, compose a cited summary.

No LLM is needed: the offline composer writes every sentence from retrieved records and cites
them as [n]. Nothing that is not in the retrieved records is ever named.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scholarbot.answers.compose import Composer
from scholarbot.answers.types import Answer, Source
from scholarbot.errors import EmptyStoreError, UnknownResearcherError
from scholarbot.ingest import PEOPLE_STALE
from scholarbot.answers.reader import MAX_QUESTION_CHARS, Parsed, parse_question
from scholarbot.names import NameIndex, NameMatch, PeopleDirectory, PersonEntry
from scholarbot.records import Paper, Researcher
from scholarbot.search import Mode, PaperIndex, lexical_share
from scholarbot.store import GENERATION

if TYPE_CHECKING:
    from scholarbot.answers.llm import LLMWriter

#: A paper is on a topic when its similarity to the topic is this many standard deviations above
#: the store's mean (about the top 1.5% of papers)...
TOPIC_Z_MIN = 2.2
#: ...or its BM25 score reaches this share of the best-matching paper in the whole store.
TOPIC_LEXICAL_SHARE = 0.35
#: z-score that counts as much as a perfect lexical match when ranking on-topic papers.
TOPIC_Z_SCALE = 4.0
#: An inclusive (from, to) year range; None leaves that side open.
Years = tuple[int | None, int | None]
#: Sources listed under an answer.
MAX_SOURCES = 8


@dataclass
class PersonView:
    """One resolved person with the papers that matter for this question."""

    person: Researcher
    papers: list[Paper] = field(default_factory=list)
    on_topic: list[Paper] = field(default_factory=list)
    #: Relevance of each on-topic paper to the question's topic (higher is closer).
    relevance: dict[str, float] = field(default_factory=dict)


class Answerer:
    """Holds the search indexes for a store and answers questions against them."""

    def __init__(self, services: Any, *, retrieval: Mode = "hybrid", writer: LLMWriter | None = None) -> None:
        self.store = services.store
        self.embedder = services.embedder
        self.cache_dir: Path | None = getattr(services, "index_dir", None)
        self.writer = writer
        self.retrieval: Mode = retrieval
        self._index: PaperIndex | None = None
        self._people: PeopleDirectory | None = None
        self._topic_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._generation: str | None = None

    # --- lazily opened indexes ----------------------------------------------------------------

    @property
    def index(self) -> PaperIndex:
        """Search index over every paper (loaded from cache when the store has not changed)."""
        if self._index is None:
            if self.cache_dir is not None:
                self._index = PaperIndex.open(self.store, self.embedder, self.cache_dir)
            else:
                self._index = PaperIndex.build(self.store, self.embedder)
            if not len(self._index):
                raise EmptyStoreError(self.store.where)
        return self._index

    @property
    def people(self) -> PeopleDirectory:
        """Every researcher's name and papers; full records on demand."""
        if self._people is None:
            if self.cache_dir is not None:
                self._people = PeopleDirectory.open(self.store, self.cache_dir)
            else:
                entries = [
                    PersonEntry(r.id, r.name, r.aliases, r.paper_ids) for r in self.store.iter_researchers()
                ]
                self._people = PeopleDirectory(entries, self.store)
        return self._people

    @property
    def names(self) -> NameIndex:
        return self.people.names

    def _follow_store(self) -> dict[str, Any]:
        """Drop indexes built from an older state of the store (another process ingested since).

        A long-lived Answerer (the bot, `ask -`) would otherwise answer from stale indexes and
        look up researcher ids that re-resolution has replaced. Returns the store's flags, read once.
        """
        flags = self.store.flags()
        generation = str(flags.get(GENERATION) or "empty")
        if generation != self._generation:
            self._index = None
            self._people = None
            self._topic_cache.clear()
            self._generation = generation
        return flags

    def warm(self) -> None:
        """Open (and cache) both indexes now rather than on the first question."""
        _ = self.index, self.people

    # --- entry points -------------------------------------------------------------------------

    def ask(self, question: str) -> Answer:
        """Answer one question."""
        parsed = parse_question(question)
        return self._answer(question, lambda: self._dispatch(parsed))

    def profile(self, name: str) -> Answer:
        """Profile of a named researcher, taking the name as given ("Lin, Zheng" included)."""
        return self.ask_parsed(name, Parsed("profile", person=name))

    def ask_parsed(self, question: str, parsed: Parsed) -> Answer:
        """Answer an already parsed question (the bot's commands know their intent)."""
        return self._answer(question, lambda: self._dispatch(parsed))

    def profile_of(self, researcher_id: str) -> Answer:
        """Profile of one researcher by id, e.g. picked from a list of namesakes."""

        def produce() -> Answer:
            entry = self.people.entries.get(researcher_id)
            if entry is None:
                raise UnknownResearcherError(researcher_id)
            return self._profile(NameMatch(entry.name, (entry,), exact=True))

        return self._answer(researcher_id, produce)

    def suggest_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Researcher names for autocompletion: prefix matches first, then close spellings."""
        self._follow_store()
        return self.names.suggest(prefix, limit)

    def _answer(self, question: str, produce: Callable[[], Answer]) -> Answer:
        started = time.perf_counter()
        flags = self._follow_store()
        _ = self.index  # raises EmptyStoreError before any work
        answer = produce()
        answer.question = question[:MAX_QUESTION_CHARS]
        if flags.get(PEOPLE_STALE):
            answer.notes.append(
                "The people index is incomplete (an ingest did not finish); run `scholarbot ingest` again."
            )
        if self.writer is not None:
            answer = self.writer.rewrite(answer, self.store.get_papers([s.id for s in answer.sources]))
        if len(question) > MAX_QUESTION_CHARS:
            answer.notes.append(f"Your question was cut to its first {MAX_QUESTION_CHARS} characters.")
        answer.took_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _dispatch(self, parsed: Parsed) -> Answer:
        years = (parsed.year_from, parsed.year_to)
        if parsed.intent == "find_paper":
            parsed = self._spot_author(parsed)
        if parsed.intent == "find_paper" or parsed.person is None:
            if not re.search(r"[^\W_]{2,}", parsed.topic or ""):
                return self._composer("find_paper").finish(
                    "Ask about a topic, a paper or a researcher, e.g. “Who collaborates with Hanlin Gu?”"
                )
            if parsed.intent == "topic":
                return self._who_works_on(parsed.topic or "", years)
            if parsed.intent == "overview":
                return self._overview(parsed.topic or "", years)
            return self._find_papers(parsed.topic or "", years)
        match = self.names.lookup(parsed.person)
        if not match.people:
            return self._unknown_person(parsed, match)
        if parsed.intent == "profile":
            return self._profile(match)
        if parsed.intent == "papers_by":
            return self._papers_by(match, parsed.topic, years)
        if parsed.intent == "compare" and parsed.other:
            return self._compare(match, self.names.lookup(parsed.other), parsed)
        return self._collaborators(match, parsed.topic, years)

    def _spot_author(self, parsed: Parsed) -> Parsed:
        """Read "... by <known name> ..." in a question no pattern parsed as a person question.

        Only a name right after "by"/"from", or before "'s", counts: a capitalised pair inside a
        paper description ("Attention Graph") must not turn a paper search into a person search.
        """
        text = parsed.topic or ""
        found = self.names.spot(text)
        if found is None:
            return parsed
        span, _ = found
        cue = re.search(rf"(?:\b(?:by|from)\s+{re.escape(span)}(?!\w)|{re.escape(span)}'s\b)", text)
        if cue is None:
            return parsed
        rest = (text[: cue.start()] + " " + text[cue.end() :]).strip(" ?.!,")
        rest = re.sub(
            r"^(?:(?:which|what|find|show(?:\s+me)?|list|any|get)\s+)+(?:the\s+)?(?:papers?|work|publications?)\s*",
            "",
            rest,
            flags=re.I,
        )
        rest = re.sub(r"^(?:on|about|regarding)\s+", "", rest.strip(), flags=re.I)
        return Parsed(
            "papers_by", person=span, topic=rest or None, year_from=parsed.year_from, year_to=parsed.year_to
        )

    # --- intents ------------------------------------------------------------------------------

    def _find_papers(self, query: str, years: Years = (None, None)) -> Answer:
        # With a year range, search deeper and filter, so five in-range papers can still come back.
        hits = self.index.search(query, k=5 if years == (None, None) else 100, mode=self.retrieval)
        c = self._composer("find_paper")
        papers = _in_years(self._papers([h.id for h in hits]), years)[:5]
        if not papers:
            return c.finish("I found no paper matching that in the records.")
        return c.find_papers(query, papers)

    def _overview(self, topic: str, years: Years = (None, None)) -> Answer:
        hits = self.index.search(topic, k=5 if years == (None, None) else 100, mode=self.retrieval)
        papers = _in_years(self._papers([h.id for h in hits]), years)[:5]
        c = self._composer("overview")
        if not papers:
            return c.finish(f"I found no paper on {topic} in the records.")
        return c.overview(topic, papers)

    def _who_works_on(self, topic: str, years: Years = (None, None)) -> Answer:
        hits = self.index.search(topic, k=30 if years == (None, None) else 150, mode=self.retrieval)
        c = self._composer("topic")
        papers = _in_years(self._papers([h.id for h in hits]), years)[:30]
        by_person: dict[str, list[Paper]] = defaultdict(list)
        weight: dict[str, float] = defaultdict(float)
        for rank, paper in enumerate(papers):
            for rid in self._authors_of(paper.id):
                by_person[rid].append(paper)
                weight[rid] += 1.0 / (rank + 5)
        # At most two people per leading paper: the co-authors of the single best match should not
        # crowd out everyone else who works on the topic.
        chosen: list[str] = []
        per_paper: dict[str, int] = defaultdict(int)
        for rid in sorted(weight, key=lambda r: -weight[r]):
            lead = by_person[rid][0].id
            if per_paper[lead] < 2:
                chosen.append(rid)
                per_paper[lead] += 1
            if len(chosen) == 5:
                break
        records = self.people.records(chosen)
        top = [records[rid] for rid in chosen if rid in records]
        return c.who_works_on(topic, [(p, by_person[p.id][:3]) for p in top])

    def _profile(self, match: NameMatch) -> Answer:
        c = self._composer("profile")
        views = sorted((self._view(p) for p in match.people), key=lambda v: -len(v.papers))
        # With several namesakes, profile the one with the most work and name the others, so the
        # reader gets an answer and can see it may not be the person they meant.
        return c.profile(views[0], self._collaborator_names(views[0].person), others=views[1:])

    def _papers_by(self, match: NameMatch, topic: str | None, years: Years = (None, None)) -> Answer:
        c = self._composer("papers_by")
        views = [self._view(p, topic, years) for p in match.people]
        if years != (None, None):
            views = [v for v in views if v.papers] or views
        if topic:
            hits = [v for v in views if v.on_topic]
            # The namesake whose work matches the topic best comes first, so [1] is the best match.
            views = sorted(hits, key=lambda v: -max(v.relevance.values())) or views
        return c.papers_by(match.query, views, topic)

    def _collaborators(self, match: NameMatch, topic: str | None, years: Years = (None, None)) -> Answer:
        c = self._composer("collab")
        views = [self._view(p, topic, years) for p in match.people]
        if topic:
            on = [v for v in views if v.on_topic]
            if not on:
                return c.no_topic_work(match.query, views, topic)
            views = sorted(on, key=lambda v: -max(v.relevance.values()))
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
        return Composer(intent)

    def _papers(self, ids: list[str]) -> list[Paper]:
        found = self.store.get_papers(ids)
        return [found[i] for i in ids if i in found]

    def _view(self, entry: PersonEntry, topic: str | None = None, years: Years = (None, None)) -> PersonView:
        person = self.people.record(entry.id)
        papers = _in_years(self._papers(list(person.paper_ids)), years)
        view = PersonView(person, papers)
        if topic and papers:
            view.relevance = self._on_topic(papers, topic)
            view.on_topic = sorted(
                (p for p in papers if p.id in view.relevance), key=lambda p: -view.relevance[p.id]
            )
        return view

    def _topic_scores(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-paper topic evidence over the whole store: dense z-scores and BM25 share of the best."""
        if topic not in self._topic_cache:
            idx = self.index
            z = idx.meaning_scores(topic)
            lex = idx.lexical_scores(topic)
            share = lexical_share(lex)
            if len(self._topic_cache) > 64:
                self._topic_cache.clear()
            self._topic_cache[topic] = (z, share)
        return self._topic_cache[topic]

    def _on_topic(self, papers: list[Paper], topic: str) -> dict[str, float]:
        """Relevance of each paper that is about the topic, by meaning or by words."""
        z, share = self._topic_scores(topic)
        out: dict[str, float] = {}
        for p in papers:
            row = self.index.row.get(p.id)
            if row is None:
                continue
            if z[row] >= TOPIC_Z_MIN or share[row] >= TOPIC_LEXICAL_SHARE:
                out[p.id] = max(float(z[row]), 0.0) / TOPIC_Z_SCALE + float(share[row])
        return out

    def _authors_of(self, paper_id: str) -> list[str]:
        return self.people.authors_of(paper_id)

    def _coauthor_ids(self, paper: Paper, person: Researcher) -> list[Researcher]:
        """The other resolved people on a paper, in the paper's author order."""
        rids = [r for r in self._authors_of(paper.id) if r != person.id]
        records = self.people.records(rids)
        order = {a.name: i for i, a in enumerate(paper.authors)}
        return sorted(records.values(), key=lambda r: order.get(r.name, len(order)))

    def _collaborator_names(self, person: Researcher) -> list[tuple[Researcher, int]]:
        top = person.coauthors[:10]
        records = self.people.records([rid for rid, _ in top])
        return [(records[rid], n) for rid, n in top if rid in records]


def _in_years(papers: list[Paper], years: Years) -> list[Paper]:
    """Papers within an inclusive year range; papers without a year are kept only without a range."""
    lo, hi = years
    if lo is None and hi is None:
        return papers
    return [
        p
        for p in papers
        if p.year is not None and (lo is None or p.year >= lo) and (hi is None or p.year <= hi)
    ]


__all__ = ["Answer", "Answerer", "Source"]
