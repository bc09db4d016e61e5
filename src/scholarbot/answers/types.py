"""The answer types every front end shares: an answer, its numbered sources, and their text forms."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scholarbot.answers.network import CoauthorGraph
    from scholarbot.records import Paper

#: Said when an LLM planner was configured but gave no usable query (the offline reading is used).
PLANNER_FALLBACK_NOTE = "The language model could not plan this question; it was read offline."
#: Titles longer than this are shortened inside sentences (the source list keeps them whole).
TITLE_IN_TEXT = 90


@dataclass
class Source:
    """A numbered source under an answer."""

    n: int
    id: str
    title: str
    authors: list[str]
    year: int | None
    venue: str | None
    url: str | None
    authors_complete: bool = True
    authors_omitted: int | None = None

    @classmethod
    def of(cls, n: int, paper: Paper) -> Source:
        """Paper `paper` as source [n]: what an answer, a digest or a menu shows of it."""
        return cls(
            n=n,
            id=paper.id,
            title=paper.title,
            authors=[a.name for a in paper.authors],
            year=paper.year,
            venue=paper.venue,
            url=paper.url or paper.pdf_url,
            authors_complete=paper.authors_complete,
            authors_omitted=paper.authors_omitted,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "id": self.id,
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "venue": self.venue,
            "url": self.url,
        }


@dataclass
class Answer:
    """An answer: text with [n] citations, its sources, the people it names, and timing."""

    intent: str
    text: str = ""
    question: str = ""
    sources: list[Source] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    #: A profile's coauthor network, typed (`profile["network"]` holds its JSON form), else None.
    network: CoauthorGraph | None = None
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0
    #: The direct answer when one fact was asked: a count, True/False, a venue or year; else None.
    value: int | bool | str | None = None
    #: How the question was read (Query.to_json()), so a user can see what was answered.
    query: dict[str, Any] | None = None
    #: The query of the next page when the answer's list was cut (Query.to_json()), else None.
    more: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON contract shared by the CLI, the bot and the benchmarks."""
        out: dict[str, Any] = {
            "question": self.question,
            "intent": self.intent,
            "answer": self.text,
            "value": self.value,
            "sources": [s.to_json() for s in self.sources],
            "people": self.people,
            "took_ms": self.took_ms,
        }
        if self.query is not None:
            out["query"] = self.query
        if self.profile is not None:
            out["profile"] = self.profile
        if self.notes:
            out["notes"] = self.notes
        if self.more is not None:
            out["more"] = self.more
        return out

    def render_text(self) -> str:
        """Plain text for a terminal: answer, notes, then numbered sources."""
        lines = [self.text]
        lines += [f"({note})" for note in self.notes]
        if self.sources:
            lines.append("")
            lines.append("Sources:")
            for s in self.sources:
                lines.append(
                    f"[{s.n}] {s.title}. {format_authors(s)}. {venue_year(s)}"
                    + (f" {s.url}" if s.url else "")
                )
        return "\n".join(lines)


def format_authors(s: Source, limit: int = 6) -> str:
    """'A, B, C et al.' honouring what the source said about truncation."""
    names = s.authors[:limit]
    text = ", ".join(names) if names else "authors not listed"
    hidden = len(s.authors) - len(names)
    if s.authors_omitted:
        hidden += s.authors_omitted
    if hidden > 0:
        text += f" +{hidden} more"
    elif not s.authors_complete:
        text += " et al. (list incomplete at source)"
    return text


def venue_year(s: Source | Paper) -> str:
    """'COLING 2025' / 'arXiv 2026' / '2021' for a source or a paper."""
    parts = [p for p in (s.venue, str(s.year) if s.year else None) if p]
    if len(parts) == 2 and parts[1] in parts[0]:
        return parts[0]
    return " ".join(parts) or "year unknown"


def short(title: str) -> str:
    """Shorten a long title for use inside a sentence."""
    return title if len(title) <= TITLE_IN_TEXT else title[: TITLE_IN_TEXT - 1].rstrip() + "…"


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def joined(question: str, first: Answer, second: Answer) -> Answer:
    """Two answers to a message that asked two questions, as one: the second's citations numbered
    after the first's, a paper both cite keeping the first's number; the second's query is the turn
    a follow-up builds on."""
    known = {s.id: s.n for s in first.sources}
    number: dict[int, int] = {}
    sources = list(first.sources)
    for s in second.sources:
        if s.id in known:
            number[s.n] = known[s.id]
        else:
            number[s.n] = len(sources) + 1
            sources.append(dataclasses.replace(s, n=number[s.n]))

    def renumber(text: str) -> str:
        return re.sub(r"\[(\d+)\]", lambda m: f"[{number.get(int(m.group(1)), int(m.group(1)))}]", text)

    people = [
        *first.people,
        *({**p, "papers": [number.get(n, n) for n in p.get("papers", [])]} for p in second.people),
    ]
    return Answer(
        intent=second.intent,
        text=f"{first.text}\n\n{renumber(second.text)}",
        question=question,
        sources=sources,
        people=people,
        profile=first.profile or second.profile,
        network=first.network or second.network,
        notes=[*first.notes, *second.notes],
        took_ms=round(first.took_ms + second.took_ms, 1),
        query=second.query,
        more=second.more,
    )
