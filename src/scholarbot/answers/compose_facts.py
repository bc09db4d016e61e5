"""Answers to relations and aggregations: joint papers, common coauthors, counts, top venue and year,
ranked lists with honest totals, experts on a topic, and overviews grouped into themes.

Like the rest of the composer, every sentence cites the papers it rests on, and `people` holds exactly
the people the answer names as its answer (never the people the question asked about).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from scholarbot.answers.compose import (
    Composer,
    _label,
    commonly_printed,
    listed_affiliations,
    namesakes,
    printed_name,
)
from scholarbot.answers.linking import institution_matches, venue_family, words
from scholarbot.answers.query import PEOPLE_LISTS, Query, described
from scholarbot.answers.types import Answer, join_names, short, venue_year
from scholarbot.records import Paper, Researcher, label_text

#: Characters of an abstract's first sentence quoted for a paper asked about by name.
GIST_CHARS = 300
#: A venue the records hold: its name, the years they hold of it, and how many papers.
VenueHeld = tuple[str, tuple[int, ...], int]
#: Venues named after a person's most frequent ones.
VENUES_AFTER = 5
#: In a summary of the records, venues holding less than this share of the papers are summed up...
COVERAGE_MINOR_SHARE = 0.01
#: ...naming this many of them.
COVERAGE_MINOR_NAMED = 4
#: A profile's recurring topics leave out words more than this share of all papers use, and
#: phrases (two words, or a hyphenated one) whose every part is used by more than the second.
THEME_MAX_SHARE = 0.05
THEME_MAX_SHARE_PHRASE = 0.2
#: Likely-same people under other spellings named in a profile, at most.
MAX_KIN_SHOWN = 2

if TYPE_CHECKING:
    from scholarbot.answers.engine import PersonView

#: Papers listed in one answer; the total is always stated.
MAX_LISTED = 8
#: Labels named where the records lack the one asked for.
LABELS_NAMED = 8
#: Places named in an answer on where someone's coauthors were.
PLACES_LISTED = 6
#: People named in one answer; the total is always stated.
MAX_NAMED = 12
#: Shared coauthors named when two people wrote nothing together.
MAX_LINKS_SHOWN = 5

HELP = (
    "Ask me about researchers and papers in the records, e.g. “Who collaborates with Hanlin Gu?”, "
    "“Which papers did A and B write together?”, “How many papers did X publish in 2022?”, "
    "“What is X's most cited paper?”, “Who works on dialogue at Tsinghua?”, or “Overview of federated LLMs”."
)


class FactsComposer(Composer):
    """Composer for one typed query."""

    def __init__(self, query: Query) -> None:
        super().__init__(query.op)
        self.query = query
        self._lead: list[Callable[[], str]] = []

    def finish(self, text: str) -> Answer:
        # Lead notes are written last so that their citations reuse the answer's own numbering.
        lead = [note() for note in self._lead]
        return super().finish(" ".join([*lead, text]).strip())

    def _first_cited(self, view: PersonView) -> str:
        """A citation for a note about a person: the first source of theirs the answer already cites."""
        own = {p.id for p in view.papers}
        for source in self.answer.sources:
            if source.id in own:
                return f" [{source.n}]"
        best = (view.on_topic or view.papers)[:1]
        return f" [{self.cite(best[0])}]" if best else ""

    def limits(self) -> str:
        # Coauthors "from Google" are those the shared paper prints there; elsewhere a place is
        # the person's own and said by the answer itself.
        kept = self.query.institution if self.query.op == "collaborators" else None
        return _filters(self.query.with_(institution=kept))

    def labels_unheld(self, held: Sequence[str]) -> str:
        """The sentence that leads an answer to a label the records do not give the papers asked
        about ("oral papers at ACL"), naming those they do give."""
        asked = " or ".join(dict.fromkeys(label_text(x) for x in self.query.labels))
        where = _filters(self.query.with_(labels=(), role=None, people_out=(), institution=None))
        shown = list(dict.fromkeys(label_text(x) for x in held))
        more = [f"{len(shown) - LABELS_NAMED} more"] if len(shown) > LABELS_NAMED else []
        marks = join_names(shown[:LABELS_NAMED] + more)
        if not held:
            return f"The records do not mark any papers{where} by track, category or award, so not “{asked}”."
        return f"The records mark no papers{where} as “{asked}” (they mark {marks})."

    def help(self) -> Answer:
        problem = self.query.problem() if self.query.op != "help" else None
        return self.finish((f"I could not run that ({problem}). " if problem else "") + HELP)

    def profile(
        self,
        view: PersonView,
        collaborators: list[tuple[Researcher, int]],
        others: list[PersonView] | None = None,
        themes: Sequence[tuple[str, Sequence[Paper]]] = (),
    ) -> Answer:
        """A profile; asked with an institution ("is X at Stanford?"), it opens with yes or no."""
        place = self.query.institution
        lead = self._at_institution(view, place) if place else ""
        answer = super().profile(view, collaborators, others, themes)
        if lead:
            answer.text = f"{lead} {answer.text}"
        return answer

    def also_printed(self, kin: list[tuple[PersonView, list[Researcher], Paper]]) -> None:
        """Name the people the records keep apart under another spelling who are likely this one."""
        for view, shared, paper in kin[:MAX_KIN_SHOWN]:
            names = join_names([r.name for r in shared[:3]])
            more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
            # Without coauthors in common, the name itself says so: a nickname in brackets, one place.
            why = (
                f"they share coauthors {names}{more}"
                if shared
                else "the same name, a nickname aside, at one place"
            )
            self.answer.text += (
                f" The records also hold {_label(view, True)}, {len(view.papers)} paper(s), kept apart as "
                f"another spelling but likely the same person: {why} [{self.cite(paper)}]."
            )

    def kin_joint(
        self, kin: list[tuple[PersonView, PersonView, list[Researcher], list[Paper]]], counted: set[str]
    ) -> None:
        """Add the pair's papers under another spelling of a name, likely the same person's."""
        for view, same, shared, papers in kin[:MAX_KIN_SHOWN]:
            new = [p for p in papers if p.id not in counted]
            if not new:
                continue
            names = join_names([r.name for r in shared[:3]])
            listed = "; ".join(self._item(p) for p in new[:MAX_LISTED])
            self.answer.text += (
                f" The records also hold {view.person.name}, kept apart as another spelling but likely "
                f"{same.person.name} (they share coauthors {names}), with {len(new)} more such paper(s): "
                f"{listed}; {len(counted) + len(new)} in all if they are one person."
            )
            counted |= {p.id for p in new}

    def _at_institution(self, view: PersonView, place: str) -> str:
        name = view.person.name
        listed = listed_affiliations(view.person, view.papers)
        there = [(aff, p) for aff, p in listed if institution_matches(place, aff)]
        if there:
            aff, paper = there[0]
            newest = listed[0]
            count = len({p.id for _, p in there})
            # Any place the newest paper lists them at counts ("Mannheim + Würzburg"), not only its
            # first; so does another paper of the newest year (the records seldom date within one).
            if paper is not newest[1] and (paper.year or 0) < (newest[1].year or 0):
                # Listed there once, elsewhere on the newest paper: not there now, by the records.
                self.answer.value = False
                return (
                    f"Not any more, by the records: {count} paper(s) list {name} at {aff}, the newest "
                    f"“{short(paper.title)}” ({venue_year(paper)}) [{self.cite(paper)}]; their newest paper "
                    f"lists them at {newest[0]} (“{short(newest[1].title)}”, {venue_year(newest[1])}) "
                    f"[{self.cite(newest[1])}]."
                )
            self.answer.value = True
            text = (
                f"Yes: {count} paper(s) list {name} at {aff}, the newest "
                f"“{short(paper.title)}” ({venue_year(paper)}) [{self.cite(paper)}]."
            )
            # "was he always at RIT?": the papers that list them only elsewhere, the earliest named.
            at = {p.id for _, p in there}
            elsewhere = [(a, p) for a, p in listed if p.id not in at]
            if elsewhere:
                first_aff, first = elsewhere[-1]
                others = len({p.id for _, p in elsewhere})
                text += (
                    f" {others} other paper(s) list them elsewhere, the earliest at {first_aff} "
                    f"(“{short(first.title)}”, {venue_year(first)}) [{self.cite(first)}]."
                )
            return text
        if not listed:
            return f"The records give no affiliation for {name}, so I cannot say whether they are at {place}."
        self.answer.value = False
        aff, paper = listed[0]
        return (
            f"No paper in the records lists {name} at {place}; the newest lists them at {aff} "
            f"(“{short(paper.title)}”, {venue_year(paper)}) [{self.cite(paper)}]."
        )

    def thanks(self) -> Answer:
        return self.finish(
            "You're welcome! Ask me anything else about the researchers and papers in the records."
        )

    def _item(self, p: Paper, *, cites: bool = False, labelled: bool = False) -> str:
        extra = f", {p.citation_count} citations" if cites and p.citation_count is not None else ""
        if labelled and p.labels:
            extra += "; " + ", ".join(dict.fromkeys(label_text(x) for x in p.labels))
        return f"“{short(p.title)}” ({venue_year(p)}{extra}) [{self.cite(p)}]"

    def _listing(self, papers: Sequence[Paper], *, cites: bool = False, page: bool = True) -> str:
        """Up to MAX_LISTED papers; a list that is the answer (`page`) starts at the query's offset
        and, when cut, leaves the next page's query in `answer.more`."""
        start = min(self.query.offset, len(papers)) if page else 0
        window = papers[start : start + MAX_LISTED]
        more = len(papers) - start - len(window)
        if page and more > 0:
            self.more_from(start + len(window))
        head = f"from {start + 1} to {start + len(window)}: " if start and window else ""
        if start and not window:
            return f"none after the first {start}"
        shown = "; ".join(self._item(p, cites=cites) for p in window)
        return head + shown + (f"; and {more} more" if more > 0 else "")

    def more_from(self, offset: int) -> None:
        """Record that the answer's list continues at `offset` (the bot offers a "Next" button)."""
        self.answer.more = self.query.with_(offset=offset).to_json()

    # --- namesakes ----------------------------------------------------------------------------

    def others_note(self, view: PersonView, others: list[PersonView]) -> None:
        """One line naming the namesakes the evidence pointed away from."""
        if not others:
            return
        items = [f"{_label(o, True)} ({len(o.papers)} paper(s))" for o in others[:3]]
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        self._lead.append(
            lambda: (
                f"Answering for {_label(view, True)}, {_why_this_one(self.query)}"
                f"{self._first_cited(view)}; the records also hold {len(others)} other researcher(s) named "
                f"{view.person.name}: {'; '.join(items)}{more}."
            )
        )

    def namesakes_note(self, view: PersonView, others: list[PersonView]) -> None:
        self._lead.append(
            lambda: (
                namesakes(len(others) + 1, view.person.name, *(o.person.name for o in others))
                + f"; answering for {_label(view, True)}, the one with the most papers"
                + f"{self._first_cited(view)}."
            )
        )

    def namesakes_papers(self, name: str, views: list[PersonView]) -> Answer:
        """Papers within a venue, years or topic by several people of one name, each person apart:
        "Wei Wang ACL 2022 papers" when four Wei Wangs have one each."""
        scope = _scope(self.query)
        parts = []
        total = 0
        for v in views:
            papers = v.on_topic if self.query.topic else v.papers
            total += len(papers)
            shown = "; ".join(self._item(p) for p in sorted(papers, key=lambda p: -(p.year or 0))[:3])
            more = f" and {len(papers) - 3} more" if len(papers) > 3 else ""
            parts.append(f"{_label(v, True)}: {shown}{more}")
            self.answer.people.append(self.person_json(v.person, papers[:2]))
        lead = (
            f"{len(views)} researchers named {name} have papers {scope} in the records ({total} in all), "
            "people the records keep apart"
        )
        return self.finish(f"{lead}: {'. '.join(parts)}.")

    # --- two people ---------------------------------------------------------------------------

    def joint_papers(
        self, a: PersonView, b: PersonView, joint: list[Paper], linked: Linked | None = None
    ) -> Answer:
        who = f"{a.person.name} and {b.person.name}"
        if not joint:
            on = f" on {self.query.topic}" if self.query.topic else ""
            return self.finish(f"The records hold no paper by both {who}{on}.{self._linked(a, b, linked)}")
        if self.query.limit and self.query.sort != "relevance" and self.query.op == "joint_papers":
            # "which of their papers is most cited?": the first of them, the total said.
            which = {"citations": "most cited", "oldest": "oldest"}.get(self.query.sort, "newest")
            top = joint[: self.query.limit]
            if len(top) == 1:
                self.answer.value = top[0].title
            listed = "; ".join(self._item(p, cites=self.query.sort == "citations") for p in top)
            return self.finish(f"The {which} of the {len(joint)} paper(s) {who} wrote together: {listed}.")
        return self.finish(
            f"{who} have {len(joint)} paper(s) together in the records: {self._listing(joint)}."
        )

    def count_joint(
        self, a: PersonView, b: PersonView, joint: list[Paper], linked: Linked | None = None
    ) -> Answer:
        self.answer.value = len(joint)
        return self.joint_papers(a, b, joint, linked)

    def _linked(self, a: PersonView, b: PersonView, linked: Linked | None) -> str:
        """ " They share N coauthors: …" when two people wrote nothing together ("how are A and B
        connected?"): the coauthors each wrote with, most shared papers first, each cited."""
        if linked is None:
            return ""
        ca, cb, records = linked
        common = _shared(a, b, ca, cb)
        if not common:
            return ""
        parts = []
        for rid in common[:MAX_LINKS_SHOWN]:
            person = records.get(rid)
            if person is not None:
                parts.append(self._shared_with(person, ca[rid][0], cb[rid][0]))
        more = f" and {len(common) - len(parts)} more" if len(common) > len(parts) else ""
        return f" They share {len(common)} coauthor(s) in the records: {'; '.join(parts)}{more}."

    def _shared_with(self, person: Researcher, pa: Paper, pb: Paper) -> str:
        """A shared coauthor as printed, with a paper they wrote with each (cited once if the same)."""
        cites = f"[{self.cite(pa)}]" + (f"[{self.cite(pb)}]" if pb.id != pa.id else "")
        return f"{printed_name(person, pa)} {cites}"

    def collab_check(
        self, a: PersonView, b: PersonView, joint: list[Paper], linked: Linked | None = None
    ) -> Answer:
        who = f"{a.person.name} and {b.person.name}"
        self.answer.value = bool(joint)
        if joint:
            # Every joint paper (up to a page): "did they ever write anything together?" is often
            # asked to see what they wrote.
            listed = self._listing(joint, page=False)
            return self.finish(f"Yes: {who} wrote {len(joint)} paper(s) together: {listed}.")
        return self.finish(f"No: no paper in the records lists both {who}.{self._linked(a, b, linked)}")

    def common_coauthors(
        self,
        a: PersonView,
        b: PersonView,
        ca: dict[str, list[Paper]],
        cb: dict[str, list[Paper]],
        records: dict[str, Researcher] | None = None,
    ) -> Answer:
        common = _shared(a, b, ca, cb)
        who = f"{a.person.name} and {b.person.name}"
        if not common:
            return self.finish(f"The records show no coauthor shared by {who}.")
        people = records or {}
        parts = []
        start = min(self.query.offset, len(common))
        for rid in common[start : start + MAX_NAMED]:
            person = people.get(rid)
            if person is None:
                continue
            pa, pb = ca[rid][0], cb[rid][0]
            parts.append(self._shared_with(person, pa, pb))
            self.answer.people.append(self.person_json(person, [pa, pb], printed=True))
        more = len(common) - start - MAX_NAMED
        tail = f"; and {more} more" if more > 0 else ""
        if more > 0:
            self.more_from(start + MAX_NAMED)
        head = f"from {start + 1}: " if start else ""
        listed = "; ".join(parts) or "no more"
        return self.finish(f"{who} share {len(common)} coauthor(s) in the records: {head}{listed}{tail}.")

    def compare(
        self,
        a: PersonView,
        b: PersonView,
        topic: str | None,
        themes: Sequence[Sequence[str]] = (),
        where: str = "",
    ) -> Answer:
        where = where or _filters(self.query)
        answer = super().compare(a, b, topic, themes, where)
        if self.query.sort == "citations" and answer.sources:
            return self._compare_citations(a, b, topic)
        na, nb = (len(v.on_topic) if topic else len(v.papers) for v in (a, b))
        if na != nb and answer.sources:
            more = a if na > nb else b
            self.answer.value = more.person.name
            scope = (f" on {topic}" if topic else "") + where
            first = (more.on_topic or more.papers)[0]
            answer.text += (
                f" {more.person.name} has more papers{scope} in the records ({max(na, nb)} vs {min(na, nb)}) "
                f"[{self.cite(first)}]."
            )
        elif na and answer.sources:
            # A tie is a verdict too ("who has more, X or Y?": neither).
            self.answer.value = "tie"
            scope = (f" on {topic}" if topic else "") + where
            first = (a.on_topic or a.papers)[0]
            answer.text += f" It is a tie: {na} papers{scope} each in the records [{self.cite(first)}]."
        return answer

    def _compare_citations(self, a: PersonView, b: PersonView, topic: str | None) -> Answer:
        """ "who has more citations, X or Y": the citations their papers in the records have."""
        totals = []
        for v in (a, b):
            papers = v.on_topic if topic else v.papers
            counted = [p for p in papers if p.citation_count is not None]
            best = max(counted, key=lambda p: p.citation_count or 0, default=None)
            totals.append((sum(p.citation_count or 0 for p in counted), len(papers) - len(counted), best))
        parts = []
        for v, (total, unknown, best) in zip((a, b), totals, strict=True):
            cite = f" [{self.cite(best)}]" if best is not None else ""
            gaps = f" ({unknown} paper(s) without a count)" if unknown else ""
            parts.append(f"{v.person.name} {total}{gaps}{cite}")
        scope = f" on {topic}" if topic else ""
        listed = "; ".join(parts)
        text = f"Citations of their papers{scope} in the records (as the sources count them): {listed}."
        (ta, _, _), (tb, _, _) = totals
        if ta != tb:
            more = a if ta > tb else b
            self.answer.value = more.person.name
            text += f" {more.person.name} has more."
        return self.finish(self.answer.text + " " + text)

    # --- one person: counts and aggregates ------------------------------------------------------

    def count_papers(self, view: PersonView, papers: list[Paper]) -> Answer:
        scope = _scope(self.query)
        self.answer.value = len(papers)
        name = view.person.name
        where = f" {scope}" if scope else ""
        if not papers:
            return self.finish(f"The records hold no paper by {name}{where}.")
        counted = [p.citation_count for p in papers if p.citation_count is not None]
        # "total citations for X": the sum of the counts the records hold, said as theirs.
        total = f" (cited {sum(counted)} times in all)" if len(counted) > 1 else ""
        return self.finish(
            f"{name} has {len(papers)} paper(s){where} in the records{total}; most cited first: "
            f"{self._listing(papers, cites=True)}."
        )

    def count_collaborators(self, view: PersonView, n: int) -> Answer:
        self.answer.value = n
        first = view.papers[:1]
        cite = f" [{self.cite(first[0])}]" if first else ""
        return self.finish(
            f"{view.person.name} has {n} distinct coauthor(s) over {len(view.papers)} paper(s) "
            f"in the records{cite}."
        )

    def papers_per_year(self, view: PersonView, papers: list[Paper]) -> Answer:
        by_year = Counter(p.year for p in papers if p.year)
        if not by_year:
            return self.finish(f"The records hold no dated paper by {view.person.name}.")
        parts = []
        for year in sorted(by_year):
            first = next(p for p in papers if p.year == year)
            parts.append(f"{year}: {by_year[year]} [{self.cite(first)}]")
        self.answer.value = ", ".join(f"{y}: {by_year[y]}" for y in sorted(by_year))
        return self.finish(f"Papers by {view.person.name} per year in the records: {'; '.join(parts)}.")

    def top_venue(self, view: PersonView, papers: list[Paper]) -> Answer:
        if self.query.venues:
            return self._venues_compared(view, papers)
        families = Counter(venue_family(p.venue) for p in papers if venue_family(p.venue))
        if not families:
            return self.finish(f"The records give no venue for {view.person.name}'s papers.")
        ranked = families.most_common()
        best, n = ranked[0]
        tied = [v for v, k in ranked if k == n]
        self.answer.value = " / ".join(str(v) for v in tied)
        examples = [p for p in papers if venue_family(p.venue) == best][:3]
        cites = "".join(f"[{self.cite(p)}]" for p in examples)
        # The venues after the tied first ones, none named twice ("COLING and AAAI: 3 each; then
        # ACL (1), IJCAI (1), …").
        after = ranked[len(tied) :]
        rest = ", ".join(f"{v} ({k})" for v, k in after[:VENUES_AFTER])
        if len(after) > VENUES_AFTER:
            rest += f" and {len(after) - VENUES_AFTER} more"
        venues = " and ".join(map(str, tied))
        each = " each" if len(tied) > 1 else ""
        lead = f"{view.person.name} publishes most at {venues}: {n}{each} of {len(papers)} paper(s)"
        lead += " in the records"
        lead += f" {cites}"
        return self.finish(lead + (f"; then {rest}." if rest else "."))

    def _venues_compared(self, view: PersonView, papers: list[Paper]) -> Answer:
        """Which of the venues asked about ("ACL or NAACL?") has more of a person's papers."""
        name, q = view.person.name, self.query
        at: dict[str, list[Paper]] = {v: [] for v in q.venues}
        folded = {v.casefold(): v for v in q.venues}
        for p in papers:
            family = folded.get((venue_family(p.venue) or "").casefold())
            if family:
                at[family].append(p)
        years = _years_phrase(q)
        where = f" {years}" if years else ""
        if not papers:
            return self.finish(f"The records hold no paper by {name} at {_venue_phrase(q)}{where}.")
        ranked = sorted(q.venues, key=lambda v: -len(at[v]))
        most = len(at[ranked[0]])
        tied = [v for v in ranked if len(at[v]) == most]
        self.answer.value = " / ".join(tied)

        def counted(v: str) -> str:
            newest = sorted(at[v], key=lambda p: -(p.year or 0))[:3]
            cites = "".join(f"[{self.cite(p)}]" for p in newest)
            return f"{v} {len(at[v])}{' ' + cites if cites else ''}"

        counts = "; ".join(counted(v) for v in ranked)
        if len(tied) == len(ranked):
            return self.finish(f"{name} has as many papers at each in the records{where}: {counts}.")
        more = "the most" if len(ranked) > 2 else "more"
        lead = f"{name} has {more} papers at {' and '.join(tied)} in the records{where}"
        return self.finish(f"{lead}: {counts}.")

    def top_year(self, view: PersonView, papers: list[Paper]) -> Answer:
        years = Counter(p.year for p in papers if p.year)
        if not years:
            return self.finish(f"The records give no years for {view.person.name}'s papers.")
        ranked = sorted(years.items(), key=lambda kv: (-kv[1], -kv[0]))
        year, n = ranked[0]
        self.answer.value = str(year)
        examples = [p for p in papers if p.year == year][:3]
        cites = "".join(f"[{self.cite(p)}]" for p in examples)
        rest = ", ".join(f"{y} ({k})" for y, k in ranked[1:4])
        return self.finish(
            f"{view.person.name}'s most productive year in the records is {year}, with {n} paper(s) {cites}"
            + (f"; then {rest}." if rest else ".")
        )

    def papers_list(self, view: PersonView, papers: list[Paper]) -> Answer:
        scope = _scope(self.query)
        q = self.query
        name = view.person.name
        where = f" {scope}" if scope else ""
        if not papers:
            return self.finish(f"The records hold no paper by {name}{where}.")
        if q.sort == "citations":
            counted = [p for p in papers if p.citation_count is not None]
            if not counted:
                # Some sources give no counts (an unknown count is not zero): say so, not rank blindly.
                return self.finish(
                    f"The records hold no citation counts for {name}'s {len(papers)} paper(s){where} "
                    f"(their sources give none), so I cannot say which is most cited. Newest first: "
                    f"{self._listing(sorted(papers, key=lambda p: -(p.year or 0)), page=False)}."
                )
            uncounted, total = len(papers) - len(counted), len(papers)
            papers = counted
            limit = q.limit or MAX_LISTED
            top = papers[:limit]
            if uncounted:
                self.answer.notes.append(
                    f"{uncounted} of {name}'s papers{where} have no citation count in the records; "
                    "they are left out."
                )
            if limit == 1:
                p = top[0]
                self.answer.value = p.title
                count = f", cited {p.citation_count} times" if p.citation_count is not None else ""
                return self.finish(
                    f"{name}'s most cited paper{where} in the records is “{short(p.title)}” "
                    f"({venue_year(p)}{count}) "
                    f"[{self.cite(p)}], of {total} paper(s)."
                )
            if q.limit is None:  # no number asked for: the whole list, a page at a time
                return self.finish(
                    f"{name} has {total} paper(s){where} in the records, most cited first: "
                    f"{self._listing(papers, cites=True)}."
                )
            return self.finish(
                f"{name} has {total} paper(s){where} in the records; the {len(top)} most cited: "
                f"{self._listing(top, cites=True, page=False)}."
            )
        if q.sort == "oldest" and papers[0].year:
            first = [p for p in papers if p.year == papers[0].year]
            self.answer.value = first[0].title
            if q.limit == 1:  # "the oldest one?": one paper, and how many share its year
                tied = f", one of {len(first)} from {papers[0].year}" if len(first) > 1 else ""
                return self.finish(
                    f"{name}'s earliest paper{where} in the records: {self._item(papers[0])}{tied}."
                )
            what = "earliest paper" if len(first) == 1 else f"earliest papers ({papers[0].year})"
            lead = f"{name}'s {what}{where} in the records: {'; '.join(self._item(p) for p in first)}"
            rest = papers[len(first) :]
            if not rest:
                return self.finish(f"{lead}.")
            return self.finish(f"{lead}. After that (oldest first): {self._listing(rest, page=False)}.")
        order = "newest first" if q.sort == "date" or not q.topic else "closest first"
        return self.finish(
            f"{name} has {len(papers)} paper(s){where} in the records ({order}): {self._listing(papers)}."
        )

    def no_topic_papers(self, view: PersonView, topic: str) -> Answer:
        recent = sorted(view.papers, key=lambda p: -(p.year or 0))[:3]
        text = f"I found no paper by {view.person.name} on {topic} in the records."
        if recent:
            text += f" Their latest papers: {'; '.join(self._item(p) for p in recent)}."
        return self.finish(text)

    # --- topics -------------------------------------------------------------------------------

    def no_titled_paper(self, query: Query, nearest: list[Paper]) -> Answer:
        """A title asked for by name that no paper in the records has."""
        text = f"No paper titled “{query.topic}” is in the records{_filters(query)}."
        if nearest:
            text += f" The closest titles: {'; '.join(self._item(p) for p in nearest)}."
        return self.finish(text)

    def nothing_on_topic(self, query: Query, nearest: list[Paper]) -> Answer:
        what = query.topic or query.institution or _venue_phrase(query) or "that"
        scope = _filters(query)
        if nearest and query.op in {"find_papers", "paper_authors"} and described(query.topic):
            # A description words things its paper may not: the best match can be the paper even
            # when it does not pass as "on" the words, so offer the closest without judging them.
            best, rest = self._item(nearest[0]), "; ".join(self._item(p) for p in nearest[1:])
            lead = f"The closest match{scope}, though not a sure one, is {best}."
            return self.finish(f"{lead} Other candidates: {rest}." if rest else lead)
        text = f"Nothing in the records is on {what}{scope}."
        if nearest:
            listed = "; ".join(f"“{short(p.title)}” [{self.cite(p)}]" for p in nearest)
            text += f" The nearest papers, which are not on it: {listed}."
        return self.finish(text)

    def nobody_at(self, query: Query, papers: list[Paper]) -> Answer:
        listed = "; ".join(self._item(p) for p in papers)
        return self.finish(
            f"The records place no author of the papers on {query.topic} at {query.institution}. "
            f"The closest papers: {listed}."
        )

    def experts(self, query: Query, ranked: list[tuple[Researcher, list[Paper]]], total: int) -> Answer:
        what = query.topic or "research"
        scope = _filters(query)
        if not ranked:
            if query.offset:
                return self.finish(f"All {total} researchers with work on {what}{scope} are listed already.")
            return self.finish(f"I found no one in the records working on {what}{scope}.")
        parts = []
        names = Counter(r.name for r, _ in ranked)
        for r, papers in ranked:
            cites = "".join(f"[{self.cite(p)}]" for p in papers[:2])
            counted = f" ({len(papers)})" if len(papers) > 1 else ""
            name = commonly_printed(r, papers) if papers else r.name
            if names[r.name] > 1:
                # Two people the records keep apart under one name: what tells this one apart.
                name = f"{name} ({_apart(r, papers)})"
            parts.append(f"{name}{counted} {cites}")
            self.answer.people.append(self.person_json(r, papers[:2], printed=True, count=len(papers)))
        said = [f"{total} in all"] if total > len(ranked) else []
        if query.offset:
            said = [f"{total} in all", f"from {query.offset + 1}"]
        if any(len(p) > 1 for _, p in ranked):
            said.append(f"their papers {'on it' if query.topic else 'there'} in brackets")
        more = f" ({'; '.join(said)})" if said else ""
        on = f" on {query.topic}" if query.topic else ""
        return self.finish(f"Researchers in the records with work{on}{scope}{more}: {'; '.join(parts)}.")

    def authorship(self, name: str, paper: Paper, place: int | None) -> Answer:
        """Whether someone is among a paper's authors, and where (`place`, from 0), by the records."""
        authors = [a.name for a in paper.authors]
        listed = join_names(authors[:MAX_NAMED]) + (" and others" if len(authors) > MAX_NAMED else "")
        self.answer.value = place is not None
        if place is None:
            return self.finish(f"No: {name} is not among the authors of {self._item(paper)}: {listed}.")
        return self.finish(
            f"Yes: {name} is author {place + 1} of {len(authors)} on {self._item(paper)}: {listed}."
        )

    def citations_of(self, paper: Paper) -> Answer:
        """How often one named paper is cited, by the records."""
        if paper.citation_count is None:
            return self.finish(f"The records hold no citation count for {self._item(paper)}.")
        self.answer.value = paper.citation_count
        return self.finish(f"{self._item(paper)} is cited {paper.citation_count} times, by the records.")

    def search_results(
        self,
        query: Query,
        papers: list[Paper],
        on: int | None = None,
        *,
        standout: bool = False,
        named: bool = False,
    ) -> Answer:
        """A paper search's results; with `on`, only the first `on` are on the topic, the rest near it;
        `standout`: the first is well ahead of the rest (a description's paper); `named`: the topic
        is the first paper's name or title ("what's the AmbiPun paper about"), said with its gist."""
        if query.sort == "citations":
            counted = [p for p in papers if p.citation_count is not None]
            if not counted:
                return self.finish(
                    f"The records hold no citation counts for the papers on {query.topic}{_filters(query)}, "
                    f"so I cannot rank them by citations. The closest: {self._listing(papers, page=False)}."
                )
            papers = counted
            if query.limit == 1:
                self.answer.value = papers[0].title
            return self.finish(
                f"Most cited papers on {query.topic}{_filters(query)}: "
                f"{self._listing(papers, cites=True, page=False)}."
            )
        on = len(papers) if on is None else on
        best, rest, near = papers[0], papers[1:on], papers[max(on, 1) :]
        if named:
            self.answer.value = best.title
            gist = _gist(best.abstract)
            # The gist ends its own sentence inside the quote.
            s = (
                f"{self._item(best, labelled=True)}: “{gist}”"
                if gist
                else f"{self._item(best, labelled=True)}."
            )
            if rest:
                s += f" Also on {query.topic}: {'; '.join(self._item(p) for p in rest[:3])}."
            return self.finish(s)
        among = f" among the papers{_filters(query)}" if _kind_phrase(query) else ""
        s = f"The closest match{among} is {self._item(best)}."
        if standout and described(query.topic):
            # The rest score well below it: listed for browsing, not as rivals.
            if len(papers) > 1:
                s += f" Less close: {'; '.join(self._item(p) for p in papers[1:])}."
            return self.finish(s)
        if rest and described(query.topic):
            # Passing as "on" a long description says little (its words are everyone's words).
            s += f" Other candidates: {'; '.join(self._item(p) for p in rest)}."
        elif rest:
            s += f" Also on it: {'; '.join(self._item(p) for p in rest)}."
        if near:
            s += f" Nearby, not on it as such: {'; '.join(self._item(p) for p in near)}."
        return self.finish(s)

    def newest(self, query: Query, papers: list[Paper], total: int) -> Answer:
        """The newest papers of a venue or years (no topic)."""
        scope = _filters(query) or " in the records"
        if not papers:
            return self.finish(f"The records hold no paper{scope}.")
        return self.finish(f"The newest of the {total} paper(s){scope}: {self._listing(papers, page=False)}.")

    def further_results(self, query: Query, papers: list[Paper], on: int) -> Answer:
        """A later page of a paper search: the next papers on the topic, then any only near it."""
        if not papers:
            return self.finish(
                f"No more papers on {query.topic}{_filters(query)} after the first {query.offset}."
            )
        first, last = query.offset + 1, query.offset + len(papers)
        s = f"Papers {first}–{last} on {query.topic}{_filters(query)}: "
        s += "; ".join(self._item(p) for p in papers[:on]) if on else "none further on it as such"
        if papers[on:]:
            s += f". Nearby, not on it as such: {'; '.join(self._item(p) for p in papers[on:])}"
        return self.finish(s + ".")

    def more_cited(self, query: Query, papers: list[Paper]) -> Answer:
        """A later page of a ranking by citations ("more" after "the most cited paper on X")."""
        on = f" on {query.topic}" if query.topic else ""
        if not papers:
            return self.finish(f"No more cited papers{on}{_filters(query)} after the first {query.offset}.")
        first, last = query.offset + 1, query.offset + len(papers)
        return self.finish(
            f"The next most cited papers{on}{_filters(query)} ({first}–{last}): "
            f"{'; '.join(self._item(p, cites=True) for p in papers)}."
        )

    def newest_on_topic(self, query: Query, papers: list[Paper]) -> Answer:
        """The newest papers on a topic ("recent work on X"), newest first."""
        return self.finish(
            f"The newest papers on {query.topic}{_filters(query)}: {self._listing(papers, page=False)}."
        )

    def most_cited(self, query: Query, papers: list[Paper], total: int, uncounted: int) -> Answer:
        """The most cited papers of a venue, years or the whole store (no topic)."""
        scope = _filters(query) or " in the records"
        if not total:
            return self.finish(f"The records hold no paper{scope}.")
        if not papers:
            return self.finish(
                f"The records hold no citation counts for the {total} paper(s){scope} (their sources give "
                "none), so I cannot say which are most cited."
            )
        unknown = f" ({uncounted} of the {total} have no citation count in the records)" if uncounted else ""
        if len(papers) == 1 or query.limit == 1:
            p = papers[0]
            self.answer.value = p.title
            return self.finish(
                f"The most cited paper{scope} is “{short(p.title)}” ({venue_year(p)}, "
                f"{p.citation_count} citations) [{self.cite(p)}]{unknown}."
            )
        return self.finish(
            f"Most cited papers{scope}{unknown}: {self._listing(papers, cites=True, page=False)}."
        )

    def most_published(
        self,
        query: Query,
        top: list[tuple[Researcher, int, list[Paper]]],
        tied: int = 0,
        at_least: bool = False,
    ) -> Answer:
        """Who has the most papers within a venue or years, or in the whole store; `tied` more have
        as many as the last one listed (`at_least`: that many were counted, there may be more)."""
        scope = _filters(query) or " in the records"
        if not top:
            return self.finish(f"The records hold no paper{scope}.")
        parts = []
        for r, n, papers in top:
            cites = "".join(f"[{self.cite(p)}]" for p in papers)
            parts.append(f"{r.name} ({n}) {cites}".rstrip())
            self.answer.people.append(self.person_json(r, papers))
        start = f" from {query.offset + 1}" if query.offset else ""
        ties = ""
        if tied:
            ties = f"; {'at least ' if at_least else ''}{tied} more have {top[-1][1]} paper(s) each"
        return self.finish(
            f"Most papers{scope}{start} (papers in brackets; newest cited): {'; '.join(parts)}{ties}."
        )

    def paper_authors(
        self, query: Query, paper: Paper, others: list[Paper], *, loose: bool = False
    ) -> Answer:
        """Who wrote the paper best matching a title or description, as the paper lists them;
        `loose`: nothing passed as on the description, so the closest is offered as a guess."""
        names = [a.name for a in paper.authors]
        self.answer.value = None if loose else paper.title
        if not names:
            text = (
                f"The records list no authors for “{paper.title}” ({venue_year(paper)}) [{self.cite(paper)}]."
            )
        else:
            listed = _authors_placed(paper)
            if not paper.authors_complete:
                listed += f" and {paper.authors_omitted or 'more'} more not listed in the records"
            text = f"“{paper.title}” ({venue_year(paper)}) [{self.cite(paper)}] is by {listed}."
        if loose:
            text = f"The closest match, though not a sure one: {text}"
        if others and not set(_plain(query.topic or "").split()) <= set(_plain(paper.title).split()):
            # Found from a description, not its title: the runners-up may be the one meant.
            text += f" If you meant another paper: {'; '.join(self._item(p) for p in others)}."
        return self.finish(text)

    def similar(self, paper: Paper, papers: list[Paper]) -> Answer:
        """Papers like one paper; the paper itself is source [1]."""
        lead = f"Papers closest to {self._item(paper)}"
        if not papers:
            return self.finish(f"{lead}: none; it is the only paper in the records.")
        return self.finish(f"{lead}: {'; '.join(self._item(p) for p in papers)}.")

    def count_topic(self, query: Query, n: int, examples: list[Paper]) -> Answer:
        self.answer.value = n
        if not n:
            return self.finish(f"The records hold no paper on {query.topic}{_filters(query)}.")
        return self.finish(
            f"{n} paper(s) in the records are on {query.topic}{_filters(query)}; "
            f"the closest: {self._listing(examples, page=False)}."
        )

    def partner_places(self, view: PersonView, places: list[tuple[str, list[Paper]]]) -> Answer:
        """Where a person's coauthors were, most shared papers first."""
        who, scope = view.person.name, _scope(self.query)
        scope = f" {scope}" if scope else ""
        if not places:
            self.answer.value = None
            return self.finish(
                f"The papers of {who}{scope} in the records print no affiliation for a coauthor."
            )
        self.answer.value = places[0][0]
        shown = [
            f"{name} ({len(papers)}) {''.join(f'[{self.cite(p)}]' for p in papers[:2])}"
            for name, papers in places[:PLACES_LISTED]
        ]
        return self.finish(
            f"{who}'s coauthors{scope} were most often at (papers of theirs in brackets): {'; '.join(shown)}."
        )

    def tally(self, query: Query, ranked: list[tuple[str, int]], total: int, examples: list[Paper]) -> Answer:
        """The venues or years with the most papers (on a topic, or of all), most first."""
        papers = f"papers on {query.topic}{_filters(query)}" if query.topic else f"papers{_filters(query)}"
        kind = {"university": "universities", "company": "companies"}.get(query.place_kind or "")
        if not ranked:
            self.answer.value = None
            if not total:
                return self.finish(f"The records hold no {papers}.")
            field = {"top_venue": "venue", "top_year": "year"}.get(query.op, kind or "affiliation")
            return self.finish(f"The records give no {field} for the {total} {papers}.")
        n = ranked[0][1]
        tied = [k for k, m in ranked if m == n]
        self.answer.value = " / ".join(tied)
        cites = "".join(f"[{self.cite(p)}]" for p in examples)
        rest = ", ".join(f"{k} ({m})" for k, m in ranked[len(tied) : len(tied) + 4])
        verb, each = ("have", " each") if len(tied) > 1 else ("has", "")
        lead = f"{' and '.join(tied)} {verb} the most {papers} in the records: {n} of {total}{each} {cites}"
        if kind:
            # Told by the words of their names (How it works): say which were counted.
            lead = f"Of {kind}, {lead}"
        return self.finish(lead + (f"; then {rest}." if rest else "."))

    def topics_compared(self, query: Query, counted: list[tuple[str, int, list[Paper]]]) -> Answer:
        """How many papers each topic asked about has, most first."""
        where = _filters(query)
        if not any(n for _, n, _ in counted):
            self.answer.value = 0
            names = " or ".join(t for t, _, _ in counted)
            return self.finish(f"The records hold no paper on {names}{where}.")
        _, tied, parts = self._most_first(counted)
        if len(tied) > 1:
            lead = f"As many papers on {' and '.join(tied)}{where} in the records"
        else:
            lead = f"More papers on {tied[0]}{where} in the records"
        return self.finish(f"{lead} — {parts}.")

    def _most_first(
        self, counted: list[tuple[str, int, list[Paper]]]
    ) -> tuple[list[tuple[str, int, list[Paper]]], list[str], str]:
        """Counted things most papers first, those tied for the most (the answer's value), and each
        said with its count and cited examples ("IJCAI: 40 paper(s) [1][2]; AAAI: 9 paper(s) [3]")."""
        ranked = sorted(counted, key=lambda t: -t[1])
        tied = [name for name, n, _ in ranked if n == ranked[0][1]]
        self.answer.value = " / ".join(tied)
        parts = []
        for name, n, papers in ranked:
            cites = "".join(f"[{self.cite(p)}]" for p in papers)
            parts.append(f"{name}: {n} paper(s){' ' + cites if cites else ''}")
        return ranked, tied, "; ".join(parts)

    def fields_compared(self, query: Query, counted: list[tuple[str, int, list[Paper]]]) -> Answer:
        """How many papers each place, venue or year compared has, most first."""
        by = query.compare_by
        # What both sides share, said once: the topic and the fields not compared.
        shared = query.with_(
            institution=None if by == "institution" else query.institution,
            venue=None if by == "venue" else query.venue,
            venues=() if by == "venue" else query.venues,
            year_from=None if by == "year" else query.year_from,
            year_to=None if by == "year" else query.year_to,
        )
        what = f"papers on {query.topic}" if query.topic else "papers"
        where = _filters(shared)

        def side(value: str) -> str:
            return f"in {value}" if by == "year" else f"at {value}"

        if not any(n for _, n, _ in counted):
            self.answer.value = 0
            sides = " or ".join(side(v) for v, _, _ in counted)
            return self.finish(f"The records hold no {what}{where} {sides}.")
        ranked, tied, parts = self._most_first(counted)
        if len(tied) == len(ranked):
            lead = f"As many {what}{where} {' as '.join(side(v) for v in tied)} in the records"
        else:
            lead = f"More {what}{where} {side(tied[0])}" + (
                f" (tied with {', '.join(tied[1:])})" if len(tied) > 1 else ""
            )
            lead += f" than {side(ranked[-1][0])} in the records"
        return self.finish(f"{lead} — {parts}.")

    def count_store(
        self, query: Query, n: int, coverage: list[VenueHeld] | None = None, papers: Sequence[Paper] = ()
    ) -> Answer:
        self.answer.value = n
        text = f"The records hold {n} paper(s){_filters(query)}."
        if papers:
            first = "most cited first" if n > len(papers) else "most cited first, all of them"
            text = f"{text[:-1]}, {first}: {self._listing(list(papers), cites=True, page=False)}."
        wanted = query.venue_families
        if coverage and n:
            held = [v for v in coverage if v[0].casefold() in wanted]
            text = f"The records hold {n} paper(s){_filters(query)}: {_venues_held(held)}."
        elif coverage:
            held = [v for v in coverage if not wanted or v[0].casefold() in wanted] or coverage
            text += f" They hold {_venues_held(held)}."
        return self.finish(text)

    def coverage(self, venues: list[VenueHeld], papers: int, researchers: int, cited: int) -> Answer:
        """What the records hold; asked about the bot or its data."""
        self.answer.value = papers
        # Venues with a few papers each (a profile page's "arXiv", "EMNLP 2025 (1)") are summed up
        # after the paper lists' venues, not listed as if the records covered them.
        major = [v for v in venues if v[2] >= COVERAGE_MINOR_SHARE * papers] or venues
        minor = [v for v in venues if v not in major]
        held = _venues_held(major)
        if minor:
            names = ", ".join(v[0] for v in minor[:COVERAGE_MINOR_NAMED])
            more = ", …" if len(minor) > COVERAGE_MINOR_NAMED else ""
            held += f", and {sum(v[2] for v in minor)} paper(s) from other sources ({names}{more})"
        return self.finish(
            f"I answer from the records this server's bot was given, not the web: {papers} paper(s) by "
            f"{researchers} researcher(s), {held}. Citation counts are the ones the source "
            f"records give (a paper list's Google Scholar count, say) as of their import; {cited} of the "
            f"{papers} papers have one. New papers arrive when the records are ingested again or through "
            "digests; ask me about researchers, papers, topics, venues and years in them."
        )

    def themes(self, query: Query, papers: list[Paper], vectors: np.ndarray) -> Answer:
        """Group the papers on a topic into a few themes; one cited line per theme."""
        groups = _cluster(vectors, _theme_count(len(papers)))
        # "any survey on X?", "what's the state of the art in X": the papers that survey it are the
        # place to start, so they come first and are cited first.
        surveys = [p for p in papers if _SURVEY_TITLE.search(p.title)][:SURVEYS_NAMED]
        opening = ""
        if surveys:
            listed = "; ".join(f"“{short(p.title)}” ({venue_year(p)}) [{self.cite(p)}]" for p in surveys)
            opening = f"{'A survey' if len(surveys) == 1 else 'Surveys'} on {query.topic}: {listed}."
        self.cite(papers[0])  # the closest next, as the lead names it
        lines = []
        for members in groups:
            group = [papers[i] for i in members]
            if query.sort == "date":
                group.sort(key=lambda p: -(p.year or 0))
            label = _label_theme(group, papers, query.topic or "")
            shown = group[:3]
            items = "; ".join(
                f"“{short(p.title)}”"
                + (f" ({p.year})" if p.year and query.sort == "date" else "")
                + f" [{self.cite(p)}]"
                for p in shown
            )
            lines.append(f"{label} ({len(group)} paper(s)): {items}.")
        years = sorted(p.year for p in papers if p.year)
        span = f", {years[0]}–{years[-1]}" if len(years) > 1 and years[0] != years[-1] else ""
        lead = (
            f"{len(papers)} paper(s) in the records are on {query.topic}{span}, the closest being "
            f"“{short(papers[0].title)}” [{self.cite(papers[0])}]; they fall into {len(groups)} theme(s)."
        )
        if query.sort == "date":
            newest = max(papers, key=lambda p: p.year or 0)
            lead += f" The newest is “{short(newest.title)}” ({newest.year}) [{self.cite(newest)}]."
        return self.finish(" ".join([t for t in (opening, lead, *lines) if t]))


#: A title that says the paper surveys its field, and how many such papers an overview names.
_SURVEY_TITLE = re.compile(r"\b(?:survey|literature\s+review|systematic\s+review|tutorial|primer)\b", re.I)
SURVEYS_NAMED = 3
#: Authors a paper may have for the answer to say where each one was.
PLACED_AUTHORS_MAX = 8


def _authors_placed(paper: Paper) -> str:
    """A paper's authors in order, each run of them at one place followed by where the paper prints
    them ("A and B (University of Waterloo); C (Google)"); names alone when it prints no place or has
    too many authors for the places to read well."""
    names = [a.name for a in paper.authors]
    places = [a.affiliations[0] if a.affiliations else "" for a in paper.authors]
    if len(names) > PLACED_AUTHORS_MAX or not any(places):
        return join_names(names)
    if len(set(places)) == 1:
        return f"{join_names(names)} (all at {places[0]})" if len(names) > 1 else f"{names[0]} ({places[0]})"
    runs: list[tuple[list[str], str]] = []
    for name, place in zip(names, places, strict=True):
        if runs and runs[-1][1] == place:
            runs[-1][0].append(name)
        else:
            runs.append(([name], place))
    return "; ".join(f"{join_names(run)} ({place})" if place else join_names(run) for run, place in runs)


def _why_this_one(query: Query) -> str:
    """What made the engine pick one namesake, in words."""
    if query.topic:
        return f"the one with papers on {query.topic}"
    if query.institution:
        return f"the one at {query.institution}"
    if query.narrowed:
        return f"the one with the most papers{_filters(query)}"
    if len(query.people) > 1:
        return "the one the records connect to the other person"
    return "the one with by far the most papers"


def _years_phrase(query: Query) -> str | None:
    """ "in 2022", "in 2020–2022", "since 2021", "up to 2021", or None without a year range."""
    lo, hi = query.years
    if lo is not None and lo == hi:
        return f"in {lo}"
    if lo is not None and hi is not None:
        return f"in {lo}–{hi}"
    if lo is not None:
        return f"since {lo}"
    if hi is not None:
        return f"up to {hi}"
    return None


def _venues_held(venues: list[VenueHeld]) -> str:
    """ "ACL 2021–2022 (1,234 papers), COLING 2020, 2022, 2025 (…)": the years each venue has."""
    return ", ".join(f"{name}{_years_list(years)} ({n} papers)" for name, years, n in venues)


def _years_list(years: Sequence[int]) -> str:
    """ " 2021–2024", " 2020, 2022, 2025", " 2019–2021, 2024", or "" with none: runs of years joined."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return (" " + ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)) if runs else ""


def _apart(person: Researcher, papers: Sequence[Paper]) -> str:
    """A word on which of several namesakes this is: an affiliation, else a coauthor on a cited paper."""
    if person.affiliations:
        return person.affiliations[0]
    others = [a.name for p in papers[:1] for a in p.authors if a.name != person.name]
    return f"with {others[0]}" if others else "another person"


#: Words with which an abstract says what its paper does, after a sentence or two of background.
_CONTRIBUTION = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study)|in\s+this\s+(?:paper|work)|our\s+(?:method|approach|model|framework|work))\s+"
    r"(?:\w+\s+)?(?:propose|present|introduce|develop|design|show|study|investigate|explore|address|describe|"
    r"release|build|construct|create|find|demonstrate|analy[sz]e|examine|tackle|focus|argue|offer|report|"
    r"contribute|formulate)\w*",
    re.I,
)


def _gist(abstract: str, limit: int = GIST_CHARS) -> str:
    """The abstract's sentence saying what the paper does ("We propose …"), else its first
    sentence (cut at a word near `limit` characters): first sentences are often background."""
    text = " ".join(abstract.split())
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if text else [""]
    first = next((x for x in sentences[:4] if _CONTRIBUTION.search(x)), sentences[0])
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _venue_phrase(query: Query) -> str | None:
    """ "ACL", "ACL or NAACL", or None."""
    named = query.venues or ((query.venue,) if query.venue else ())
    if len(named) > 2:
        return f"{', '.join(named[:-1])} or {named[-1]}"
    return " or ".join(named) or None


def _plain(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _filters(query: Query) -> str:
    """The query's institution, venue and years as a phrase to append (" at ACL in 2022")."""
    bits = []
    if query.institution:
        bits.append(f" at {query.institution}")
    venue = _venue_phrase(query)
    if venue:
        bits.append(f" at {venue}" if not query.institution else f" ({venue})")
    if query.venues_out:
        bits.append(f" outside {join_names(list(query.venues_out))}")
    years = _years_phrase(query)
    if years:
        bits.append(f" {years}")
    return "".join(bits) + _kind_phrase(query)


def _scope(query: Query) -> str:
    """What limits a person's papers in this query ("at ACL in 2022 on dialogue"), or ""."""
    years = _years_phrase(query)
    bits = [
        f"while at {query.institution}" if query.institution and query.op in {"papers_by", "count"} else None,
        f"at {_venue_phrase(query)}" if query.venue else None,
        f"outside {join_names(list(query.venues_out))}" if query.venues_out else None,
        years,
        f"on {query.topic}" if query.topic else None,
        _kind_phrase(query).strip() or None,
    ]
    return " ".join(b for b in bits if b)


def _kind_phrase(query: Query) -> str:
    """The query's labels, authorship role and people left out, as a phrase to append
    (" (Findings)", " as first author", " without Pengfei Liu"), or ""."""
    bits = []
    shown = {label_text(x).casefold(): label_text(x) for x in query.labels if not x.startswith("award")}
    if shown:
        bits.append(f" ({' or '.join(shown.values())})")
    awards = [label_text(x) for x in query.labels if x.startswith("award")]
    if awards:
        named = [a for a in awards if a != "award"]
        bits.append(
            f" with the {' or '.join(named)} award"
            if named and len(named) == len(awards)
            else " with an award"
        )
    if query.role:
        bits.append(
            {"first": " as first author", "last": " as last author", "solo": " written alone"}[query.role]
        )
    if query.people_out and query.op not in PEOPLE_LISTS:
        bits.append(f" without {join_names(list(query.people_out))}")
    return "".join(bits)


def _theme_count(n: int) -> int:
    return 1 if n < 4 else min(4, max(2, n // 5))


def _cluster(vectors: np.ndarray, k: int, iterations: int = 10) -> list[list[int]]:
    """k-means on unit vectors with farthest-first seeds (deterministic); groups largest first."""
    n = len(vectors)
    if k <= 1 or n <= k:
        return [list(range(n))]
    x = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    centres = [x[0]]
    for _ in range(1, k):
        sims = np.max(np.stack([x @ c for c in centres]), axis=0)
        centres.append(x[int(np.argmin(sims))])
    c = np.stack(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iterations):
        labels = np.argmax(x @ c.T, axis=1)
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
                c[j] /= np.linalg.norm(c[j]) + 1e-9
    groups = [[int(i) for i in np.flatnonzero(labels == j)] for j in range(k)]
    return sorted((g for g in groups if g), key=len, reverse=True)


_STOP = words(
    """
    a an the and or of in on for with to from by via using towards toward into over under based is
    are we our its their this that these those as at be can new novel approach approaches method
    methods model models learning study analysis framework task tasks towards large language llm
    llms neural network networks data paper improving improved effective efficient
    """
)


def research_themes(
    papers: Sequence[Paper], papers_using: Callable[[str], int], total: int, limit: int = 4
) -> list[tuple[str, list[Paper]]]:
    """What a person's titles keep coming back to: phrases of one or two words in at least two of
    their titles, rare in the store's papers first (`papers_using(word)`: how many papers use a
    word, of `total`), each with the papers that use it. A phrase sharing a word with one chosen
    before is not listed ("summarization" after "dialogue summarization")."""

    def fold_plural(word: str) -> str:
        return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word

    found: dict[str, list[Paper]] = {}
    spelt: dict[str, Counter[str]] = {}
    for p in papers:
        title = re.findall(r"[a-z][a-z0-9-]*", p.title.lower())
        seen: set[str] = set()
        for i, w in enumerate(title):
            grams = [[w]] + ([title[i : i + 2]] if i + 1 < len(title) else [])
            for gram in grams:
                if any(x in _TITLE_STOP or len(x) < 3 for x in gram):
                    continue
                key = " ".join(fold_plural(x) for x in gram)
                spelt.setdefault(key, Counter())[" ".join(gram)] += 1
                if key not in seen:
                    seen.add(key)
                    found.setdefault(key, []).append(p)

    counts: dict[str, int] = {}  # each word is looked up in the index once

    def using(part: str) -> int:
        if part not in counts:
            counts[part] = papers_using(part)
        return counts[part]

    def used(word: str) -> int:
        # A hyphenated word is used at most as often as its rarest part ("few-shot").
        return min((using(part) for part in word.split("-") if part), default=0)

    def rarity(key: str) -> float:
        return float(np.mean([np.log((total + 1) / (used(w) + 1)) for w in key.split()]))

    def specific(key: str) -> bool:
        # A word a twentieth of all papers use ("text", "models") names no topic of anyone's; two
        # commoner words can ("question answering", "long-form"), unless a fifth of papers use both.
        parts = [part for w in key.split() for part in w.split("-") if part]
        share = THEME_MAX_SHARE if len(parts) == 1 else THEME_MAX_SHARE_PHRASE
        return min(using(part) for part in parts) <= share * total

    recurring = [k for k, ps in found.items() if len(ps) >= 2 and specific(k)]
    # A phrase says more than either of its words ("chart reasoning" over "chart").
    ranked = sorted(
        recurring, key=lambda k: (-len(found[k]) * rarity(k) * len(k.split()), -len(k.split()), k)
    )
    chosen: list[str] = []
    for key in ranked:
        if any(set(key.split()) & set(c.split()) for c in chosen):
            continue
        chosen.append(key)
        if len(chosen) == limit:
            break
    return [(spelt[k].most_common(1)[0][0], found[k]) for k in chosen]


#: Words of titles that say nothing of a topic ("Land Your Distance", "Towards Better …").
_TITLE_STOP = (
    _STOP
    | frozenset(STOPWORDS_EN_PLUS)
    | words(
        """
        towards beyond without across within better best simple generalist enhancing evaluating
        evaluation benchmark benchmarking dataset datasets survey case investigating understanding
        exploring revisiting rethinking leveraging via good bad make makes making really does
        prospects challenges opportunities perspectives perspective lessons insights review overview
        introduction issues matters matter need needs
        """
    )
)


def _shared(
    a: PersonView, b: PersonView, ca: dict[str, list[Paper]], cb: dict[str, list[Paper]]
) -> list[str]:
    """The coauthors two people share (neither of them), those with the most papers with them first."""
    common = [rid for rid in ca if rid in cb and rid not in {a.person.id, b.person.id}]
    return sorted(common, key=lambda r: -(len(ca[r]) + len(cb[r])))


#: Two people's coauthors (researcher id → the papers shared) and the records of those they share.
Linked = tuple[dict[str, list[Paper]], dict[str, list[Paper]], dict[str, Researcher]]


def _label_theme(group: list[Paper], everything: list[Paper], topic: str) -> str:
    """The words that set a group's titles apart from the other papers on the topic."""
    topic_words = set(re.findall(r"[a-z][a-z0-9-]+", topic.lower()))

    def words(p: Paper) -> set[str]:
        return {w for w in re.findall(r"[a-z][a-z0-9-]+", p.title.lower()) if w not in _STOP and len(w) > 2}

    inside = Counter(w for p in group for w in words(p))
    overall = Counter(w for p in everything for w in words(p))
    scored = sorted(
        (
            w
            for w in inside
            if (w not in topic_words and inside[w] >= 2) or (len(group) < 3 and w not in topic_words)
        ),
        key=lambda w: (-(inside[w] / len(group)) * np.log((len(everything) + 1) / overall[w]), w),
    )
    terms = scored[:3]
    return "Theme: " + (", ".join(terms) if terms else "other work")


__all__ = ["FactsComposer", "join_names"]
