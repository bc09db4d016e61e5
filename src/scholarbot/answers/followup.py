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
    query = _followed(reading, previous, before)
    if previous is None or query is reading.query:
        return query
    # "what about all years?", "any venue, how many?": the filters the last question set, widened.
    residual = reading.links.residual
    widened: dict[str, object] = {}
    if _ALL_YEARS.search(residual) and reading.query.year_from is None and reading.query.year_to is None:
        widened |= {"year_from": None, "year_to": None}
    if _ALL_VENUES.search(residual) and not (reading.query.venue or reading.query.venues_out):
        widened |= {"venue": None, "venues": (), "venues_out": ()}
    if _ALL_TOPICS.search(residual) and not reading.query.topic and not titled(query.topic):
        widened |= {"topic": None}
    if _NOT_JUST.search(residual) and not reading.query.labels and not reading.query.role:
        # "the whole of coling 2025, not just industry": without the label or role it kept.
        widened |= {"labels": (), "role": None}
    return query.with_(**widened) if widened else query


# "what about all years", "any year", "of all time", "ever", "over his whole career".
_ALL_YEARS = re.compile(
    r"\b(?:all|any|every|other)\s+(?:the\s+)?years?\b|\ball[-\s]time\b|\bwhole\s+(?:career|time|period)\b|"
    r"\bregardless\s+of\s+(?:the\s+)?years?\b|\bacross\s+(?:all\s+)?(?:the\s+)?years\b|\bany\s*time\b|"
    r"\bno\s+(?:year|date)\s+(?:limit|filter)\b|\b(?:not|no)\s+just\s+(?:that|this|the\s+one)\s+year\b",
    re.I,
)
# "what about all venues", "any conference", "across every venue", "everywhere".
_ALL_VENUES = re.compile(
    r"\b(?:all|any|every|other)\s+(?:the\s+)?(?:venues?|conferences?|confs?|places\s+(?:he|she|they)\s+publish\w*)\b|"
    r"\beverywhere\b|\bacross\s+(?:all\s+)?(?:the\s+)?(?:venues|conferences)\b|\bregardless\s+of\s+(?:the\s+)?venue\b|"
    r"\bno\s+venue\s+(?:limit|filter)\b",
    re.I,
)
_NOT_JUST = re.compile(r"\bnot\s+(?:just|only)\b|\brather\s+than\s+(?:just|only)\b", re.I)
# "any topic", "all topics", "not just on that", "on anything".
_ALL_TOPICS = re.compile(
    r"\b(?:all|any|every|other)\s+(?:the\s+)?(?:topics?|subjects?|areas?)\b|\bon\s+anything\b|"
    r"\bregardless\s+of\s+(?:the\s+)?topic\b|\bwhatever\s+(?:the\s+)?topic\b",
    re.I,
)


def _followed(reading: Reading, previous: Query | None, before: Query | None) -> Query:
    query = reading.query
    if previous is None:
        return query
    if (
        before is not None
        and previous.op == "paper_authors"
        and (
            ((reading.fragment or _subjectless(reading, reading.asked or query)) and not reading.links.people)
            or _ON_THOSE.match(reading.links.residual)
        )
        and not reading.links.title
    ):
        # "only COLING 2025 pls" after "who wrote that?" narrows the list the paper came from, not
        # the paper.
        return _followed(reading, before, None)
    asked = reading.asked or query
    if len(asked.people) == 1 and not previous.people and _ON_THOSE.match(reading.links.residual):
        listed = _listed_by_place(previous)
        if listed is not None:
            # "is bahdanau on any of those?" after a place's or a topic's papers: his among them.
            how_many = _HOW_MANY.search(reading.links.residual) is not None
            return listed.with_(
                op="count" if how_many else "papers_by",
                count_of="papers" if how_many else None,
                people=asked.people,
                person_ids=asked.person_ids,
            )
    if (
        len(previous.people) == 1
        and _NOT_THAT.match(reading.links.residual)
        and all(p.casefold() == previous.people[0].casefold() for p in asked.people)
        and (asked.institution or asked.topic)
    ):
        # "not that jing ma — the causal inference one at UVA": the same question about the
        # namesake the place or topic picks (on that topic, when one is said).
        return previous.with_(
            person_ids=(), institution=asked.institution, topic=asked.topic or previous.topic
        )
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
        and (_WITH_SOMEONE.match(reading.links.residual) or _ON_THOSE.match(reading.links.residual))
        and asked.people[0].casefold() != previous.people[0].casefold()
    ):
        # "only the ones with Giulia Romano" after someone's papers: those written with her; "is
        # wanxiang che on most of those?", "how many of those is he on?": the same, counted.
        ids = (previous.person_ids[0], None) if previous.person_ids else ()
        pair = {"people": (previous.people[0], asked.people[0]), "person_ids": ids}
        if previous.op == "count" or _HOW_MANY.search(reading.links.residual):
            return previous.with_(op="count", count_of=None, **pair)
        return previous.with_(op="joint_papers", **pair)
    if (
        previous.people
        and not asked.people
        and asked.topic
        and previous.op in {*_ONES_PAPERS, "joint_papers"}
        and _OF_THOSE_ABOUT.search(reading.links.residual)
    ):
        # "which of those are information extraction?" after someone's papers: theirs on it.
        narrowed = _changed(previous, asked.with_(topic=_stripped_topic(asked.topic)))
        if _HOW_MANY.search(reading.links.residual):
            return narrowed.with_(op="count", count_of="papers" if len(narrowed.people) == 1 else None)
        return narrowed
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
# "not that ⟨P1⟩ —", "no, the other one:", "wrong guy,": the person meant is a namesake of the one answered.
_NOT_THAT = re.compile(
    r"^\W*(?:(?:no+|nope|nah|sorry|wait|hm+|oops)\W+)*(?:not\s+(?:that|this|the\s+same)\s+(?:one|guy|person|⟨P1⟩)|"
    r"(?:the\s+)?(?:other|different)\s+(?:one|guy|person|⟨P1⟩)|wrong\s+(?:one|guy|person|⟨P1⟩))\b",
    re.I,
)
# "is ⟨P1⟩ on any of those", "which ones are with ⟨P1⟩", "how many of those is ⟨P1⟩ on", "does ⟨P1⟩
# appear on any of them": whether someone is among the authors of the papers just listed.
_THEM = r"(?:those|these|them|'em|the(?:se|m)?\s+(?:papers|ones))"
_ON_THOSE = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|but|also)\s+)*(?:"
    rf"(?:is|was|are|were)\s+⟨P1⟩\s+(?:also\s+)?(?:on|in|an?\s+(?:co-?)?author\s+(?:on|of))\s+"
    rf"(?:any|all|most|many|some|each|every|one|either|a\s+lot)\s+(?:of\s+)?{_THEM}|"
    rf"(?:which|what)\s+(?:ones?|papers?|of\s+{_THEM})\s+(?:are|is|were|was)\s+(?:with|by|co-?authored\s+with)\s+⟨P1⟩|"
    rf"(?:which|what)\s+(?:ones?|papers?|of\s+{_THEM})\s+(?:is|was|are|were|has|had|did)\s+⟨P1⟩\s+"
    r"(?:on|in|co-?author(?:ed)?|write|wr[io]te|written|an?\s+author\s+on)|"
    rf"how\s+many\s+(?:of\s+{_THEM}|papers\s+there)\s+(?:is|was|has|are|did)\s+⟨P1⟩(?:\s+(?:on|in|an?\s+author\s+on|"
    r"co-?author(?:ed)?|write|wr[io]te))?|"
    rf"(?:does|did)\s+⟨P1⟩\s+(?:appear|show\s+up|feature)\s+(?:on|in)\s+(?:any|all|most)\s+(?:of\s+)?{_THEM}|"
    rf"any\s+(?:of\s+{_THEM}\s+)?(?:with|by)\s+⟨P1⟩|"
    rf"⟨P1⟩\s+(?:is|was)\s+(?:also\s+)?(?:on|in)\s+(?:how\s+many|any|all|most)\s+(?:of\s+)?{_THEM}"
    r")(?:\s+(?:please|pls|too|only|then|at\s+all))?\W*$",
    re.I,
)
_HOW_MANY = re.compile(r"\bhow\s+many\b", re.I)
# "which of those are information extraction", "any of them about parsing": the list, on a topic.
_OF_THOSE_ABOUT = re.compile(
    rf"^\W*(?:(?:and|so|ok|okay|but)\s+)*(?:(?:which|what|any)\s+(?:ones?\s+|of\s+{_THEM}\s+)|how\s+many\s+of\s+{_THEM}\s+)"
    r"(?:are|is|were|was)?\s*(?:about|on|in|related\s+to|to\s+do\s+with|for)?\b|"
    r"^\W*(?:(?:and|so|ok|okay|but)\s+)*which\s+(?:are|is|were)\s+(?:about|on|related\s+to|to\s+do\s+with)\b",
    re.I,
)


def _stripped_topic(topic: str) -> str:
    """A topic read from "which of those are about X" without the pointing words left at its front."""
    return re.sub(r"^(?:(?:of|those|these|them|are|is|about|on)\s+)+", "", topic, flags=re.I) or topic


def _listed_by_place(previous: Query) -> Query | None:
    """The papers a question about no one listed (a place's, a topic's, a venue's), as a query to
    narrow to someone's; None when it listed no papers."""
    if previous.op == "count" and previous.count_of in (None, "papers"):
        return previous.with_(count_of=None, op="find_papers")
    if previous.op in {"find_papers", "who_works_on", "overview"} and (
        previous.topic or previous.institution or previous.venue
    ):
        return previous.papers_within()
    return None


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
