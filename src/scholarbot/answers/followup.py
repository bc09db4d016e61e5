"""Follow-ups build on the previous turn's query object, not on re-parsed text.

"and on dialogue?" keeps the person and operation and swaps the topic; "what did they publish in
2022?" keeps the people and takes the new operation and years; "and Hanlin Gu?" asks the same
question about someone else; "how many is that?" counts what the turn before listed. A question
that stands on its own is taken as it is.
"""

from __future__ import annotations

import re

from scholarbot.answers.query import PAIR_OPS, Query, titled
from scholarbot.answers.reader import Reading

#: Operations whose answer a bare "how many?" can count.
_COUNTABLE = frozenset({"papers_by", "joint_papers", "collab_check", "find_papers", "collaborators", "count"})


def follow_up(reading: Reading, previous: Query | None, before: Query | None = None) -> Query:
    """The query a question asks, given the query of the turn before it (if any) and of the turn
    before that (`before`)."""
    query = reading.query
    if previous is None:
        return query
    if (
        before is not None
        and previous.op == "paper_authors"
        and (reading.fragment or _subjectless(reading, reading.asked or query))
        and not reading.links.people
        and not reading.links.title
    ):
        # "only COLING 2025 pls" after "who wrote that?" narrows the list the paper came from, not
        # the paper.
        return follow_up(reading, before)
    asked = reading.asked or query
    if asked.people_out and not asked.people and previous.people:
        # "what about without Manling Li": the last question, leaving her out.
        return _changed(previous, asked)
    if reading.count_back and previous.op in _COUNTABLE:
        counted = _changed(previous, asked)
        if previous.op != "count":
            of = "collaborators" if previous.op == "collaborators" else "papers"
            counted = counted.with_(op="count", count_of=of)
        if counted.problem() is None:
            return counted
    if not previous.people:
        # After a question about no one ("who at CMU works on MT?"), only a fragment builds on it
        # ("and on summarization?", "only in 2024?"); a pronoun has no one to point at.
        if reading.fragment and not reading.links.people and not (reading.asked_sure and asked.op != "help"):
            return _changed(previous, asked)
        topic = previous.topic if previous.op != "paper_authors" and not titled(previous.topic) else None
        if _subjectless(reading, asked) and (topic or previous.institution or previous.labels):
            # "how many at NAACL 2022?", "who publishes most from there?", "any at acl 2022?" after a
            # question about a place, a topic or award papers: the same, with what this asks.
            return asked.with_(
                topic=topic, institution=previous.institution, labels=asked.labels or previous.labels
            )
        return query
    if (
        not reading.refers_back
        and _subjectless(reading, asked)
        and asked.op in _ABOUT_SOMEONE
        and len(previous.people) <= 2
        and asked.with_(**_people_of(previous)).problem() is None
    ):
        # "how many at www?", "most cited paper?", "top venue?" in a thread about a person: theirs.
        return _about(asked, previous)
    if (
        len(previous.people) == 1
        and len(asked.people) == 1
        and previous.op in _ONES_PAPERS
        and _WITH_SOMEONE.match(reading.links.residual)
        and asked.people[0].casefold() != previous.people[0].casefold()
    ):
        # "only the ones with Giulia Romano" after someone's papers: those written with her.
        ids = (previous.person_ids[0], None) if previous.person_ids else ()
        pair = {"people": (previous.people[0], asked.people[0]), "person_ids": ids}
        if previous.op == "count":
            return previous.with_(count_of=None, **pair)
        return previous.with_(op="joint_papers", **pair)
    if reading.links.people:
        if (reading.asked_sure and (asked.op != "profile" or _WHERE.search(reading.links.residual))) or (
            not reading.refers_back
        ):
            # ("what about X?" alone is the question before about X; "what about X, where's he based?"
            # asks its own.)
            return query
        # "and Hanlin Gu?": the same question about someone else.
        # "what about Ke Chen, the one at UCSD?": the place says which Ke Chen.
        return previous.with_(
            people=asked.people, person_ids=(), institution=asked.institution or previous.institution
        )
    if not reading.refers_back:
        return query
    people = {"people": previous.people, "person_ids": previous.person_ids}
    if reading.asked_sure and asked.op != "help" and not (asked.op in PAIR_OPS and len(previous.people) < 2):
        # A new question about the same people: its own operation, filters and topic; "what about
        # his memes stuff?" asks for their papers on it, not their profile again.
        if asked.op == "profile" and asked.topic:
            return asked.with_(op="papers_by", **people)
        if _THOSE.search(reading.links.residual):
            # "who's on those with him?": the papers listed before, so their filters still hold.
            kept = {f: getattr(previous, f) for f in _FILTERS if getattr(asked, f) is None}
            return asked.with_(**people, **{f: v for f, v in kept.items() if v is not None})
        return asked.with_(**people)
    return _changed(previous, asked)


_WHERE = re.compile(r"\bwhere\b|\baffiliat\w*|\bbased\b|\bwho\s+is\b", re.I)
#: A fragment that narrows someone's papers to those with another: "only the ones with ⟨P1⟩".
_WITH_SOMEONE = re.compile(
    r"^\W*(?:(?:and|only|just|but|ok|so)\s+)*(?:(?:the\s+)?(?:ones?|papers?|ones\s+he|ones\s+she)\s+)?"
    r"(?:with|alongside|together\s+with|(?:co-?)?(?:written|authored)\s+with|coauthored\s+with)\s+⟨P1⟩"
    r"(?:\s+(?:please|pls|too|only))?\W*$",
    re.I,
)
#: Questions about one person's papers, which "only the ones with X" narrows to those written with X.
_ONES_PAPERS = frozenset({"papers_by", "profile", "count"})
#: Questions that, asked about no one in a conversation about someone, are about them.
_ABOUT_SOMEONE = frozenset({"count", "find_papers", "top_venue", "top_year"})
#: Questions about the whole store, whatever the conversation was about.
_WHOLE_STORE = re.compile(
    r"\b(?:overall|altogether|in\s+(?:the|your)\s+(?:records|database|data|dataset|corpus|store|index)|"
    r"in\s+(?:the\s+)?(?:records|database|dataset|corpus)|across\s+(?:all|everything|everyone)|"
    r"(?:the\s+)?whole\s+(?:store|database|dataset|corpus)|everyone|anyone|anybody|you\s+have|"
    r"(?:are|is)\s+there|btw|by\s+the\s+way|in\s+general|generally)\b",
    re.I,
)


def _subjectless(reading: Reading, asked: Query) -> bool:
    """Whether a question names no one, no topic, place or paper, and asks something that would be
    about them had it named one ("how many at www?", "who publishes most?"), not about the store."""
    return (
        asked.op in {*_ABOUT_SOMEONE, "who_works_on", "top_institution"}
        and not (asked.people or asked.topic or asked.institution or reading.links.title)
        and asked.count_of in (None, "papers")
        and not reading.links.unknown_names
        and not _WHOLE_STORE.search(reading.links.residual)
    )


def _people_of(previous: Query) -> dict[str, object]:
    return {"people": previous.people, "person_ids": previous.person_ids}


def _about(asked: Query, previous: Query) -> Query:
    """A question about no one, asked about the people of the turn before."""
    if asked.op == "find_papers":
        # "most cited paper?" about one person is theirs; about two, the ones they wrote together.
        return asked.with_(
            op="papers_by" if len(previous.people) == 1 else "joint_papers", **_people_of(previous)
        )
    if asked.op == "count" and len(previous.people) == 2:
        return asked.with_(count_of=None, **_people_of(previous))
    return asked.with_(**_people_of(previous))


#: What narrows a list: kept when a question points at the list ("those", "these").
_FILTERS = ("topic", "institution", "venue", "year_from", "year_to")
_THOSE = re.compile(r"\b(?:those|these)\b", re.I)


def _changed(previous: Query, asked: Query) -> Query:
    """A fragment ("and on dialogue?", "and in 2022?"): the previous query with only what it names changed."""
    changes: dict[str, object] = {}
    for name in _FILTERS:
        value = getattr(asked, name)
        if value is not None:
            changes[name] = value
    if asked.venue or asked.venues_out:
        # "and outside ACL?" after "at NAACL", "any at COLM?" after "outside ACL": the venues it names.
        changes |= {"venue": asked.venue, "venues": asked.venues, "venues_out": asked.venues_out}
    if asked.sort != "relevance":
        changes["sort"] = asked.sort
    # "only the findings ones", "just first-author ones", "without Ben": narrowed the same way.
    for name in ("labels", "role", "people_out"):
        if getattr(asked, name):
            changes[name] = getattr(asked, name)
    if "institution" in changes and previous.person_ids:
        # "the one at Tsinghua": the place picks the namesake again.
        changes["person_ids"] = ()
    if previous.op == "profile" and set(changes) - {"institution"}:
        # "what about his memes stuff?", "and in 2022?" after a profile: the person's papers on it
        # ("the one at Tsinghua" only picks which namesake's profile).
        return previous.with_(op="papers_by", **changes)
    return previous.with_(**changes)
