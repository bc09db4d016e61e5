"""The offline composer: short answers whose every sentence cites retrieved papers as [n].

It only ever names people and papers handed to it, and says where records are incomplete.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from scholarbot.answers.types import Answer, Source, join_names, short, venue_year
from scholarbot.records import Paper, Researcher, fold, name_key
from scholarbot.search.directory import person_name_keys

if TYPE_CHECKING:
    from scholarbot.answers.engine import PersonView
    from scholarbot.search.directory import NameMatch

#: People named in one answer at most.
MAX_PEOPLE = 12


class Composer:
    """Builds one answer; `cite` numbers each paper once, in order of first mention."""

    def __init__(self, intent: str) -> None:
        self.answer = Answer(intent=intent)
        self._n: dict[str, int] = {}

    def more_from(self, offset: int) -> None:
        """A list was cut and continues at `offset` (composers that know their query record it)."""

    def cite(self, paper: Paper) -> int:
        if paper.id not in self._n:
            n = len(self._n) + 1
            self._n[paper.id] = n
            self.answer.sources.append(Source.of(n, paper))
        return self._n[paper.id]

    def finish(self, text: str) -> Answer:
        self.answer.text = text
        return self.answer

    def person_json(
        self, person: Researcher, papers: list[Paper], printed: bool = False, count: int | None = None
    ) -> dict[str, Any]:
        """A named person and the papers cited for them; `printed` names them as the first of those
        papers prints them (how a list of people beside their citations names each one); `count`,
        in a ranking, how many papers ranked them (more than are cited)."""
        name = commonly_printed(person, papers) if printed and papers else person.name
        out: dict[str, Any] = {"name": name, "id": person.id, "papers": [self.cite(p) for p in papers]}
        if count is not None:
            out["count"] = count
        return out

    # --- people -------------------------------------------------------------------------------

    def collaborators(
        self,
        views: list[PersonView],
        topic: str | None,
        coauthors_of: Callable[[Paper, Researcher], list[Researcher]],
        offset: int = 0,
        narrowed: bool = False,
    ) -> Answer:
        """Each person's coauthors (on `topic`), most shared papers first, MAX_PEOPLE from `offset`;
        `narrowed` when `coauthors_of` keeps only some of them (at a place, not someone left out)."""
        sentences: list[str] = []
        multi = len(views) > 1
        if multi:
            sentences.append(
                namesakes(len(views), *(v.person.name for v in views))
                + f"; {len(views)} of them have work on {topic}, "
                "listed separately."
            )
        for v in views:
            papers = v.on_topic if topic else v.papers
            shared: dict[str, list[Paper]] = {}
            lonely: list[Paper] = []
            people: dict[str, Researcher] = {}
            for p in papers:
                co = coauthors_of(p, v.person)
                if not co and not narrowed:
                    lonely.append(p)
                for r in co:
                    shared.setdefault(r.id, []).append(p)
                    people[r.id] = r
            # Weight by squared relevance of the shared papers so one paper squarely on the topic
            # outranks several that only touch it; without a topic, count shared papers. Ties keep
            # the order people first appear in author lists.
            first_seen = {rid: i for i, rid in enumerate(shared)}

            def weight(rid: str, v: PersonView = v, shared: dict[str, list[Paper]] = shared) -> float:
                return sum(v.relevance.get(p.id, 1.0) ** 2 for p in shared[rid])

            everyone = sorted(shared, key=lambda rid: (-weight(rid), first_seen[rid]))
            start = 0 if multi else min(offset, len(everyone))
            ranked = everyone[start : start + MAX_PEOPLE]
            if not multi and len(everyone) > start + len(ranked):
                self.more_from(start + len(ranked))
            who = _label(v, multi)
            scope = (f" on {topic}" if topic else "") + self.limits()
            if ranked:
                # How many papers each shares, when that tells them apart ("who does X work with most").
                counted = any(len(shared[rid]) > 1 for rid in ranked)
                # Neighbours in the ranking who share their example paper are named together; the
                # order stays most shared first ("A (5), B (4), e.g. on X; C (4), e.g. on Y").
                groups: list[tuple[Paper, list[str]]] = []
                for rid in ranked:
                    p = shared[rid][0]
                    name = commonly_printed(people[rid], shared[rid])
                    label = f"{name} ({len(shared[rid])})" if counted else name
                    if groups and groups[-1][0].id == p.id:
                        groups[-1][1].append(label)
                    else:
                        groups.append((p, [label]))
                # The paper cited is one each shares, not all they share: "e.g." says so.
                parts = [
                    f"{join_names(names)}, e.g. on “{short(p.title)}” [{self.cite(p)}]" for p, names in groups
                ]
                # The total is the real count; the list is cut to the people with most shared papers.
                if start:
                    shown = f"from {start + 1} to {start + len(ranked)} by shared papers"
                elif len(shared) > len(ranked):
                    shown = f"the {len(ranked)} with the most shared papers"
                else:
                    shown = "they are"
                if counted:
                    shown += " (papers shared in brackets)"
                sentences.append(
                    f"{who} has {len(shared)} coauthor(s){scope} in the records; {shown}: {'; '.join(parts)}."
                )
                for rid in ranked:
                    self.answer.people.append(self.person_json(people[rid], shared[rid], printed=True))
            elif start:
                sentences.append(
                    f"{who} has {len(shared)} coauthor(s){scope} in the records; all are listed."
                )
            elif narrowed:
                sentences.append(f"No: none of {who}'s coauthors{scope} is in the records.")
            else:
                sentences.append(f"The records name no coauthors of {who}{scope}.")
            truncated = [
                p for p in papers if p not in lonely and (p.authors_omitted or not p.authors_complete)
            ]
            for p in truncated[:3]:
                n = self.cite(p)
                gap = " at its source"
                if p.authors_omitted:
                    gap = f": its source leaves {p.authors_omitted} more unnamed"
                sentences.append(f"The author list of [{n}] is incomplete{gap} [{n}].")
            if lonely:
                cited = ", ".join(f"“{short(p.title)}” [{self.cite(p)}]" for p in lonely[:4])
                one = len(lonely) == 1
                if topic:
                    tail = f"{'is' if one else 'are'} also{scope}, but the records do not list the coauthors."
                else:
                    tail = f"{'has' if one else 'have'} no coauthors listed in the records."
                sentences.append(f"{cited} {tail}")
        return self.finish(" ".join(sentences))

    def no_topic_work(self, query: str, views: list[PersonView], topic: str) -> Answer:
        name = views[0].person.name
        recent = [p for v in views for p in v.papers[:3]]
        listed = "; ".join(f"“{short(p.title)}” [{self.cite(p)}]" for p in recent[:4])
        text = f"I found no paper by {name} on {topic} in the records, so I cannot name collaborators on it."
        if listed:
            text += f" Their papers in the records include {listed}."
        return self.finish(text)

    def profile(
        self,
        view: PersonView,
        collaborators: list[tuple[Researcher, int]],
        others: list[PersonView] | None = None,
        themes: Sequence[tuple[str, Sequence[Paper]]] = (),
    ) -> Answer:
        r = view.person
        papers = view.papers
        s: list[str] = []
        if others:
            s.append(
                namesakes(len(others) + 1, r.name, *(o.person.name for o in others))
                + f"; this is the one with the most papers [{self.cite(papers[0])}]."
                if papers
                else namesakes(len(others) + 1, r.name, *(o.person.name for o in others)) + "."
            )
        if papers:
            years = sorted({p.year for p in papers if p.year})
            span = f" ({years[0]}–{years[-1]})" if len(years) > 1 else (f" ({years[0]})" if years else "")
            aff = f", affiliated with {r.affiliations[0]}," if r.affiliations else ""
            moved = _latest_affiliation(r, papers)
            if moved is not None and r.affiliations:
                # "Where is X now?": the place most used is not always the current one.
                place, paper = moved
                aff = (
                    f", affiliated with {r.affiliations[0]} and most recently with {place}"
                    f" ({venue_year(paper)} [{self.cite(paper)}]),"
                )
            s.append(
                f"{r.name}{aff} has {len(papers)} paper(s) in the records{span} [{self.cite(papers[0])}]."
            )
            if themes:
                # "What does X work on?": what their titles keep coming back to, each cited.
                listed = ", ".join(
                    f"{phrase} {''.join(f'[{self.cite(p)}]' for p in cited[:2])}" for phrase, cited in themes
                )
                s.append(f"Recurring topics in their titles: {listed}.")
            # Newest first (records keep papers so), the newest included: "what is X working on".
            top = papers[:3]
            listed = "; ".join(f"“{short(p.title)}” ({venue_year(p)}) [{self.cite(p)}]" for p in top)
            if len(top) > 1:
                s.append(f"Recent work: {listed}.")
            else:
                # "What does X work on?" of someone with one paper: what that paper is.
                s.append(f"Their paper in the records: {listed}.")
        metrics = {k: v for k, v in r.metrics.items() if not k.endswith("_in_store")}
        if metrics:
            # These numbers come from a profile page, not a paper: attributed, not cited as [n].
            shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in metrics.items())
            pages = sorted({src.split(":")[1] for src in r.sources if src.startswith("seed:")})
            s.append(f"Their profile page ({', '.join(pages) or 'imported'}) reports {shown}.")
        cited_coauthors = []
        for c, n in collaborators[:5]:
            shared = _paper_with(papers, c)
            if shared is not None:  # each coauthor is cited to a paper that lists them
                cited_coauthors.append(f"{printed_name(c, shared)} ({n}) [{self.cite(shared)}]")
        if cited_coauthors:
            s.append(f"Most frequent coauthors: {join_names(cited_coauthors)}.")
        if others:
            items = [f"{_label(o, True)}: {_distinguish(o, self)}" for o in others[:4]]
            more = f" and {len(others) - 4} more" if len(others) > 4 else ""
            s.append(f"Others with this name: {'; '.join(items)}{more}.")
        self.answer.profile = profile_json(r, papers, collaborators)
        # Other people with this name, so callers (the bot's buttons, scripts) can offer them.
        self.answer.profile["namesakes"] = [
            {
                "name": o.person.name,
                "id": o.person.id,
                "affiliation": o.person.affiliations[0] if o.person.affiliations else None,
                "paper_count": len(o.papers),
            }
            for o in others or []
        ]
        self.answer.people.append(self.person_json(r, papers[:5]))
        return self.finish(" ".join(s) or f"{r.name} is in the records but no papers are stored.")

    def ambiguous(self, query: str, views: list[PersonView]) -> Answer:
        shown = views[:6]
        lead = namesakes(len(views), *(v.person.name for v in views))
        if len(views) > len(shown):
            lead += f"; the {len(shown)} with the most papers"
        items = [f"({i}) {_label(v, True)}: {_distinguish(v, self)}" for i, v in enumerate(shown, 1)]
        for v in shown:
            self.answer.people.append(self.person_json(v.person, v.papers[:1]))
        return self.finish(f"{lead}: {'; '.join(items)}. Which one do you mean?")

    def limits(self) -> str:
        """The venue and years the answer is limited to, as a phrase (" in 2022"), or ""."""
        return ""

    def compare(
        self,
        a: PersonView,
        b: PersonView,
        topic: str | None,
        themes: Sequence[Sequence[str]] = (),
        where: str = "",
    ) -> Answer:
        """Two people side by side; `themes`, when given, are what each one's titles keep returning
        to (a profile's recurring topics), said instead of the keywords their records carry; `where`
        says what their papers were counted within (" at AAAI")."""
        s = []
        for i, v in enumerate((a, b)):
            papers = (v.on_topic or v.papers)[:2]
            listed = "; ".join(f"“{short(p.title)}” [{self.cite(p)}]" for p in papers)
            topics = ", ".join((themes[i] if i < len(themes) and themes[i] else v.person.topics)[:3])
            s.append(
                f"{v.person.name} has {len(v.papers)} paper(s){where} in the records"
                + (f" (topics: {topics})" if topics else "")
                + (f", including {listed}." if listed else ".")
            )
            self.answer.people.append(self.person_json(v.person, papers))
        shared = {p.id for p in a.papers} & {p.id for p in b.papers}
        if shared:
            p = next(p for p in a.papers if p.id in shared)
            s.append(
                f"They have {len(shared)} paper(s) together, including “{short(p.title)}” [{self.cite(p)}]."
            )
        return self.finish(" ".join(s))

    def unknown_person(self, match: NameMatch) -> Answer:
        # A name typed in lower case is shown as a name ("john smithee" -> "John Smithee").
        name = match.query if any(c.isupper() for c in match.query) else match.query.title()
        if match.abbreviates:
            return self.finish(
                f"“{name}” fits {match.abbreviates} researchers in the records, among them "
                f"{join_names(list(match.suggestions))}: which one? Ask again with the full name."
            )
        text = f"{name} is not in the records."
        if match.suggestions:
            text += f" Closest names: {join_names(list(match.suggestions))}."
        return self.finish(text)


def namesakes(n: int, *names: str) -> str:
    """Say that a name covers n researchers, without claiming more than the evidence shows; the
    name as each prints it when they differ ("Moshe Y. Vardi or Moshe Vardi", found by initials)."""
    named = " or ".join(dict.fromkeys(names))
    return (
        f"The records hold {n} researchers named {named}, kept apart because nothing in the records "
        "(a shared coauthor, affiliation or author id) shows they are one person"
    )


def _label(v: PersonView, multi: bool) -> str:
    """A person's name, and with namesakes around, what tells this one apart."""
    if not multi:
        return v.person.name
    if v.person.affiliations:
        return f"{v.person.name} ({v.person.affiliations[0]})"
    if not v.papers:
        return v.person.name
    # The same paper _distinguish cites, so the label stays checkable.
    paper = _telling_paper(v)
    own = set(person_name_keys(v.person))
    others = [a.name for a in paper.authors if name_key(a.name) not in own]
    if others:
        return f"{v.person.name} (coauthor of {others[0]})"
    return f"{v.person.name} ({venue_year(paper)} paper)"


def _telling_paper(v: PersonView) -> Paper:
    """The person's first paper that names a coauthor (the best handle on who they are), else the first."""
    own = set(person_name_keys(v.person))
    return next((p for p in v.papers if any(name_key(a.name) not in own for a in p.authors)), v.papers[0])


def printed_name(person: Researcher, paper: Paper) -> str:
    """The person's name as a paper prints it, so a claim cited to it reads exactly as its source
    ("Rebecca Passonneau" on a paper without the "J." her record's name carries)."""
    keys = set(person_name_keys(person))
    return next((a.name for a in paper.authors if name_key(a.name) in keys), person.name)


def commonly_printed(person: Researcher, papers: list[Paper]) -> str:
    """The person's name as most of these papers print it (the first paper's printing on a tie):
    one person printed two ways, "Nicholas Yuan" on three shared papers and "Nicholas Jing Yuan" on
    two, is named as those papers mostly have it."""
    # most_common keeps first-counted order among equals, so the first paper's printing wins a tie.
    return Counter(printed_name(person, p) for p in papers).most_common(1)[0][0]


def _paper_with(papers: list[Paper], person: Researcher) -> Paper | None:
    """The first paper whose author list names the person (by name or alias)."""
    keys = set(person_name_keys(person))
    return next((p for p in papers if any(name_key(a.name) in keys for a in p.authors)), None)


def listed_affiliations(person: Researcher, papers: list[Paper]) -> list[tuple[str, Paper]]:
    """Each affiliation a paper lists the person with, and the paper, newest first."""
    keys = set(person_name_keys(person))
    dated = sorted(papers, key=lambda p: (p.year or 0, p.date or ""), reverse=True)
    return [
        (aff, paper)
        for paper in dated
        for author in paper.authors
        if name_key(author.name) in keys
        for aff in author.affiliations
    ]


def _latest_affiliation(person: Researcher, papers: list[Paper]) -> tuple[str, Paper] | None:
    """The affiliation on the person's newest paper that gives one, when it is another place than
    the one they are most often listed with; else None."""
    newest = next(((aff, p) for aff, p in listed_affiliations(person, papers) if p.year), None)
    if newest is None:
        return None
    usual = person.affiliations[0] if person.affiliations else ""
    return None if _same_place(newest[0], usual) else newest


def _same_place(a: str, b: str) -> bool:
    """Whether two affiliation strings name one place ("Stanford" within "Stanford University")."""
    x, y = (" ".join(re.findall(r"\w+", fold(s))) for s in (a, b))
    return bool(x and y) and (x in y or y in x)


def _distinguish(v: PersonView, c: Composer) -> str:
    """What tells one same-named person from another: topics, coauthors, a cited paper."""
    bits = []
    if v.person.topics:
        bits.append("topics " + ", ".join(v.person.topics[:3]))
    if v.papers:
        p = _telling_paper(v)
        bits.append(f"{len(v.papers)} paper(s) including “{short(p.title)}” [{c.cite(p)}]")
    return "; ".join(bits) or "no papers stored"


def profile_json(
    r: Researcher, papers: list[Paper], collaborators: list[tuple[Researcher, int]]
) -> dict[str, Any]:
    """The profile contract used by `scholarbot profile --json` and the bot's researcher card."""
    topics = list(r.topics)
    if not topics:
        words: Counter[str] = Counter()
        for p in papers:
            words.update(w for w in p.title.lower().split() if len(w) > 6)
        topics = [w for w, _ in words.most_common(5)]
    return {
        "name": r.name,
        "id": r.id,
        "aliases": list(r.aliases),
        "affiliations": list(r.affiliations),
        "paper_count": len(papers),
        "papers": [{"id": p.id, "title": p.title, "year": p.year, "venue": p.venue} for p in papers],
        "collaborators": [{"name": c.name, "id": c.id, "count": n} for c, n in collaborators],
        "topics": topics,
        "metrics": {k: v for k, v in r.metrics.items()},
        "sources": list(r.sources),
    }
