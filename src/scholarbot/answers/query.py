"""The typed query: what a question asks, as one frozen value the engine executes.

The offline reader builds it from the words of a question; the LLM planner builds it from a tool
call; the bot's follow-ups build the next one from the previous turn's. Nothing downstream reads
the question's text again except as the topic.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

Op = Literal[
    "collaborators",  # who works with P (optionally on a topic / in years)
    "joint_papers",  # papers P1 and P2 wrote together
    "common_coauthors",  # people who wrote with both P1 and P2
    "collab_check",  # yes/no: have P1 and P2 written a paper together
    "papers_by",  # P's papers, filtered and sorted (most cited / top-N is sort="citations")
    "count",  # how many papers / collaborators / papers per year
    "top_venue",  # the venue P publishes in most (no P: with the most papers, on a topic or of all)
    "top_year",  # the year P published most (no P: with the most papers, on a topic or of all)
    "compare",  # P1 against P2, or (no people) which of the topics "A or B" has more papers
    "who_works_on",  # people with papers on a topic (optionally at an institution or venue)
    "profile",  # who is P
    "overview",  # what the papers on a topic say, grouped into themes
    "find_papers",  # papers matching a description (most cited of a venue or the store: no topic)
    "paper_authors",  # who wrote the paper matching a title or description
    "top_institution",  # the institutions with the most papers (on a topic, at a venue, in years)
    "coverage",  # what the records hold: venues, years, how many papers (questions about the bot)
    "help",  # nothing to look up (a greeting, an empty question)
]
Sort = Literal["relevance", "citations", "date", "oldest"]
CountOf = Literal["papers", "collaborators", "papers_per_year"]
#: What a comparison without people sets against each other: venues, years or places.
CompareBy = Literal["venue", "year", "institution"]
#: Where a person stands among a paper's authors ("first-author papers", "as last author"); "solo"
#: is a paper with one author (with no person: any such paper).
Role = Literal["first", "last", "solo"]
#: The kind of institution a ranking of places keeps ("which university …", "which companies …").
PlaceKind = Literal["university", "company"]

OPS: tuple[str, ...] = get_args(Op)
#: Operations about one or two named people; the rest need a topic or nothing.
PERSON_OPS = frozenset({"collaborators", "papers_by", "count", "top_venue", "top_year", "profile"})
PAIR_OPS = frozenset({"joint_papers", "common_coauthors", "collab_check", "compare"})
#: Operations that answer with people: a person the question leaves out (`people_out`) is not
#: listed, and their papers with the asker's subject stay counted.
PEOPLE_LISTS = frozenset({"collaborators", "who_works_on", "common_coauthors"})
#: Lists longer than this are cut, with the total stated.
MAX_LIMIT = 50


@dataclass(frozen=True)
class Query:
    """One operation and its arguments.

    `people` are names as asked ("Hanlin Gu", "gu hanlin"); `person_ids` pin researchers by store id
    when a caller already knows them (a namesake picked from a menu), position by position.
    Years are an inclusive range, either side open.
    """

    op: Op
    people: tuple[str, ...] = ()
    person_ids: tuple[str | None, ...] = ()
    topic: str | None = None
    institution: str | None = None
    venue: str | None = None
    #: Several venues asked about together ("at ACL or NAACL"): papers at any of them; `top_venue`
    #: says which of them. Empty when at most one is named (`venue` alone).
    venues: tuple[str, ...] = ()
    #: Venues the question leaves out ("not at ACL", "outside COLM", "except AAAI and IJCAI"):
    #: papers anywhere else.
    venues_out: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: Sort = "relevance"
    limit: int | None = None
    count_of: CountOf | None = None
    #: `top_institution`: rank only universities or only companies; None ranks every place.
    place_kind: PlaceKind | None = None
    #: Items of the answer's list to skip: the bot's "Next" button asks for the following page.
    offset: int = 0
    #: `compare` of one field between values ("more at IJCAI or AAAI?", "2022 vs 2024", "Yonsei vs
    #: Sungkyunkwan"): the field and its values; the other fields filter both sides alike.
    compare_by: CompareBy | None = None
    compared: tuple[str, ...] = ()
    #: How the papers were presented or recognised, any of these labels (`records.paper_labels`:
    #: "status:Findings", "track:Demo Track", "award").
    labels: tuple[str, ...] = ()
    role: Role | None = None
    #: People whose papers are left out ("X's papers without Y") or who are not named among the
    #: people answered ("who else besides Y works on T", "X's coauthors other than Y").
    people_out: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        """Whether the papers are narrowed by venue, years, labels or (paper-wide) solo authorship."""
        return bool(
            self.venue_families
            or self.venues_out
            or self.year_from is not None
            or self.year_to is not None
            or self.labels
            or (self.role == "solo" and not self.people)
        )

    @property
    def venue_families(self) -> tuple[str, ...]:
        """The venues the question restricts to, folded: any of `venues`, else `venue`, else none."""
        named = self.venues or ((self.venue,) if self.venue else ())
        return tuple(v.casefold() for v in named)

    def keeps_venue(self, family: str | None) -> bool:
        """Whether a paper of this venue family passes the query's venue filters."""
        folded = (family or "").casefold()
        if self.venue_families and folded not in self.venue_families:
            return False
        return folded not in {v.casefold() for v in self.venues_out}

    @property
    def years(self) -> tuple[int | None, int | None]:
        return (self.year_from, self.year_to)

    def with_(self, **changes: Any) -> Query:
        """A copy with some fields changed (follow-ups: "and in 2022?")."""
        return dataclasses.replace(self, **changes)

    def papers_within(self, op: Op = "find_papers", **changes: Any) -> Query:
        """A search for the papers this query's filters keep (topic, place, venues, years, labels),
        nothing else carried: the list a follow-up narrows ("is bahdanau on any of those?")."""
        return Query(
            op=op,
            topic=self.topic,
            institution=self.institution,
            venue=self.venue,
            venues=self.venues,
            venues_out=self.venues_out,
            year_from=self.year_from,
            year_to=self.year_to,
            labels=self.labels,
            **changes,
        )

    def to_json(self) -> dict[str, Any]:
        """The query as the JSON contract shows it: fields left at their defaults are omitted."""
        out: dict[str, Any] = {"op": self.op}
        for f in dataclasses.fields(self):
            if f.name == "op":
                continue
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Query:
        """Build a query from JSON (an LLM's tool arguments, a saved turn); raise ValueError if invalid."""
        if not isinstance(data, dict):
            raise ValueError("a query must be a JSON object")
        op = data.get("op")
        if op not in OPS:
            raise ValueError(f"unknown operation {op!r}; known: {', '.join(OPS)}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown query fields: {', '.join(unknown)}")
        people = data.get("people") or ()
        if isinstance(people, str):
            people = (people,)
        if not isinstance(people, list | tuple) or not all(isinstance(p, str) for p in people):
            raise ValueError("people must be a list of names")
        kwargs: dict[str, Any] = {"op": op, "people": tuple(p.strip() for p in people if p.strip())}
        for name in ("topic", "institution", "venue"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            kwargs[name] = value.strip() or None if isinstance(value, str) else None
        venues = _names(data.get("venues"), "venues")
        kwargs["venues_out"] = _names(data.get("venues_out"), "venues_out")
        if len(venues) > 1:
            kwargs["venues"] = venues
            kwargs["venue"] = kwargs.get("venue") or venues[0]
        elif venues and not kwargs.get("venue"):
            kwargs["venue"] = venues[0]
        for name in ("year_from", "year_to", "limit", "offset"):
            value = data.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError(f"{name} must be an integer")
            try:
                kwargs[name] = int(value)
            except ValueError as e:
                raise ValueError(f"{name} must be an integer") from e
        if "limit" in kwargs:
            kwargs["limit"] = max(1, min(MAX_LIMIT, kwargs["limit"]))
        if "offset" in kwargs:
            kwargs["offset"] = max(0, kwargs["offset"])
        sort = data.get("sort", "relevance")
        if sort not in get_args(Sort):
            raise ValueError(f"sort must be one of {', '.join(get_args(Sort))}")
        kwargs["sort"] = sort
        count_of = data.get("count_of")
        if count_of is not None and count_of not in get_args(CountOf):
            raise ValueError(f"count_of must be one of {', '.join(get_args(CountOf))}")
        kwargs["count_of"] = count_of
        place_kind = data.get("place_kind")
        if place_kind is not None and place_kind not in get_args(PlaceKind):
            raise ValueError(f"place_kind must be one of {', '.join(get_args(PlaceKind))}")
        kwargs["place_kind"] = place_kind
        compare_by = data.get("compare_by")
        if compare_by is not None and compare_by not in get_args(CompareBy):
            raise ValueError(f"compare_by must be one of {', '.join(get_args(CompareBy))}")
        kwargs["compare_by"] = compare_by
        kwargs["compared"] = _names(data.get("compared"), "compared")
        kwargs["labels"] = _names(data.get("labels"), "labels")
        kwargs["people_out"] = _names(data.get("people_out"), "people_out")
        role = data.get("role")
        if role is not None and role not in get_args(Role):
            raise ValueError(f"role must be one of {', '.join(get_args(Role))}")
        kwargs["role"] = role
        ids = data.get("person_ids") or ()
        kwargs["person_ids"] = tuple(str(i) if i else None for i in ids)
        query = cls(**kwargs)
        problem = query.problem()
        if problem:
            raise ValueError(problem)
        return query

    def problem(self) -> str | None:
        """Why this query cannot run as it stands, or None."""
        if self.op in PAIR_OPS and len(self.people) < 2 and not (self.op == "compare" and not self.people):
            return f"{self.op} needs two people"
        if self.compare_by and len(self.compared) < 2:
            return "compare_by needs two values in compared"
        if self.op == "compare" and not self.people and not self.topic and not self.compare_by:
            # Without people, a comparison sets topics against each other ("A or B: more papers?").
            return "compare needs two people or two topics"
        if (
            self.op in PERSON_OPS
            and not self.people
            and not (self.op == "count" and self.count_of in {None, "papers"})
            and self.op not in {"top_venue", "top_year"}
        ):
            # A count without people counts papers: on a topic, at a venue, or in the whole store;
            # the top venue or year without people is that of the papers (on a topic) of all.
            return f"{self.op} needs a person"
        if self.op in {"overview", "paper_authors"} and not self.topic:
            return f"{self.op} needs a topic"
        # Without a topic, "who works on" asks who publishes most (in a venue, years, or anywhere)
        # and a search by citations asks for the most cited papers there; a plain search needs one,
        # or a place, venue or years to list the newest papers of.
        if self.op == "find_papers" and not (
            self.topic
            or self.institution
            or self.venue
            or self.venues_out
            or self.labels
            or self.role == "solo"
            or self.sort == "citations"
            or (self.sort == "date" and self.years != (None, None))
        ):
            return f"{self.op} needs a topic"
        if self.year_from and self.year_to and self.year_from > self.year_to:
            return "year_from is after year_to"
        return None


def _names(value: Any, field: str) -> tuple[str, ...]:
    """A list of names (venues, labels, people) from JSON (a lone string is a list of one),
    without blanks or repeats."""
    names = value or ()
    if isinstance(names, str):
        names = (names,)
    if not isinstance(names, list | tuple) or not all(isinstance(v, str) for v in names):
        raise ValueError(f"{field} must be a list of names")
    return tuple(dict.fromkeys(v.strip() for v in names if v.strip()))


#: A search topic of at least this many words describes a paper ("the paper that transcribes piano
#: recordings into scores") rather than naming a field ("protein folding").
DESCRIPTION_WORDS = 6


def described(topic: str | None) -> bool:
    """Whether a search's topic is a description of a paper rather than a field's name."""
    return bool(topic) and len(re.findall(r"\w+", topic or "")) >= DESCRIPTION_WORDS


#: Small words a title in title case may leave in lower case ("Learning to Rank for Search").
TITLE_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "vs",
        "with",
    ]
)
#: A title asked for by name has at least this many words ("Attention Is All You Need").
TITLE_WORDS = 3


def titled(topic: str | None) -> bool:
    """Whether a topic is a paper's title typed as one: title case throughout, small words aside,
    with at least one of them capitalised as titles do ("Attention Is All You Need")."""
    words = re.findall(r"[\w'-]+", topic or "")
    if len(words) < TITLE_WORDS or not all(w[0].isupper() or w in TITLE_SMALL_WORDS for w in words):
        return False
    # A field's name in capitals ("Federated Learning", "LLM Agents") has no capitalised small word.
    return any(
        w.lower() in TITLE_SMALL_WORDS or len(w) <= 3 for w in words if w[0].isupper() and not w.isupper()
    )
