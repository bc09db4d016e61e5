"""The query engine: link a question, read it into a Query, run it over the records, compose a cited answer.

No LLM is needed: every operation is a filter, relation or aggregation over papers and people, and the
offline composer writes each sentence from the records it was handed, citing them as [n]. With an LLM
configured, the planner may choose the query and the writer may reword the answer; both are checked.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scholarbot.answers.acronyms import acronyms, defined
from scholarbot.answers.chat import beside_question, focus, is_thanks, normalise, two_questions
from scholarbot.answers.compose_facts import FactsComposer, VenueHeld, research_themes
from scholarbot.answers.followup import follow_up
from scholarbot.answers.identifiers import identifiers
from scholarbot.answers.labels import label_words
from scholarbot.answers.linking import (
    Institutions,
    Linker,
    institution_matches,
    normalise_institution,
    research_arm,
    spells_place,
    venue_family,
)
from scholarbot.answers.network import coauthor_graph
from scholarbot.answers.query import PEOPLE_LISTS, PERSON_OPS, Query, described, titled
from scholarbot.answers.reader import MAX_QUESTION_CHARS, Reading, read
from scholarbot.answers.references import NOTHING_TO_PAGE, Shown, pages, refer, unquoted
from scholarbot.answers.spelling import is_english, rehyphenated, respelt, typos_fixed
from scholarbot.answers.topics import (
    TopicMatch,
    alternatives,
    close_title,
    compared,
    match_topic,
    names_title,
    phrased,
)
from scholarbot.answers.types import PLANNER_FALLBACK_NOTE, Answer, Source, joined
from scholarbot.answers.unheld import unheld
from scholarbot.errors import EmptyStoreError, UnknownPaperError, UnknownResearcherError
from scholarbot.records import Paper, ProfilePage, Researcher, name_key
from scholarbot.search.affiliation_rows import affiliation_key as affiliation_digest
from scholarbot.search.directory import (
    NameIndex,
    NameMatch,
    PeopleDirectory,
    PersonEntry,
    entry_of,
    person_name_keys,
)
from scholarbot.search.index import Mode, PaperIndex, top_order
from scholarbot.store.store import GENERATION, PEOPLE_STALE

if TYPE_CHECKING:
    from scholarbot.answers.llm import LLMWriter
    from scholarbot.answers.planner import LLMPlanner
    from scholarbot.services import Services

#: Papers considered when asking who works on a topic: enough to count each person's papers on a
#: broad field ("machine translation": a few hundred in the 13k corpus).
TOPIC_PAPERS = 1000
#: ...and at one place, whose people's papers are checked chunk by chunk until this many are found.
PLACE_TOPIC_PAPERS = 200
#: Papers saying a field's phrase that are enough to count people by them alone.
PHRASED_MIN = 10
#: ...for names of at most this many words.
PHRASED_WORDS = 2
#: On-topic papers, closest first, among which "the most cited papers on X" are ranked.
CITED_POOL = 200
#: Places named when an acronym stands for several.
PLACES_NAMED = 3
#: Places whose members and papers are kept (a question may weigh several words as places).
INSTITUTIONS_KEPT = 256
#: Papers whose authors are looked up at once when searching for those of some people.
AUTHOR_CHUNK = 500
#: People named per page of a "who works on" answer.
EXPERTS_SHOWN = 8
#: The best match for a description is the paper meant when its score exceeds the next one's by
#: this much (fused score: lexical share plus weighted meaning z-score). Measured on the 40 dev
#: find_paper descriptions and 30 reworded ones: a top match this far ahead was right 38 times of 39;
#: descriptions of no paper in the records stayed under 0.3.
STANDOUT_GAP = 0.45
#: Papers offered for a description nothing passed as on: the paper meant is often among the first five.
DESCRIBED_GUESSES = 5
#: What passing as on a description adds to a paper's score (a perfect BM25 match is worth 1).
DESCRIBED_ON_BONUS = 0.3
#: Another spelling's person ("Thien Huu Nguyen" beside "Thien Nguyen") is named as likely the same
#: one when they share at least this many coauthors...
KIN_SHARED_COAUTHORS = 2
#: ...and the name asked about is not one that several people in the records carry ("Wei Wang").
MAX_NAMESAKES_FOR_KIN = 3
#: Topic matches kept per process: at most this many, and at most this many bytes of them.
TOPICS_KEPT = 64
#: Papers using a word's stem read to see whether any writes the word itself (linking.py).
WORD_CHECK_PAPERS = 20
#: On-topic papers, best first, among which "recent work on X" takes the newest.
RECENT_POOL = 100
TOPIC_CACHE_BYTES = 256 * 2**20
TOPIC_BYTES_PER_PAPER = 20
#: People counted past a "most papers" page to say how many tie with its last one.
TIES_COUNTED = 200
#: Papers listed by "More like this".
SIMILAR_SHOWN = 6
#: Filtered rows up to this many get exact meaning scores in a store past the exact-search limit.
EXACT_ROWS = 50_000
#: One namesake is "the one meant" when its evidence is at least this many times the next one's...
DOMINANCE = 2.0
#: ...and ahead by at least this much.
DOMINANCE_GAP = 2.0
#: Words a topic needs before a paper titled with them is the paper asked about, not a field
#: ("how many cites does “Towards Few-shot Fact-Checking via Perplexity” have?").
TITLE_WORDS_NAMED = 4
#: Papers searched for the one a title names.
TITLE_CANDIDATES = 8
#: Evidence a namesake gets from working at the place a question names: more than any count of
#: papers on its topic, so the place decides and the topic only breaks ties between those there.
PLACE_EVIDENCE = 10_000.0
#: ...and from an affiliation whose name a short form the question gives spells ("UVA": University
#: of Virginia) where the records read the short form as another place's: less than a place matched.
SPELT_EVIDENCE = PLACE_EVIDENCE / 10
#: Operations over one person's papers that a place narrows to those printing it for them.
PLACED_OPS = frozenset({"papers_by", "count", "top_venue", "top_year"})


@dataclass
class PersonView:
    """One resolved person with the papers that matter for this question."""

    person: Researcher
    papers: list[Paper] = field(default_factory=list)
    on_topic: list[Paper] = field(default_factory=list)
    #: Relevance of each on-topic paper to the question's topic (higher is closer).
    relevance: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolved:
    """Who a name in the question refers to, as far as the evidence goes."""

    match: NameMatch
    chosen: tuple[PersonEntry, ...]
    #: Namesakes the evidence points away from (named in one line), or all when it is balanced.
    others: tuple[PersonEntry, ...] = ()
    balanced: bool = False


class Answerer:
    """Holds the indexes of a store and answers questions against them."""

    def __init__(
        self,
        services: Services,
        *,
        retrieval: Mode = "hybrid",
        writer: LLMWriter | None = None,
        planner: LLMPlanner | None = None,
    ) -> None:
        self.store = services.store
        self.embedder = services.embedder
        self.cache_dir: Path | None = getattr(services, "index_dir", None)
        #: Updates a stale index cache in another process (Services.refresh_paper_index), if it can.
        self._refresh: Callable[[], None] | None = getattr(services, "refresh_paper_index", None)
        self.writer = writer
        #: The optional LLM planner (answers/planner.py): consulted when the reader is unsure.
        self.planner = planner
        self.retrieval: Mode = retrieval
        self._index: PaperIndex | None = None
        self._people: PeopleDirectory | None = None
        self._linker: Linker | None = None
        self._topics: dict[str, TopicMatch] = {}
        self._pages: dict[str, list[ProfilePage]] | None = None
        self._institution_members: dict[str, set[str]] = {}
        self._institution_papers: dict[str, np.ndarray] = {}
        self._institution_affiliations: dict[str, list[str]] = {}
        self._typos: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        self._affiliation_digests: dict[int, str] | None = None
        self._venues_held: tuple[list[str], list[str]] | None = None
        self._definitions: dict[str, str | None] = {}
        self._generation: str | None = None

    # --- lazily opened indexes ----------------------------------------------------------------

    @property
    def index(self) -> PaperIndex:
        """Search index over every paper (loaded from cache when the store has not changed)."""
        if self._index is None:
            if self.cache_dir is not None:
                self._index = PaperIndex.open(self.store, self.embedder, self.cache_dir, self._refresh)
            else:
                self._index = PaperIndex.build(self.store, self.embedder)
            if not len(self._index):
                raise EmptyStoreError(self.store.where)
        return self._index

    @property
    def people(self) -> PeopleDirectory:
        """Every researcher's record, found by name, paper or affiliation (a table beside the store)."""
        if self._people is None:
            if self.cache_dir is not None:
                self._people = PeopleDirectory.open(self.store, self.cache_dir)
            else:
                self._people = PeopleDirectory(self.store.iter_researchers())
        return self._people

    @property
    def names(self) -> NameIndex:
        return self.people.names

    @property
    def linker(self) -> Linker:
        """Entity linker over this store's names, affiliations and venues."""
        if self._linker is None:
            index, people = self.index, self.people

            def institutions() -> Institutions:
                return Institutions(people.affiliations())

            self._linker = Linker(
                people.names,
                institutions,
                index.venue_names,
                index.word_frequency,
                labels=index.labels.names,
                papers=len(index),
                affiliated=lambda name: len(self._members(name)),
                written=lambda word: index.writes(word, WORD_CHECK_PAPERS),
            )
        return self._linker

    def _follow_store(self) -> dict[str, Any]:
        """Drop indexes built from an older state of the store (another process ingested since)."""
        flags = self.store.flags()
        generation = str(flags.get(GENERATION) or "empty")
        if generation != self._generation:
            self._index = None
            self._people = None
            self._linker = None
            self._pages = None
            self._institution_members.clear()
            self._institution_papers.clear()
            self._institution_affiliations.clear()
            self._typos.clear()
            self._affiliation_digests = None
            self._venues_held = None
            self._definitions.clear()
            self._topics.clear()
            self._generation = generation
        return flags

    def warm(self) -> None:
        """Open (and cache) the indexes now rather than on the first question."""
        _ = self.index, self.people, self.linker.institutions

    # --- entry points -------------------------------------------------------------------------

    def read(self, question: str) -> Reading:
        """How the offline reader understands a question (no store access beyond the indexes)."""
        self._follow_store()
        return read(self.linker.link(readable(question)))

    def ask(
        self,
        question: str,
        previous: Query | None = None,
        earlier: Sequence[str] = (),
        before: Query | None = None,
    ) -> Answer:
        """Answer one question; `previous` is the query of the conversation's last turn, if any,
        `earlier` the people its recent turns asked about (whom a pronoun most likely means) and
        `before` the query of the turn before the last (the list a paper was picked from).

        Two questions in one message ("who is X and what's her most cited paper?") are answered in
        turn, the second as a follow-up of the first."""
        parts = two_questions(readable(question))
        if parts is None:
            return self._ask_one(question, previous, earlier, before)
        first = self._ask_one(parts[0], previous, earlier, before)
        asked = Query.from_json(first.query) if first.query and first.query.get("op") != "help" else previous
        second = self._ask_one(parts[1], asked, (*earlier, *(asked.people if asked else ())), previous)
        if second.query == first.query:
            # "what about X? what does she work on": the second only said the first again.
            return first
        return joined(question[:MAX_QUESTION_CHARS], first, second)

    def _ask_one(
        self, question: str, previous: Query | None, earlier: Sequence[str], before: Query | None = None
    ) -> Answer:

        def produce() -> tuple[Answer, Query]:
            if is_thanks(question):
                return FactsComposer(THANKS).thanks(), THANKS
            text, cited_notes, missing = self._identified(readable(question))
            if missing is not None:
                return _said(missing)
            held = unheld(text, *self._venue_families())
            if held is not None and held.venue is not None:
                # "do u have neurips papers?" asks about the store: answered "none, and here is what
                # they hold" by the venue itself; "X's EMNLP papers" asks about X, who is answered.
                asked = read(self.linker.link(text)).query
                if not (asked.people or asked.topic or asked.institution):
                    held = None
            if held is None:
                return answered(text, cited_notes)
            answer, query = answered(held.text, cited_notes)
            answer.text = f"{held.lead} {answer.text}".strip()
            return answer, query

        def answered(text: str, cited_notes: list[str]) -> tuple[Answer, Query]:
            quoted = None
            if previous is not None:
                text, quoted = unquoted(text)
            text = self._one_described(text)
            reading = self._place_typed_lower(read(self.linker.link(text)), text)
            if previous is None:
                reading = self._described_beside(reading, question)
            if self._foreign(reading):
                return _said(_english_only(reading))
            if previous is None and pages(text):
                return _said(NOTHING_TO_PAGE)
            asked = reading.asked or reading.query
            if previous is not None and not asked.role:  # ("where she's last author" names no author)
                referral = refer(
                    text,
                    reading.links.residual,
                    previous,
                    self._shown,
                    topic=asked.topic,
                    earlier=tuple(earlier),
                    quoted=quoted,
                    before=before,
                )
                if referral is not None and referral.reply is not None:
                    return _said(referral.reply)
                if referral is not None and referral.query is not None:
                    answer = self.execute(referral.query)
                    if referral.lead:
                        answer.text = f"{referral.lead} {answer.text}"
                    return answer, referral.query
                if referral is not None and referral.text is not None:
                    reading = read(self.linker.link(self._one_described(referral.text)))
            query, notes = follow_up(reading, previous, before), [*cited_notes, *_reading_notes(reading)]
            picked = self._namesake_at(query) if reading.picks_namesake else None
            if picked is None and previous is not None:
                picked = self._namesake_shown(query, previous)
            if picked is not None:
                query = picked[0]
            notes += self._place_notes(query)
            sure = reading.sure or query is not reading.query
            if self.planner is not None and not sure:
                plan = self.planner.plan(question[:MAX_QUESTION_CHARS], hint=query, run=self._preview)
                if plan is not None:
                    query = plan.query
                    notes += list(plan.notes)
                else:
                    notes.append(PLANNER_FALLBACK_NOTE)
            answer = self.execute(query)
            answer.notes[:0] = notes
            if picked is not None and query is picked[0]:
                answer.text = f"{picked[1]} {answer.text}"
            return answer, self._pinned(query)

        return self._answer(question, produce)

    def _held_labels(self, asked: Sequence[str]) -> tuple[str, ...]:
        """The labels the records hold that those asked name: as held, or by their words (a planner
        writes "Findings" for "status:Findings", "award" for any award)."""
        names = self.index.labels.names
        out: list[str] = []
        for label in asked:
            words = label_words(label)
            found = [label] if label in names else [n for n in names if words and label_words(n) == words]
            out += found or [label]
        return tuple(dict.fromkeys(out))

    def _venue_families(self) -> tuple[list[str], list[str]]:
        """The venues the records hold, each once, and those of them with more than a handful of
        papers (not a "Proceedings of …" of one profile page), to name. Counted once per state of
        the store, not per question (a pass over every paper's venue code)."""
        if self._venues_held is None:
            self._venues_held = self._count_venue_families()
        return self._venues_held

    def _count_venue_families(self) -> tuple[list[str], list[str]]:
        codes = np.asarray(self.index.venue_codes)
        counts = np.bincount(codes[codes >= 0], minlength=len(self.index.venue_names))
        by_family: dict[str, int] = {}
        for name, n in zip(self.index.venue_names, counts.tolist(), strict=True):
            if name:
                family = venue_family(name) or name
                by_family[family] = by_family.get(family, 0) + n
        return sorted(by_family), sorted(f for f, n in by_family.items() if n >= MAIN_VENUE_PAPERS)

    def _pinned(self, query: Query) -> Query:
        """The query with the namesakes its evidence picked pinned by id ("Hang Su, the one at
        AWS"), so a follow-up about "him" stays with that one, not the namesake with most papers. A pick
        by paper count alone is not pinned: the next question's topic or place may pick another."""
        if (
            not query.people
            or any(query.person_ids)
            or query.op not in PERSON_OPS
            or not (query.topic or query.institution)
        ):
            return query
        r = self._resolve(0, query)
        if len(r.chosen) == 1 and r.others and not r.balanced:
            return query.with_(person_ids=(r.chosen[0].id,))
        return query

    def _namesake_at(self, query: Query) -> tuple[Query, str] | None:
        """A query whose place only says which namesake is meant ("who does Jing Ma, the one at
        HKBU, write with?"): that one pinned, the place no longer narrowing their papers or
        coauthors, and the sentence that says whom the answer is for. None when the place picks no
        one namesake, or the question asks whether they are there (a profile says so)."""
        if len(query.people) != 1 or not query.institution or query.op not in PERSON_OPS - {"profile"}:
            return None
        r = self._resolve(0, query.with_(topic=None))
        if len(r.chosen) != 1 or not r.others:
            return None
        chosen = r.chosen[0]
        lead = _answering_for(chosen, f"the one at {query.institution}")
        return query.with_(person_ids=(chosen.id,), institution=None), lead

    def _namesake_shown(self, query: Query, previous: Query) -> tuple[Query, str] | None:
        """A name several people carry, asked about right after an answer that showed a paper by
        one of them ("who wrote PLOME?", then "what else has Di Wang done?"): that one, pinned and
        named. None when the question says which itself (a place or topic) or the last answer
        showed papers of several of them, or of none."""
        if len(query.people) != 1 or query.person_ids or query.institution or query.topic:
            return None
        namesakes = self.names.lookup(query.people[0]).people
        if len(namesakes) < 2 or query.op not in PERSON_OPS:
            return None
        shown = {s.id for s in self.execute(previous).sources}
        on = [p for p in namesakes if shown.intersection(p.paper_ids)]
        if len(on) != 1:
            return None
        return query.with_(person_ids=(on[0].id,)), _answering_for(on[0], "the one on the paper(s) above")

    def _described_beside(self, reading: Reading, message: str) -> Reading:
        """A search by description read with the sentences beside its question that describe the
        paper too ("does an image+text model help misinformation detection? paper feeding VLM
        embeddings into a small classifier …"): only the topic may grow, nothing else read changes."""
        query = reading.query
        if query.op not in {"find_papers", "paper_authors"} or not query.topic:
            return reading
        whole = beside_question(normalise(message))
        if whole is None:
            return reading
        more = read(self.linker.link(whole[:MAX_QUESTION_CHARS]))
        grown = more.query.topic or ""
        if more.query != query.with_(topic=grown) or len(grown) <= len(query.topic):
            return reading
        return more

    def _one_described(self, text: str) -> str:
        """ "the ucsd one" / "the dialogue summarization guy", picking one of several people, said
        as the reader knows it: "the one at ucsd", "the one working on dialogue summarization"."""
        places = self.linker.institutions

        def said(m: re.Match[str]) -> str:
            words, noun = m.group("words"), m.group("noun").lower()
            name = normalise_institution(words)
            # A place's name, or its initials that few papers write as a word ("ucsd", not "nlp").
            rare = self.linker.text_frequency(name) * RARE_WORD_SHARE < len(self.index)
            if name in places.phrases or (name in places.by_acronym and rare):
                return f"the one at {words}"
            unnamed = self.linker.names.word_count(name) == 0
            if len(name.split()) > 1 and unnamed and places.find(name.split()):
                # "the sun yat-sen one": the words of a place's name, though no affiliation is just them.
                return f"the one at {words}"
            if noun != "one" and words.lower() not in _NOT_A_SUBJECT:
                return f"the one working on {words}"
            return m.group(0)

        return _ONE_DESCRIBED.sub(said, text)

    def _place_typed_lower(self, reading: Reading, text: str) -> Reading:
        """A question whose whole topic is a place's name typed in lower case ("is he still at
        meta?", "what about samsung?") is read again with the name capitalised, as a place."""
        topic = (reading.asked or reading.query).topic
        if not topic or not topic.islower() or reading.links.institution:
            return reading
        name = normalise_institution(topic)
        if name not in self.linker.institutions.phrases or not self.linker.institutions.distinctive(
            name.split()[0]
        ):
            return reading
        capitalised = re.sub(rf"\b{re.escape(topic)}\b", topic.title(), text, count=1)
        again = read(self.linker.link(capitalised))
        return again if again.links.institution else reading

    def _foreign(self, reading: Reading) -> bool:
        """Whether a question is in another language: most of its words, names and places aside, are
        neither English nor words the papers write ("Welche Arbeiten hat X veröffentlicht?"), or it
        is written in a script the papers do not use."""
        rest = re.sub(r"⟨[A-Z]\d*⟩", " ", reading.links.residual)
        if len(_NON_LATIN.findall(rest)) >= FOREIGN_SCRIPT_CHARS:
            return True
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", rest) if len(w) > 1]
        if len(words) < FOREIGN_MIN_WORDS:
            return False
        known = {w for w in words if is_english(w)}
        if len(known) >= FOREIGN_KNOWN_SHARE * len(words):
            return False  # most questions stop here, before any word is looked up in the papers
        # Names the records lack are words of no language ("who is Kwabena Otieno-Lindqvist?"): a
        # question is English when every word around them is, whatever the share.
        named = {
            w.lower()
            for n in (*reading.query.people, *reading.links.unknown_names)
            for w in re.findall(r"\w+", n)
        }
        known |= {w for w in words if w not in known and self.index.writes(w)}
        # A typo of a word papers write is English mistyped ("fedrated lerning papers").
        known |= {w for w in words if w not in known and w not in named and self._typos_fixed(w)[0] != w}
        if all(w in known for w in words if w not in named):
            return False
        return sum(w in known for w in words) < FOREIGN_KNOWN_SHARE * len(words)

    def _identified(self, text: str) -> tuple[str, list[str], str | None]:
        """The question with each link, DOI or arXiv id of a paper in the records replaced by the
        paper's title; a note on those the records lack, or the whole reply when none is held (the
        question is about that paper, and guessing another would be wrong)."""
        held, lacking = 0, []
        for ident in identifiers(text):
            rows = self.index.rows_citing(ident.needle)
            pid = self.index.ids[rows[0]] if rows else None
            paper = self.index.papers([pid]).get(pid) if pid is not None else None
            if paper is None:
                lacking.append(ident.said)
                continue
            text = text.replace(ident.said, f"“{paper.title}”")
            held += 1
        if not lacking:
            return text, [], None
        said = (
            f"No paper in the records has {', '.join(lacking)}; I do not open links, I know only the records."
        )
        return (text, [said], None) if held else (text, [], said)

    def _shown(self, query: Query) -> Shown:
        """What the answer to a query shows (a follow-up pointing at "it", "those", "he")."""
        answer = self.execute(query)
        people = [str(p["name"]) for p in answer.people if p.get("name")]
        if not people and len(answer.sources) == 1:
            people = answer.sources[0].authors  # one paper shown: "they" are its authors
        counts = [int(p.get("count") or len(p.get("papers") or ())) for p in answer.people]
        return Shown(
            papers=tuple(s.title for s in answer.sources),
            people=tuple(people),
            more=Query.from_json(answer.more) if answer.more else None,
            leads=len(counts) > 1 and counts[0] > counts[1],
            counts=tuple(counts),
            authors=tuple(dict.fromkeys(a for s in answer.sources for a in s.authors)),
        )

    def ask_query(self, question: str, query: Query) -> Answer:
        """Answer an already built query (bot commands, follow-ups, the planner)."""
        return self._answer(question, lambda: (self.execute(query), query))

    def profile(self, name: str) -> Answer:
        """Profile of a named researcher, taking the name as given ("Lin, Zheng" included)."""
        return self.ask_query(name, Query(op="profile", people=(name,)))

    def profile_of(self, researcher_id: str) -> Answer:
        """Profile of one researcher by id, e.g. picked from a list of namesakes."""

        def produce() -> tuple[Answer, Query]:
            entry = self.people.entries.get(researcher_id)
            if entry is None:
                raise UnknownResearcherError(researcher_id)
            query = Query(op="profile", people=(entry.name,), person_ids=(entry.id,))
            return self.execute(query), query

        return self._answer(researcher_id, produce)

    def paper(self, paper_id: str) -> Paper | None:
        """One paper by store id (a saved paper, a digest item), or None when the store lacks it."""
        self._follow_store()
        try:
            return self.index.papers([paper_id]).get(paper_id)
        except EmptyStoreError:
            return None

    def similar(self, paper_id: str, limit: int = SIMILAR_SHOWN) -> Answer:
        """Papers closest in meaning to one paper ("More like this"), the paper itself left out."""
        paper = self.paper(paper_id)
        if paper is None:
            raise UnknownPaperError(paper_id)

        def produce() -> tuple[Answer, Query]:
            query = Query(op="find_papers", topic=paper.title)
            # The same hybrid scores as a paper search: the title is the paper's most telling text.
            match = self._topic(paper.title)
            rows = self._filter_rows(query)
            order = rows[top_order(match.scores[rows], limit + 1)]
            ids = [self.index.ids[int(r)] for r in order if self.index.ids[int(r)] != paper_id][:limit]
            return FactsComposer(query).similar(paper, self._papers(ids)), query

        return self._answer(f"More like “{paper.title}”", produce)

    def suggest_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Researcher names for autocompletion: prefix matches first, then close spellings."""
        self._follow_store()
        return self.names.suggest(prefix, limit)

    def _answer(self, question: str, produce: Callable[[], tuple[Answer, Query]]) -> Answer:
        started = time.perf_counter()
        flags = self._follow_store()
        _ = self.index  # raises EmptyStoreError before any work
        answer, query = produce()
        answer.question = question[:MAX_QUESTION_CHARS]
        answer.query = query.to_json()
        if flags.get(PEOPLE_STALE):
            answer.notes.append(
                "The people index is incomplete (an ingest did not finish); run `scholarbot ingest` again."
            )
        if self.writer is not None and answer.sources:
            answer = self.writer.rewrite(answer, self.index.papers([s.id for s in answer.sources]))
        if len(_focused(question)) > MAX_QUESTION_CHARS:
            answer.notes.append(f"Your question was cut to its first {MAX_QUESTION_CHARS} characters.")
        answer.took_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _preview(self, query: Query) -> str:
        """Run a query for the planner and return what it found, as short text."""
        answer = self.execute(query)
        return answer.text[:1500]

    # --- execution ----------------------------------------------------------------------------

    def execute(self, query: Query) -> Answer:
        """Run a typed query over the records and compose its answer."""
        fixed: list[tuple[str, str]] = []
        if query.topic:
            topic, fixed = self._typos_fixed(query.topic)
            query = query.with_(topic=topic)
        answer = self._execute(query)
        answer.notes += [f"Read “{typed}” as “{read}”." for typed, read in fixed]
        return answer

    def _typos_fixed(self, topic: str) -> tuple[str, list[tuple[str, str]]]:
        """The topic with the words no paper uses that are typos of words papers do use mended."""
        if topic not in self._typos:
            if len(self._typos) > TOPICS_KEPT:
                self._typos.clear()
            self._typos[topic] = typos_fixed(topic, self.index.papers_using, self.index.writes)
        return self._typos[topic]

    def _execute(self, query: Query) -> Answer:
        query = self._place_in_description(query)
        c = FactsComposer(query)
        problem = query.problem()
        if query.op == "help" or problem:
            return c.help()
        if query.op == "coverage":
            cited = int(np.count_nonzero(np.asarray(self.index.citations) >= 0))
            return c.coverage(self._coverage(), len(self.index), len(self.people), cited)
        unfiltered = query.with_(topic=None, institution=None, labels=(), role=None, people_out=())
        # A venue or years the records hold nothing of: say what they do hold, whatever was asked
        # ("who works on RAG in 2031?" is not "nothing on RAG").
        if (
            (query.years != (None, None) or query.venue_families)
            and not query.people
            and not len(self._filter_rows(unfiltered))
        ):
            return c.count_store(unfiltered, 0, self._coverage())
        if query.labels:
            query = query.with_(labels=self._held_labels(query.labels))
            c = FactsComposer(query)
            scope = self._filter_rows(unfiltered)
            held = self.index.labels.held(scope)
            if not set(query.labels).intersection(held):
                # "oral papers at ACL": the records do not mark them so; the answer without it.
                answer = self._execute(query.with_(labels=()))
                answer.text = f"{c.labels_unheld(held)} {answer.text}"
                return answer
        if query.people:
            resolved = [self._resolve(i, query) for i in range(min(len(query.people), 2))]
            if len(resolved) == 2:
                resolved = self._abbreviations_by_pair(resolved)
            missing = [r for r in resolved if not r.match.people]
            if missing:
                return c.unknown_person(missing[0].match)
            return self._person_op(query, resolved, c)
        if query.op == "who_works_on":
            return self._who_works_on(query, c)
        if query.op == "overview":
            return self._overview(query, c)
        if query.op == "count":
            return self._count_topic(query, c)
        if query.op in {"top_venue", "top_year"}:
            return self._tally(query, c)
        if query.op == "top_institution":
            return self._top_institutions(query, c)
        if query.op == "compare" and query.compare_by:
            return self._compare_fields(query, c)
        if query.op == "compare":
            return self._compare_topics(query, c)
        if query.op == "paper_authors":
            return self._paper_authors(query, c)
        return self._find_papers(query, c)

    def _place_in_description(self, query: Query) -> Query:
        """A description with a place nothing on it comes from, which with the place's words names
        one paper in the whole store, describes that paper ("argument quality from the Social
        Science literature"); papers on a field "from Stanford" keep the place."""
        if (
            query.op not in {"find_papers", "paper_authors"}
            or query.people
            or not query.institution
            or not described(query.topic)
            or self._topic_papers(query, 1)[0]
        ):
            return query
        anywhere = query.with_(institution=None, topic=f"{query.topic} {query.institution}")
        return anywhere if self._standout(anywhere) else query

    def _person_op(self, query: Query, resolved: list[Resolved], c: FactsComposer) -> Answer:
        op = query.op
        if op in {"joint_papers", "common_coauthors", "collab_check", "compare"} or (
            op == "count" and len(resolved) == 2
        ):
            if len(resolved) < 2:
                return c.help()
            a, b = self._pair(resolved[0], resolved[1])
            va, vb = self._view(a, query), self._view(b, query)
            if op == "common_coauthors":
                ca, cb = self._coauthors(va), self._coauthors(vb)
                records = self.people.records([r for r in ca if r in cb])
                return c.common_coauthors(va, vb, ca, cb, records)
            if op == "compare":
                themes = [
                    [t for t, _ in research_themes(v.papers, self.index.word_frequency, len(self.index))]
                    for v in (va, vb)
                ]
                return c.compare(va, vb, query.topic, themes)
            joint = self._joint(va, vb, on_topic=bool(query.topic) and op != "compare")
            linked = None
            if not joint and not (query.topic and self._joint(va, vb)):
                # "how are A and B connected?": no joint paper, but the coauthors they share.
                ca, cb = self._coauthors(va), self._coauthors(vb)
                linked = (ca, cb, self.people.records([r for r in ca if r in cb]))
            if op == "collab_check":
                answer = c.collab_check(va, vb, joint, linked)
            elif op == "count":
                answer = c.count_joint(va, vb, joint, linked)
            else:
                answer = c.joint_papers(
                    va, vb, _sorted(joint, query.sort) if query.sort != "relevance" else joint, linked
                )
            c.kin_joint(self._kin_joint(va, vb, query), {p.id for p in joint})
            return answer
        r = resolved[0]
        if op == "profile":
            return self._profile(r, c)
        if op == "paper_authors":
            # "is ximing lu on that one?" (the paper's title put for "that one"): yes or no, by its
            # authors; of several namesakes, any of them.
            named = self._paper_named(query)
            if named is None and len((query.topic or "").split()) >= TITLE_WORDS_NAMED:
                # Words enough for a title, and no paper titled so: their papers on those words.
                return self._person_op(query.with_(op="papers_by"), resolved, c)
            if named is None:
                closest = self._topic_papers(query.with_(op="find_papers", people=(), person_ids=()), 1)[0]
                named = next(iter(closest), None)
            if named is None:
                return c.no_titled_paper(query, [])
            for person in r.chosen or r.match.people:
                keys = set(person_name_keys(person))
                places = [i for i, a in enumerate(named.authors) if name_key(a.name) in keys]
                if places:
                    return c.authorship(person.name, named, places[0])
            return c.authorship(r.match.query, named, None)
        views = [self._view(p, query) for p in r.chosen]
        if op == "collaborators":
            if query.topic:
                on = sorted((v for v in views if v.on_topic), key=lambda v: -max(v.relevance.values()))
                if not on:
                    return c.no_topic_work(r.match.query, views, query.topic)
                views = on[:1] if r.balanced is False else on
            elif r.balanced:
                return c.ambiguous(r.match.query, views)
            if r.others and len(views) == 1:
                c.others_note(views[0], [self._view(o, Query(op="profile")) for o in r.others])
            answer = c.collaborators(
                views,
                query.topic,
                self._coauthors_asked(query),
                query.offset,
                narrowed=bool(query.institution or query.people_out),
            )
            if len(views) == 1 and not query.offset:
                # "who does Hinrich Schutze work with": the coauthors under "Schuetze" are likely his too.
                c.also_printed(self._kin(views[0], {views[0].person.id}))
            return answer
        if op == "papers_by" and r.balanced and (query.topic or query.narrowed):
            # "Wei Wang ACL 2022 papers": every Wei Wang with papers there, each apart.
            with_papers = [v for v in views if (v.on_topic if query.topic else v.papers)]
            if len(with_papers) > 1:
                return c.namesakes_papers(r.match.query, with_papers)
        view = views[0]
        if r.balanced and len(views) > 1:
            # Evidence cannot tell them apart: answer for the one with most papers, name the rest.
            view = max(views, key=lambda v: len(v.papers))
            c.namesakes_note(view, [v for v in views if v is not view])
        elif r.others:
            c.others_note(view, [self._view(o, Query(op="profile")) for o in r.others])
        papers = (view.on_topic if query.topic else view.papers) or []
        placed = self._placed(query.institution) if query.institution else None
        if placed is not None and not any(_printed_at(p, view.person, placed) for p in view.papers):
            c.query = query.with_(institution=None)  # none printed there: all their papers, said so
        if op == "count":
            if query.count_of == "collaborators":
                return c.count_collaborators(view, self._coauthor_count(view))
            if query.count_of == "papers_per_year":
                return c.papers_per_year(view, papers)
            answer = c.count_papers(view, _sorted(papers, "citations"))
            # "How many papers has Pushpak Bhattacharya written": the other spelling's papers too.
            c.also_printed(self._kin(view, {v.person.id for v in views}))
            return answer
        if op == "top_institution":
            return c.partner_places(view, self._partner_places(view, papers))
        if op == "top_venue":
            return c.top_venue(view, papers)
        if op == "top_year":
            return c.top_year(view, papers)
        if query.topic and not view.on_topic:
            return c.no_topic_papers(view, query.topic)
        answer = c.papers_list(view, _sorted(papers, query.sort, view.relevance))
        if not query.offset:
            c.also_printed(self._kin(view, {v.person.id for v in views}))
        return answer

    # --- people -------------------------------------------------------------------------------

    def _resolve(self, i: int, query: Query) -> Resolved:
        name = query.people[i]
        pin = query.person_ids[i] if i < len(query.person_ids) else None
        if pin and pin in self.people.entries:
            entry = self.people.entries[pin]
            return Resolved(NameMatch(name, (entry,), exact=True), (entry,))
        match = self.names.lookup(name)
        people = match.people
        if len(people) <= 1:
            return Resolved(match, people)
        evidence = {p.id: self._evidence(p, query) for p in people}
        ranked = sorted(people, key=lambda p: -evidence[p.id])
        top, second = evidence[ranked[0].id], evidence[ranked[1].id]
        if top > 0 and top >= DOMINANCE * second and top - second >= DOMINANCE_GAP:
            return Resolved(match, (ranked[0],), tuple(ranked[1:]))
        if query.topic and top > 0:
            with_work = tuple(p for p in ranked if evidence[p.id] > 0)
            return Resolved(match, with_work, tuple(p for p in ranked if evidence[p.id] == 0), balanced=True)
        return Resolved(match, tuple(ranked), balanced=True)

    def _abbreviations_by_pair(self, resolved: list[Resolved]) -> list[Resolved]:
        """Initials that fit several names ("T. Baldwin") asked about with someone else ("and P.
        Nakov"): the one of them that person wrote with, when exactly one did."""
        out = list(resolved)
        for i, r in enumerate(resolved):
            other = resolved[1 - i]
            if r.match.people or not r.match.candidates or not other.match.people:
                continue
            partners = other.chosen or other.match.people
            # Their papers and coauthors together, worked out once for every candidate to meet.
            papers = {pid for p in partners for pid in p.paper_ids}
            coauthors = set().union(*(self._coauthor_set(p) for p in partners))
            linked = [
                c
                for c in r.match.candidates
                if papers.intersection(c.paper_ids) or coauthors & self._coauthor_set(c)
            ]
            if len({c.name for c in linked}) == 1:
                out[i] = Resolved(NameMatch(r.match.query, tuple(linked), exact=False), tuple(linked))
        return out

    def _evidence(self, entry: PersonEntry, query: Query) -> float:
        """How strongly the question's other words point at this namesake. A place said ("the one
        at UVA") outweighs any topic: the namesake there is meant, whatever they wrote on."""
        papers = self._papers(list(entry.paper_ids))
        papers = self._filter(papers, query)
        placed = 0.0
        if query.institution:
            printed = self._affiliations_at(query.institution)
            # "HKU": the papers print "Hong Kong University", the person's page "University of Hong
            # Kong" (the same name, matched as names are).
            mine = entry.affiliations
            if any(a in printed or any(institution_matches(p, a) for p in printed) for a in mine):
                placed = PLACE_EVIDENCE
            elif any(spells_place(query.institution, a) for a in entry.affiliations):
                placed = SPELT_EVIDENCE
        if query.topic:
            topic = self._topic(query.topic)
            rows = self.index.row.rows(p.id for p in papers)
            topic.include(rows)
            return placed + float(topic.on_topic[rows].sum())
        if query.institution:
            return placed
        return float(len(papers))

    def _pair(self, a: Resolved, b: Resolved) -> tuple[PersonEntry, PersonEntry]:
        """The namesakes of two names that the records connect most (shared papers, then coauthors)."""
        best: tuple[float, PersonEntry, PersonEntry] | None = None
        for pa in a.match.people if len(a.chosen) != 1 or a.others else a.chosen:
            for pb in b.match.people if len(b.chosen) != 1 or b.others else b.chosen:
                if pa.id == pb.id:
                    continue
                shared = len(set(pa.paper_ids) & set(pb.paper_ids))
                co = len(self._coauthor_set(pa) & self._coauthor_set(pb))
                score = shared * 100 + co + 0.001 * (len(pa.paper_ids) + len(pb.paper_ids))
                if best is None or score > best[0]:
                    best = (score, pa, pb)
        if best is None:
            return a.chosen[0], b.chosen[0]
        return best[1], best[2]

    def _coauthor_set(self, entry: PersonEntry) -> set[str]:
        return {r for pid in entry.paper_ids for r in self.people.authors_of(pid)} - {entry.id}

    def _coauthors(self, view: PersonView) -> dict[str, list[Paper]]:
        """Coauthor id -> the person's papers that list them, over the papers in view."""
        out: dict[str, list[Paper]] = {}
        for p in view.papers:
            for rid in self.people.authors_of(p.id):
                if rid != view.person.id:
                    out.setdefault(rid, []).append(p)
        return out

    def _coauthor_count(self, view: PersonView) -> int:
        return len(self._coauthors(view))

    def _coauthors_asked(self, query: Query) -> Callable[[Paper, Researcher], list[Researcher]]:
        """`_coauthor_ids` less the people the question leaves out ("other than Y") and, when it
        names a place ("anyone from Google"), only those the paper prints at that place."""
        left_out = {p.id for p in self._left_out(query)}
        placed = self._placed(query.institution) if query.institution else None

        def coauthors(paper: Paper, person: Researcher) -> list[Researcher]:
            found = [r for r in self._coauthor_ids(paper, person) if r.id not in left_out]
            if placed is None:
                return found
            return [r for r in found if _printed_at(paper, r, placed)]

        return coauthors

    def _left_out(self, query: Query) -> list[PersonEntry]:
        """Everyone the names the question leaves out may be (every namesake)."""
        return [p for name in query.people_out for p in self.names.lookup(name).people]

    def _coauthor_ids(self, paper: Paper, person: Researcher) -> list[Researcher]:
        """The other resolved people on a paper, in the paper's author order."""
        rids = [r for r in self.people.authors_of(paper.id) if r != person.id]
        records = self.people.records(rids)
        order = {a.name: i for i, a in enumerate(paper.authors)}
        return sorted(records.values(), key=lambda r: order.get(r.name, len(order)))

    def _said(self, query: Query, papers: list[Paper]) -> list[Paper]:
        """A field named by a short phrase ("topic modeling") is the papers that say it, when enough
        do: its words one by one are in many papers that are not on it ("topic"). A longer name
        ("Stackelberg security games") is specific enough word by word, and its papers word it
        several ways ("Stackelberg games", "security games")."""
        if not query.topic or described(query.topic) or len(query.topic.split()) > PHRASED_WORDS:
            return papers
        wordings = self._spelt_out(query.topic)
        said = [p for p in papers if phrased(query.topic, wordings, p)]
        return said if len(said) >= PHRASED_MIN else papers

    def _kin_joint(
        self, a: PersonView, b: PersonView, query: Query
    ) -> list[tuple[PersonView, PersonView, list[Researcher], list[Paper]]]:
        """Papers of the pair under another spelling of either name, when that spelling's person is
        likely the same one (`_kin`): "Gopendra Vikram Singh" beside "Gopendra Singh". Each as
        (the other spelling's view, the person it is likely to be, shared coauthors, joint papers)."""
        out = []
        for this, other in ((a, b), (b, a)):
            for kin, shared, _ in self._kin(this, {a.person.id, b.person.id}):
                view = self._view(entry_of(kin.person), query)
                papers = self._joint(view, other)
                if papers:
                    out.append((view, this, shared, papers))
        return out

    def _joint(self, a: PersonView, b: PersonView, on_topic: bool = False) -> list[Paper]:
        """The papers two people wrote together (within the question's filters), newest first; only
        those on its topic when it names one ("is evi micha on any of those?" after their
        distortion papers)."""
        ids = {p.id for p in b.papers}
        return _sorted([p for p in (a.on_topic if on_topic else a.papers) if p.id in ids], "date")

    def _profile(self, r: Resolved, c: FactsComposer) -> Answer:
        views = sorted(
            (self._view(p, Query(op="profile")) for p in r.match.people), key=lambda v: -len(v.papers)
        )
        if len(r.chosen) == 1 and not r.balanced:
            chosen = next(v for v in views if v.person.id == r.chosen[0].id)
            views = [chosen] + [v for v in views if v is not chosen]
        top = views[0]
        themes = research_themes(top.papers, self.index.word_frequency, len(self.index))
        answer = c.profile(top, self._collaborator_names(top.person), others=views[1:], themes=themes)
        person = self.people.entries.get(top.person.id) or entry_of(top.person)
        answer.network = coauthor_graph(
            person, top.person.coauthors, self.people.entries, paper_count=len(top.papers)
        )
        if answer.profile is not None:
            answer.profile["network"] = answer.network.to_json()
        if len(r.match.people) <= MAX_NAMESAKES_FOR_KIN:
            c.also_printed(self._kin(top, {v.person.id for v in views}))
        if not any(k for k in top.person.metrics if not k.endswith("_in_store")):
            for page in self._pages_named(top.person.name):
                if page.metrics and set(page.paper_ids) & set(top.person.paper_ids):
                    # The page's figures exist but belong to no one person: say why they are not shown.
                    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in page.metrics.items())
                    answer.text += (
                        f" A profile page for {page.name} ({page.page_format}) reports {shown}, but it lists "
                        "papers of researchers the records keep apart, so those figures are not given as "
                        "this person's."
                    )
                    break
        return answer

    def _kin(self, view: PersonView, apart: set[str]) -> list[tuple[PersonView, list[Researcher], Paper]]:
        """People the records keep apart under another spelling of this person's name ("Thien Huu
        Nguyen" beside "Thien Nguyen", "Schuetze" beside "Schütze") who share coauthors with them:
        likely one person. Each with the coauthors shared and a paper of theirs that lists one."""
        person = self.people.entries.get(view.person.id) or entry_of(view.person)
        mine = self._coauthor_set(person)
        out = []
        for key in sorted(self.names.spelling_variants([person.name, *person.aliases])):
            for entry in self.names.by_key.get(key) or []:
                if entry.id in apart:
                    continue
                shared = self._coauthor_set(entry) & mine
                if len(shared) < KIN_SHARED_COAUTHORS and not _nicknamed(person, entry):
                    continue
                other = self._view(entry, Query(op="profile"))
                paper = next(
                    (p for p in other.papers if not shared or shared & set(self.people.authors_of(p.id))),
                    None,
                )
                if paper is None:  # its papers not in the index yet (an ingest under way)
                    continue
                names = list(self.people.records(sorted(shared)).values())
                out.append((other, names, paper))
                apart.add(entry.id)
        return out

    def _pages_named(self, name: str) -> list[ProfilePage]:
        """Imported profile pages whose name matches (order, case and accents aside)."""
        if self._pages is None:
            pages: dict[str, list[ProfilePage]] = {}
            for page in self.store.iter_profiles():
                pages.setdefault(name_key(page.name), []).append(page)
            self._pages = pages
        return self._pages.get(name_key(name), [])

    def _collaborator_names(self, person: Researcher) -> list[tuple[Researcher, int]]:
        top = person.coauthors[:10]
        records = self.people.records([rid for rid, _ in top])
        return [(records[rid], n) for rid, n in top if rid in records]

    def _view(self, entry: PersonEntry, query: Query) -> PersonView:
        person = self.people.record(entry.id)
        papers = self._filter(self._papers(list(person.paper_ids)), query)
        if query.role in {"first", "last"}:
            keys = set(person_name_keys(person))
            papers = [p for p in papers if _authored_as(p, keys, query.role)]
        if query.institution and query.op in PLACED_OPS:
            # "X's papers while at Oxford": those that print the place for them. A place they never
            # print (it picked the namesake from a profile page) leaves the papers as they are.
            placed = self._placed(query.institution)
            there = [p for p in papers if _printed_at(p, person, placed)]
            papers = there or papers
        if query.people_out and query.op not in PEOPLE_LISTS:
            # "X's papers without Y": their joint papers go; "X's coauthors other than Y" keeps them.
            left_out = {pid for p in self._left_out(query) for pid in p.paper_ids}
            papers = [p for p in papers if p.id not in left_out]
        view = PersonView(person, papers)
        if query.topic and papers:
            topic = self._topic(query.topic)
            topic.include(self.index.row.rows(p.id for p in papers))
            for p in papers:
                row = self.index.row.get(p.id)
                if topic.on(row):
                    view.relevance[p.id] = topic.score(row)
            view.on_topic = sorted(
                (p for p in papers if p.id in view.relevance), key=lambda p: -view.relevance[p.id]
            )
        return view

    # --- topics -------------------------------------------------------------------------------

    def _topic(self, topic: str) -> TopicMatch:
        # Kept for follow-ups and repeated lookups, least recently used out first. Each match holds
        # a few arrays over every paper (about 20 bytes a paper): 65 of them kept 1.1 GB at 1M papers.
        if topic in self._topics:
            self._topics[topic] = self._topics.pop(topic)
            return self._topics[topic]
        keep = max(
            2, min(TOPICS_KEPT, TOPIC_CACHE_BYTES // (TOPIC_BYTES_PER_PAPER * max(len(self.index), 1)))
        )
        while len(self._topics) >= keep:
            del self._topics[next(iter(self._topics))]
        self._topics[topic] = match_topic(
            self.index, topic, mode=self.retrieval, variants=self._spelt_out(topic)
        )
        return self._topics[topic]

    def _spelt_out(self, topic: str) -> list[str]:
        """The topic as papers may also word it: its acronyms written out as the papers define them
        ("RAG for QA" -> "retrieval-augmented generation for QA") and its words in their other
        spelling where papers use it ("dialogue" -> "dialog"); nothing when neither applies, or for a
        description of a paper, whose other words find it and whose rewording would find others."""
        if described(topic):
            return []
        variant = topic
        for acronym in acronyms(topic):
            if acronym not in self._definitions:
                self._definitions[acronym] = defined(self.index, acronym)
            meaning = self._definitions[acronym]
            if meaning and meaning not in topic.casefold():
                variant = re.sub(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", meaning, variant)
        variant = respelt(variant, lambda word: self.index.word_frequency(word) > 0)
        variant = rehyphenated(
            variant, self.index.papers_using, lambda word: self.index.writes(word, WORD_CHECK_PAPERS)
        )
        return [variant] if variant != topic else []

    def _topic_papers(
        self, query: Query, limit: int, authors: set[str] | None = None
    ) -> tuple[list[Paper], list[Paper]]:
        """On-topic papers within the query's filters (best first), and the nearest ones when none are.

        With `authors`, only papers with one of those researchers among their authors count (the
        people at an institution), searched through every on-topic paper rather than the best few.
        """
        topic_text = query.topic or ""
        match = self._topic(topic_text)
        rows = self._filter_rows(query if authors is None else query.with_(institution=None))
        if authors is not None and query.institution:
            # Only a paper written there, or one that does not say where it was written, puts its
            # authors at the place (`_placed_at`): at a million papers the 200 best of the people
            # ever there were all written elsewhere and "nobody at CMU works on speech".
            placed = self._institution_rows(query.institution)
            rows = rows[np.isin(rows, np.union1d(placed, self.index.rows_printing_none()))]
        self._judge(match, rows)
        if authors is None:
            order = rows[top_order(match.scores[rows], max(limit * 4, 3))]
            on = [int(r) for r in order[: limit * 4] if match.on(int(r))][:limit]
        else:
            on_rows = rows[match.on_topic[rows]]
            order = on_rows[top_order(match.scores[on_rows], len(on_rows))]
            on = []
            # Authors looked up a chunk of papers at a time, best first, until enough are found.
            for start in range(0, len(order), AUTHOR_CHUNK):
                chunk = [self.index.ids[int(r)] for r in order[start : start + AUTHOR_CHUNK]]
                written = self.people.authors_of_papers(chunk)
                on += [
                    int(r)
                    for r, i in zip(order[start:], chunk, strict=False)
                    if authors.intersection(written.get(i, ()))
                ]
                if len(on) >= limit:
                    on = on[:limit]
                    break
        if query.sort == "date" and on:
            on = sorted(on, key=lambda r: -int(self.index.years[r]))
        papers = self._papers([self.index.ids[r] for r in on])
        if papers:
            return papers, []
        nearest = self._papers([self.index.ids[int(r)] for r in order[:3]])
        return [], nearest

    def _judge(self, match: TopicMatch, rows: np.ndarray) -> None:
        # Rows a filter narrowed down get exact meaning evidence when that is cheap; the whole store
        # (or most of it) stays with the approximate index's candidates.
        if len(rows) <= EXACT_ROWS and len(rows) < len(self.index):
            match.include(rows)

    def _filter_rows(self, query: Query) -> np.ndarray:
        idx = self.index
        keep = np.ones(len(idx), dtype=bool)
        lo, hi = query.years
        if lo is not None:
            keep &= idx.years >= lo
        if hi is not None:
            keep &= (idx.years <= hi) & (idx.years > 0)
        if query.venue_families or query.venues_out:
            # Whether each venue code passes, and last (code -1) whether a paper with no venue does:
            # it stays when venues are only left out.
            kept = [query.keeps_venue(venue_family(v)) for v in idx.venue_names] + [not query.venue_families]
            keep &= np.asarray(kept, dtype=bool)[idx.venue_codes]
        if query.labels:
            keep &= idx.labels.mask(query.labels)
        if query.role == "solo":
            keep &= np.asarray(idx.author_counts) == 1
        if query.institution:
            at = np.zeros(len(idx), dtype=bool)
            at[self._institution_rows(query.institution)] = True
            keep &= at
        return np.flatnonzero(keep)

    def _institution_rows(self, institution: str) -> np.ndarray:
        """Rows of the papers written at the institution (cached per name): those that print one of
        its affiliations for an author. A paper that prints none is not guessed into a place: an
        author's usual affiliation is not theirs on every paper (it made a paper written in Shanghai
        Carnegie Mellon's most cited)."""
        if institution not in self._institution_papers:
            at = self.index.rows_printing(self._affiliations_at(institution))
            if len(self._institution_papers) > INSTITUTIONS_KEPT:
                self._institution_papers.clear()
            self._institution_papers[institution] = at
        return self._institution_papers[institution]

    def _who_works_on(self, query: Query, c: FactsComposer) -> Answer:
        if not query.topic and not query.institution:
            return self._most_published(query, c)
        if not query.topic:
            return self._people_at(query, c)
        members = self._members(query.institution) if query.institution else None
        papers, nearest = self._topic_papers(
            query, TOPIC_PAPERS if members is None else PLACE_TOPIC_PAPERS, members
        )
        if not papers and described(query.topic) and self._standout(query):
            # A description of one paper, which it stands out for: its authors work on it.
            best = self._ranked(query, 1)[0]
            if best and (
                query.institution is None or self._authors_of_papers(best, query.institution)[best[0].id]
            ):
                papers = best
        if not papers:
            anywhere = self._topic_papers(query.with_(institution=None), 3)[0] if members is not None else []
            if anywhere:
                return c.nobody_at(query, anywhere)
            return c.nothing_on_topic(query, nearest)
        papers = self._said(query, papers)
        by_person: dict[str, list[Paper]] = {}
        closest: dict[str, int] = {}  # the rank of each person's closest paper
        authors = self._authors_of_papers(papers, query.institution)
        for rank, paper in enumerate(papers):
            for rid in authors.get(paper.id, []):
                by_person.setdefault(rid, []).append(paper)
                closest.setdefault(rid, rank)
        if not by_person:
            return c.nobody_at(query, papers[:3])
        # Who works on it most: the most papers on it, then the closest paper. (Weighing papers by
        # rank named the authors of the one closest paper first even on a field with hundreds.)
        left_out = {p.id for p in self._left_out(query)}
        ranked = sorted(
            (r for r in by_person if r not in left_out), key=lambda r: (-len(by_person[r]), closest[r])
        )
        parts = alternatives(query.topic or "")
        if len(parts) > 1:
            # "A or B": the people of each in turn, so the larger field does not fill the page.
            lists = [[r for r in ranked if any(phrased(part, (), p) for p in by_person[r])] for part in parts]
            ranked = list(dict.fromkeys(r for group in zip_longest(*lists) for r in group if r is not None))
        # At most two people with one paper on it per paper, so one paper's author list does not crowd
        # out the field; people with several papers on it are each named (Navigli's coauthors on WSD).
        chosen: list[str] = []
        per_paper: dict[str, int] = {}
        end = query.offset + EXPERTS_SHOWN
        for i, rid in enumerate(ranked):
            lead = by_person[rid][0].id
            if len(by_person[rid]) > 1 or per_paper.get(lead, 0) < (2 if not query.institution else 8):
                chosen.append(rid)
                per_paper[lead] = per_paper.get(lead, 0) + 1
            if len(chosen) == end:
                if i + 1 < len(ranked):
                    c.more_from(end)
                break
        page = chosen[query.offset :]
        records = self.people.records(page)
        top = [(records[r], by_person[r]) for r in page if r in records]
        return c.experts(query, top, len(ranked))

    def _affiliations_at(self, institution: str) -> list[str]:
        """The affiliations the records hold that are at the institution (cached per name: at a
        million papers there are 150k to judge)."""
        if institution not in self._institution_affiliations:
            if len(self._institution_affiliations) > INSTITUTIONS_KEPT:
                self._institution_affiliations.clear()
            self._institution_affiliations[institution] = self.people.affiliations(self._at(institution))
        return self._institution_affiliations[institution]

    def _placed(self, institution: str) -> Callable[[str], bool]:
        """Whether an affiliation is one of those counted for the institution (`_affiliations_at`)."""
        return frozenset(self._affiliations_at(institution)).__contains__

    def _at(self, institution: str) -> Callable[[str], bool]:
        """Whether an affiliation is at the institution a question names. A unit is where papers
        print it ("Google DeepMind", "Salesforce AI Research" for Salesforce Research), not every
        paper printing its organisation's bare name, which may be from any part of it."""
        institutions = self.linker.institutions
        arm = research_arm(institution)
        # "NAIST": also the papers printing only the name affiliations declare it for.
        declared = institutions.declared_names(institution)

        def at(affiliation: str) -> bool:
            if arm(affiliation) or any(institution_matches(name, affiliation) for name in declared):
                return True
            return institution_matches(institution, affiliation) and not institutions.inside_other_name(
                institution, affiliation
            )

        return at

    def _place_notes(self, query: Query) -> list[str]:
        """Say so when an acronym asked about stands for several places, all of which are counted."""
        acronym = query.institution or ""
        if not acronym.isupper() or " " in acronym:
            return []
        names = self.linker.institutions.spelling(acronym)
        if len(names) < 2:
            return []
        shown = ", ".join(names[:PLACES_NAMED]) + (" and others" if len(names) > PLACES_NAMED else "")
        return [f"“{acronym}” stands for more than one place in the records ({shown}); all are counted."]

    def _members(self, institution: str) -> set[str]:
        """Ids of the researchers whose affiliations include the institution (cached per name)."""
        if institution not in self._institution_members:
            members = self.people.holding(self._affiliations_at(institution))
            if len(self._institution_members) > INSTITUTIONS_KEPT:
                self._institution_members.clear()
            self._institution_members[institution] = members
        return self._institution_members[institution]

    def _authors_of_papers(self, papers: list[Paper], institution: str | None) -> dict[str, list[str]]:
        """Each paper's resolved authors, only those the paper and their records place at the
        institution when one is asked for (two lookups for all the papers, not two per paper)."""
        authors = self.people.authors_of_papers([p.id for p in papers])
        if not institution:
            return authors
        records = self.people.records({rid for rids in authors.values() for rid in rids})
        at = self._placed(institution)
        placed = {rid for rid, r in records.items() if any(at(x) for x in r.affiliations)}
        return {
            p.id: [r for r in authors.get(p.id, []) if r in placed and _placed_at(p, records[r], at)]
            for p in papers
        }

    def _people_at(self, query: Query, c: FactsComposer) -> Answer:
        """The people at an institution with the most papers written there (in the years and venues
        asked), not the most papers anywhere: someone who moved on is counted for their years there."""
        institution = query.institution or ""
        at = self._placed(institution)
        written = {self.index.ids[int(r)] for r in self._filter_rows(query)}
        records = self.people.records(self._members(institution))
        papers = {
            p.id: p
            for p in self._papers(sorted({i for r in records.values() for i in r.paper_ids} & written))
        }
        scored = []
        for r in records.values():
            mine = [papers[i] for i in r.paper_ids if i in papers and _placed_at(papers[i], r, at)]
            if mine:
                scored.append((r, mine))
        scored.sort(key=lambda x: (-len(x[1]), x[0].id))
        page = scored[query.offset : query.offset + EXPERTS_SHOWN]
        if len(scored) > query.offset + EXPERTS_SHOWN:
            c.more_from(query.offset + EXPERTS_SHOWN)
        return c.experts(query, [(r, _sorted(p, "date")) for r, p in page], len(scored))

    def _overview(self, query: Query, c: FactsComposer) -> Answer:
        papers, nearest = self._topic_papers(query, 24)
        if not papers:
            return c.nothing_on_topic(query, nearest)
        if names_title(query.topic, papers[0].title):
            # "explain QUDsim to me": one paper named, said with its gist, not a field's themes.
            return self._find_papers(query.with_(op="find_papers"), c)
        rows = self.index.row.rows(p.id for p in papers)
        return c.themes(query, papers, self.index.matrix[rows])

    def _coverage(self) -> list[VenueHeld]:
        """Each venue the records hold: (venue, its years, papers), most papers first; papers
        without a venue as "no venue"."""
        idx = self.index
        codes = np.asarray(idx.venue_codes)
        years = np.asarray(idx.years)
        families: dict[str, list[int]] = {}
        for code, name in enumerate(idx.venue_names):
            families.setdefault(venue_family(name) or name, []).append(code)
        if (codes < 0).any():
            families["no venue"] = [-1]  # the code of a paper without a venue
        out = []
        for family, members in families.items():
            rows = np.isin(codes, members)
            held = tuple(int(y) for y in np.unique(years[rows & (years > 0)]))
            out.append((family, held, int(rows.sum())))
        return sorted(out, key=lambda v: (-v[2], v[0]))

    def _most_published(self, query: Query, c: FactsComposer) -> Answer:
        """Who has the most papers within the query's venue and years (or in the whole store)."""
        paper_ids = [self.index.ids[int(r)] for r in self._filter_rows(query)] if query.narrowed else None
        limit = query.limit or EXPERTS_SHOWN
        # A few hundred past the page: enough to say how many tie with the last one shown.
        counted = self.people.most_papers(paper_ids, query.offset + limit + TIES_COUNTED)
        page = counted[query.offset : query.offset + limit]
        if len(counted) > query.offset + limit:
            c.more_from(query.offset + limit)
        tied = sum(1 for _, n in counted[query.offset + limit :] if page and n == page[-1][1])
        records = self.people.records(rid for rid, _ in page)
        top = []
        for rid, n in page:
            if rid in records:
                papers = self._filter(self._papers(list(records[rid].paper_ids)), query)
                top.append((records[rid], n, _sorted(papers, "date")[:2]))
        return c.most_published(query, top, tied, tied == TIES_COUNTED)

    def _standout(self, query: Query) -> bool:
        """Whether the best match for a description stands out from the next one by STANDOUT_GAP:
        then it is the paper meant, whether or not its words pass as "on" the description."""
        match = self._topic(query.topic or "")
        rows = self._filter_rows(query)
        self._judge(match, rows)
        best = match.scores[rows][top_order(match.scores[rows], 2)]
        return len(best) == 1 or (len(best) == 2 and float(best[0] - best[1]) >= STANDOUT_GAP)

    def _paper_authors(self, query: Query, c: FactsComposer) -> Answer:
        """The authors of the paper a title or description names (the best match, if it is on it)."""
        papers, nearest = self._topic_papers(query, 3)
        if titled(query.topic) and not any(close_title(query.topic, p.title) for p in papers + nearest):
            # "who wrote Attention Is All You Need?": a title the records lack is not another paper's.
            return c.no_titled_paper(query, papers or nearest)
        if not papers and nearest and described(query.topic):
            # A description can word things its paper does not: the closest, a guess unless it stands out.
            return c.paper_authors(query, nearest[0], nearest[1:], loose=not self._standout(query))
        if not papers:
            return c.nothing_on_topic(query, nearest)
        if described(query.topic):
            # The best by score, as a search by description ranks; the others offered pass as on it.
            best = self._ranked(query, 1)[0][0]
            papers = [best, *(p for p in papers if p.id != best.id)][: len(papers)]
        return c.paper_authors(query, papers[0], papers[1:])

    def _find_papers(self, query: Query, c: FactsComposer) -> Answer:
        limit = query.limit or (1 if query.sort == "citations" and query.limit == 1 else 8)
        if not query.topic and query.sort != "citations":
            # "latest NAACL papers", "papers from Stanford": a venue's, years' or place's newest papers.
            rows = self._filter_rows(query)
            newest = rows[top_order(np.asarray(self.index.years[rows], dtype=np.float64), limit)]
            return c.newest(query, self._papers([self.index.ids[int(r)] for r in newest]), len(rows))
        if query.sort == "citations" and not query.topic:
            rows = self._filter_rows(query)
            cited = self.index.citations[rows]
            known = rows[cited >= 0]
            counts = np.asarray(self.index.citations[known], dtype=np.float64)
            top = known[top_order(counts, query.offset + limit)][query.offset :]
            papers = self._papers([self.index.ids[int(r)] for r in top])
            if query.offset:
                return c.more_cited(query, papers)
            return c.most_cited(query, papers, len(rows), len(rows) - len(known))
        cited = self._paper_named(query) if query.sort == "citations" else None
        if cited is not None:
            # "“Towards Few-shot Fact-Checking via Perplexity”, how many cites?": that paper's count.
            return c.citations_of(cited)
        if query.sort == "citations":
            # The most cited of the papers that say the field's name when enough do, among the
            # closest CITED_POOL: a paper with the name in its title is not left out for being 61st.
            papers, nearest = self._topic_papers(query.with_(sort="relevance"), CITED_POOL)
            papers = _sorted(self._said(query, papers), "citations")[query.offset : query.offset + limit]
            if query.offset:
                return c.more_cited(query, papers)
        elif query.sort == "date" and not described(query.topic):
            # "recent work on X": the newest of the papers on it, not the closest (RECENT_POOL best).
            papers, nearest = self._topic_papers(query.with_(sort="relevance"), RECENT_POOL)
            if papers:
                # Newest first, the closest first within a year (a stable sort keeps the ranking).
                return c.newest_on_topic(query, sorted(papers, key=lambda p: -(p.year or 0))[:limit])
        else:
            papers, nearest = self._topic_papers(query, limit)
            if titled(query.topic) and not any(close_title(query.topic, p.title) for p in papers + nearest):
                return c.no_titled_paper(query, (papers or nearest)[:3])
            standout = described(query.topic) and self._standout(query)
            if query.offset and papers:
                # "more" / "Next": the following papers on the topic, as long as any are on it.
                ranked, on = self._ranked(query, query.offset + limit)
                if on > query.offset + limit:
                    c.more_from(query.offset + limit)
                return c.further_results(query, ranked[query.offset :], max(0, on - query.offset))
            if papers or standout:
                # A paper search ranks by score; the floor only decides whether anything is on topic.
                papers, on = self._ranked(query, limit + 1)
                if on > limit and not standout:
                    c.more_from(limit)
                papers, on = papers[:limit], min(on, limit)
                named = bool(papers) and names_title(query.topic, papers[0].title)
                return c.search_results(query, papers, on, standout=standout, named=named)
        if not papers:
            if described(query.topic):
                # Nothing passed as on the description: the closest few, as a guess among candidates.
                nearest = self._ranked(query, DESCRIBED_GUESSES)[0]
            return c.nothing_on_topic(query, nearest)
        return c.search_results(query, papers)

    def _paper_named(self, query: Query) -> Paper | None:
        """The paper a query's topic is the title of ("is X on “Generated Knowledge Prompting for
        Commonsense Reasoning”?"), if it names one: a topic of several words, a paper titled so."""
        if len((query.topic or "").split()) < TITLE_WORDS_NAMED:
            return None
        search = Query(op="find_papers", topic=query.topic)
        found, nearest = self._topic_papers(search, TITLE_CANDIDATES)
        return next((p for p in found + nearest if close_title(query.topic or "", p.title)), None)

    def _ranked(self, query: Query, limit: int) -> tuple[list[Paper], int]:
        """The best `limit` papers, those on the topic first; and how many of them are on it.

        A paper with a title word of the topic can outscore every paper on the whole topic ("To
        Fold or Not to Fold", batch-norm folding, above protein papers for "protein folding").
        """
        match = self._topic(query.topic or "")
        rows = self._filter_rows(query)
        self._judge(match, rows)
        if described(query.topic) and query.sort != "date":
            # A description words things its paper may not: the paper meant can score best without
            # passing as "on" its words, so the first is the best by score, passing only adding
            # DESCRIBED_ON_BONUS; those that pass follow (benchmarks/description_bonus.py: score
            # alone lost 3 of 24 reworded descriptions from the first five, passing ahead of any
            # score 1 of 84 half-remembered papers from the first place).
            best = rows[top_order(match.scores[rows] + DESCRIBED_ON_BONUS * match.on_topic[rows], 1)]
            rows = np.setdiff1d(rows, best)
        else:
            best = rows[:0]
        on_rows, off_rows = rows[match.on_topic[rows]], rows[~match.on_topic[rows]]
        order = np.concatenate([best, on_rows[top_order(match.scores[on_rows], limit - len(best))]])
        on = len(order)
        if on < limit:
            order = np.concatenate([order, off_rows[top_order(match.scores[off_rows], limit - on)]])
        if query.sort == "date":
            order = np.array(
                sorted(order[:on], key=lambda r: -int(self.index.years[r]))
                + sorted(order[on:], key=lambda r: -int(self.index.years[r])),
                dtype=np.int64,
            )
        return self._papers([self.index.ids[int(r)] for r in order]), on

    def _count_topic(self, query: Query, c: FactsComposer) -> Answer:
        if not query.topic:
            rows = self._filter_rows(query)
            # None there, or a venue asked about: say what the records do hold ("ACL 2021-2022").
            held = not len(rows) or (query.venue and not any(query.years))
            # Papers marked so ("award papers at ACL 2022", "solo-authored ones") are few: named.
            marked = query.labels or query.role
            cited = rows[top_order(np.asarray(self.index.citations)[rows], 5)]
            best = self._papers([self.index.ids[int(r)] for r in cited])
            return c.count_store(query, len(rows), self._coverage() if held else None, best if marked else [])
        on = self._on_topic(query, query.topic)
        return c.count_topic(query, len(on), self._best(query.topic, on, 5))

    def _papers_asked(self, query: Query) -> np.ndarray:
        """Rows of the papers a tally is over: those on the topic within the filters, or all of them."""
        return self._on_topic(query, query.topic) if query.topic else self._filter_rows(query)

    def _on_topic(self, query: Query, topic: str) -> np.ndarray:
        """Rows of the papers on a topic within the query's filters."""
        match = self._topic(topic)
        rows = self._filter_rows(query)
        self._judge(match, rows)
        return rows[match.on_topic[rows]]

    def _best(self, topic: str | None, rows: np.ndarray, k: int) -> list[Paper]:
        """The `k` papers of `rows` closest to the topic (without one: the newest)."""
        if topic:
            top = rows[top_order(self._topic(topic).scores[rows], k)]
        else:
            top = rows[np.argsort(-np.asarray(self.index.years)[rows], kind="stable")[:k]]
        return self._papers([self.index.ids[int(r)] for r in top])

    def _tally(self, query: Query, c: FactsComposer) -> Answer:
        """The venues (or years) with the most papers on a topic, or of all within the filters."""
        rows = self._papers_asked(query)
        by_venue = query.op == "top_venue"
        # Grouped by integer codes in numpy: a Python key per paper took 154 ms at 1M papers.
        if by_venue:
            families = [venue_family(v) or v for v in self.index.venue_names]
            labels = sorted(set(families))
            slot = {family: i for i, family in enumerate(labels)}
            family_of = np.array([slot[f] for f in families] + [-1], dtype=np.int64)
            groups = family_of[np.asarray(self.index.venue_codes)[rows]]  # code -1 → the last slot, -1
        else:
            groups = np.asarray(self.index.years)[rows].astype(np.int64)
            groups[groups <= 0] = -1
        kept = groups >= 0
        rows, groups = rows[kept], groups[kept]
        found, counts = np.unique(groups, return_counts=True)
        keys = [labels[int(g)] for g in found] if by_venue else [str(int(g)) for g in found]
        # Most papers first; a tie by name (labels are sorted, so by code) or newest year first.
        order = np.lexsort((found if by_venue else -found, -counts)).tolist()
        ranked = [(keys[i], int(counts[i])) for i in order]
        examples = self._best(query.topic, rows[groups == found[order[0]]], 3) if order else []
        return c.tally(query, ranked, len(kept), examples)

    def _top_institutions(self, query: Query, c: FactsComposer) -> Answer:
        """The institutions whose printed affiliations are on the most papers (on a topic, or of
        all within the filters), of the kind asked for; spellings of one institution that fold
        alike count as one, and a paper printing two of them counts once."""
        rows = self._papers_asked(query)
        keys, printing = self.index.printed_by(rows)
        # The pairs come sorted by digest: each digest's run of papers, without a sort.
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
        digests = keys[starts]
        printed = np.diff(np.r_[starts, len(keys)])  # papers printing each spelling
        names = self._affiliation_names()
        places = self.linker.institutions
        folded: dict[str, int] = {}  # each institution, as folded, numbered
        shown: dict[int, tuple[int, str]] = {}  # the spelling of each most papers print
        number = np.full(len(digests), -1, dtype=np.int64)
        for i, key in enumerate(digests.tolist()):
            name = names.get(key, "")
            fold_ = normalise_institution(name)
            if fold_ and (query.place_kind is None or places.kind(name) == query.place_kind):
                n = number[i] = folded.setdefault(fold_, len(folded))
                if n not in shown or printed[i] > shown[n][0]:
                    shown[n] = (int(printed[i]), name)
        place = np.repeat(number, printed)
        papers = np.bincount(place[place >= 0], minlength=len(folded))
        # A paper printing two spellings of one place counts once: recounted for places spelt so.
        spelt = np.flatnonzero(np.bincount(number[number >= 0], minlength=len(folded)) > 1)
        if len(spelt):
            again = np.isin(place, spelt)
            span = int(printing.max()) + 1
            pairs = np.unique(place[again] * span + printing[again])
            papers[spelt] = np.bincount(pairs // span, minlength=len(folded))[spelt]
        displayed = {n: name for n, (_, name) in shown.items()}
        for n, alone in _within_organisations(folded, displayed, place, printing).items():
            papers[n] = alone
            if not alone:
                shown.pop(n, None)
        ranked = sorted(((shown[n][1], int(papers[n]), n) for n in shown), key=lambda t: (-t[1], t[0]))
        examples: list[Paper] = []
        if ranked:
            # The first place's papers, from the pairs in hand (every spelling of it printed there).
            top = np.unique(printing[place == ranked[0][2]])
            examples = self._best(query.topic, top, 3)
        return c.tally(query, [(name, n) for name, n, _ in ranked], len(rows), examples)

    def _partner_places(self, view: PersonView, papers: list[Paper]) -> list[tuple[str, list[Paper]]]:
        """The places the person's coauthors were at, each with the papers that print one of its
        spellings for a coauthor, most papers first; the person's own affiliations on a paper are
        not their partners' unless a coauthor prints them too."""
        own = set(person_name_keys(view.person))
        found: dict[str, list[Paper]] = {}
        spellings: dict[str, Counter[str]] = {}
        for p in papers:
            seen = set()
            for a in p.authors:
                if name_key(a.name) in own:
                    continue
                for aff in a.affiliations:
                    key = normalise_institution(aff)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    found.setdefault(key, []).append(p)
                    spellings.setdefault(key, Counter())[aff] += 1
        ranked = sorted(found, key=lambda k: (-len(found[k]), k))
        return [(spellings[k].most_common(1)[0][0], found[k]) for k in ranked]

    def _affiliation_names(self) -> dict[int, str]:
        """Each affiliation the records hold, by its digest in the index's postings (made once)."""
        if self._affiliation_digests is None:
            self._affiliation_digests = {affiliation_digest(a): a for a in self.people.affiliations()}
        return self._affiliation_digests

    def _compare_topics(self, query: Query, c: FactsComposer) -> Answer:
        """Which of the topics asked about ("watermarking or jailbreaking") has more papers."""
        parts = compared(query.topic or "")
        if len(parts) < 2:
            return self._count_topic(query.with_(op="count", count_of="papers"), c)
        counted = []
        for part in parts:
            on = self._on_topic(query, part)
            counted.append((part, len(on), self._best(part, on, 2)))
        return c.topics_compared(query, counted)

    def _compare_fields(self, query: Query, c: FactsComposer) -> Answer:
        """Papers counted for each of the values compared (places, venues or years), the rest of
        the query filtering each alike ("NAS papers at IJCAI or AAAI?")."""
        counted = []
        for value in query.compared:
            one = _with_value(query, value)
            rows = self._papers_asked(one)
            counted.append((value, len(rows), self._best(one.topic, rows, 2)))
        return c.fields_compared(query, counted)

    # --- helpers ------------------------------------------------------------------------------

    def _papers(self, ids: list[str]) -> list[Paper]:
        found = self.index.papers(ids)
        return [found[i] for i in ids if i in found]

    def _filter(self, papers: list[Paper], query: Query) -> list[Paper]:
        lo, hi = query.years
        out = []
        for p in papers:
            if (lo is not None or hi is not None) and p.year is None:
                continue
            if lo is not None and p.year is not None and p.year < lo:
                continue
            if hi is not None and p.year is not None and p.year > hi:
                continue
            if not query.keeps_venue(venue_family(p.venue)):
                continue
            if query.labels and not set(query.labels).intersection(p.labels):
                continue
            if query.role == "solo" and len(p.authors) != 1:
                continue
            out.append(p)
        return out


def _answering_for(person: PersonEntry, which: str) -> str:
    """The sentence that says which of several namesakes an answer is for, and why."""
    where = f" ({person.affiliations[0]})" if person.affiliations else ""
    return f"Answering for {person.name}{where}, {which}."


def _printed_at(paper: Paper, person: Researcher, placed: Callable[[str], bool]) -> bool:
    """Whether the paper prints, for this person (matched by name), an affiliation `placed` keeps."""
    keys = set(person_name_keys(person))
    return any(placed(x) for a in paper.authors if name_key(a.name) in keys for x in a.affiliations)


def _authored_as(paper: Paper, keys: set[str], role: str) -> bool:
    """Whether the person of name keys `keys` is the paper's first or last author (a paper of one
    author is both)."""
    if not paper.authors or (not paper.authors_complete and role == "last"):
        return False
    author = paper.authors[0] if role == "first" else paper.authors[-1]
    return name_key(author.name) in keys


def _within_organisations(
    folded: dict[str, int], displayed: dict[int, str], place: np.ndarray, printing: np.ndarray
) -> dict[int, int]:
    """For each place that is a unit of another ranked with it by name ("Google DeepMind" of
    "Google", "WeChat AI, Tencent" of "Tencent"), how many of its papers do not also print the
    organisation: an author's unit is printed beside their organisation, and a paper is counted for
    the organisation only, not twice. A place printed on its own ("University of California,
    Berkeley") keeps its papers."""
    order = np.argsort(place, kind="stable")
    bounds = np.searchsorted(place[order], np.arange(len(folded) + 1))

    def rows(n: int) -> np.ndarray:
        return printing[order[bounds[n] : bounds[n + 1]]]

    out = {}
    for name, n in folded.items():
        words = name.split()
        # "Google DeepMind" of "Google"; "WeChat AI, Tencent" of "Tencent" (after a comma only:
        # "University of Chinese Academy of Sciences" is no unit of the Academy).
        named = [" ".join(words[:k]) for k in range(1, len(words))]
        shown = displayed.get(n, "")
        if ", " in shown:
            named.append(normalise_institution(shown.rsplit(", ", 1)[1]))
        parents = [p for x in named if (p := folded.get(x)) is not None and p != n]
        if parents:
            mine = rows(n)
            out[n] = int(np.count_nonzero(~np.isin(mine, np.concatenate([rows(p) for p in parents]))))
    return out


def _placed_at(paper: Paper, person: Researcher, at: Callable[[str], bool]) -> bool:
    """Whether a paper puts the person at the institution: by the affiliation printed beside their
    name, or by their main affiliation where it prints none for them."""
    on_paper = [a for a in paper.authors if a.name == person.name or a.name in person.aliases]
    affs = [x for a in on_paper for x in a.affiliations] or list(person.affiliations[:1])
    return any(at(x) for x in affs)


def _nicknamed(a: PersonEntry, b: PersonEntry) -> bool:
    """Whether one of two people is the other's name with a nickname in brackets ("Nanyun (Violet)
    Peng", "Nanyun Peng") at a place both are listed with: the name says they are one, without
    coauthors in common (a single-author paper has none)."""
    if ("(" in a.name) == ("(" in b.name):
        return False
    bare = {name_key(re.sub(r"\s*\([^)]*\)", "", n.name)) for n in (a, b)}
    places = [{normalise_institution(x) for x in e.affiliations} - {""} for e in (a, b)]
    return len(bare) == 1 and bool(places[0] & places[1])


def _with_value(query: Query, value: str) -> Query:
    """One side of a comparison of a field: the query counting papers with the field set to `value`."""
    one = query.with_(op="count", count_of="papers", compare_by=None, compared=())
    if query.compare_by == "institution":
        return one.with_(institution=value)
    if query.compare_by == "venue":
        return one.with_(venue=value, venues=())
    return one.with_(year_from=int(value), year_to=int(value))


def _sorted(papers: list[Paper], sort: str, relevance: dict[str, float] | None = None) -> list[Paper]:
    """Papers most cited first, newest first, or (by default) most relevant then newest."""
    if sort == "citations":
        return sorted(papers, key=lambda p: (-(p.citation_count or 0), -(p.year or 0), p.title))
    if sort == "oldest":
        return sorted(papers, key=lambda p: (p.year or 10_000, p.date or "", p.title))
    if sort == "date" or not relevance:
        return sorted(papers, key=lambda p: (-(p.year or 0), p.date or "", p.title), reverse=False)
    return sorted(papers, key=lambda p: (-relevance.get(p.id, 0.0), -(p.year or 0)))


def _reading_notes(reading: Reading) -> list[str]:
    """Say how misspelt names were read, so a wrong guess is visible."""
    notes = []
    for m in reading.links.people:
        names = list(dict.fromkeys(p.name for p in m.match.people))
        if not m.match.exact and len(names) > 1:
            # A surname alone that several people carry ("hovy's papers").
            listed = ", ".join(names[:-1]) + " and " + names[-1]
            notes.append(
                f"“{m.match.query}” names {len(names)} people in the records: {listed}; "
                "ask with the full name if you meant another than the one answered."
            )
        elif not m.match.exact and m.match.people:
            notes.append(f"Read “{m.match.query}” as {m.match.people[0].name}.")
    return notes


#: Initials are a place's, not a word, when fewer than one paper in this many writes them.
RARE_WORD_SHARE = 500
#: Papers a venue needs to be named among those the records hold.
MAIN_VENUE_PAPERS = 20
# "the ucsd one", "the dialogue summarization guy": one of several people, by place or subject.
_ONE_DESCRIBED = re.compile(
    r"(?:(?<=,)|(?<=\bmeant)|(?<=\bmean)|(?<=\babout)|^)\s*the\s+(?P<words>[A-Za-z][\w&.-]*(?:\s+[A-Za-z][\w&.-]*){0,2}?)\s+"
    r"(?P<noun>one|guy|person|lady|woman|man|researcher|dude|fellow)\b(?=\s*[?!.,]?\s*$)",
    re.I,
)
#: Words before "guy"/"one" that describe no subject ("the other guy", "the first one").
_NOT_A_SUBJECT = frozenset(
    ["other", "first", "second", "last", "third", "same", "new", "older", "younger", "right", "wrong"]
)


#: A question is read as another language's when fewer than this share of its words (at least
#: FOREIGN_MIN_WORDS of them, names and places aside) are English or written in the papers...
FOREIGN_KNOWN_SHARE = 0.5
FOREIGN_MIN_WORDS = 3
#: ...or when it has this many letters of a script the papers do not use (names aside).
FOREIGN_SCRIPT_CHARS = 4
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _english_only(reading: Reading) -> str:
    """The reply to a question in another language, with an example using what it names."""
    names = [m.text for m in reading.links.people]
    example = f"What has {names[0]} published?" if names else "Who works on machine translation?"
    return f"I can only read questions in English, e.g. “{example}”"


#: What a message that only thanks is answered as.
THANKS = Query(op="help")


def _said(text: str) -> tuple[Answer, Query]:
    """A reply that looks nothing up (a question back, what the bot cannot do), remembered as no
    question, so a follow-up still builds on the turn before it."""
    return FactsComposer(THANKS).finish(text), THANKS


def _focused(question: str) -> str:
    """The question of a message, chat spellings normalised (`chat.focus`), before the length cut."""
    return focus(normalise(question))


def readable(question: str) -> str:
    """The text the reader reads: the focused question (a long preamble does not cut it off), cut;
    a question at the end of a long paste ("… who else works on this?") is kept, the paste cut."""
    text = _focused(question)
    if len(text) <= MAX_QUESTION_CHARS:
        return text
    last = re.split(r"(?<=[.!?])\s+", text.rstrip())[-1]
    if last.endswith("?") and len(last) < MAX_QUESTION_CHARS // 2:
        return f"{text[: MAX_QUESTION_CHARS - len(last) - 1]} {last}"
    return text[:MAX_QUESTION_CHARS]


__all__ = ["Answer", "Answerer", "PersonView", "Source"]
