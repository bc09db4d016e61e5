"""What a follow-up points back at: the next page, one of the papers or people the last answer showed.

followup.py merges what a question names into the previous query ("and in 2022?"). The questions
here name nothing new; they point at the last answer itself: "more", "who wrote it?", "which of
those is most cited?", "who wrote the most cited one?", "what else has he published?" after a list
of authors, "does she also work with X?". Where words point at one paper or person, the question is
rewritten with its title or name and read again, so every wording the reader knows works here too;
where they point at several people and the question needs one, it asks which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from scholarbot.answers.linking import words
from scholarbot.answers.query import Query, Sort, titled

#: Operations whose answer is a list of papers, and the list a follow-up about "those" means.
_PAPER_LISTS = frozenset({"papers_by", "find_papers", "joint_papers"})
#: Papers a "more" shows after a ranking that asked for fewer ("the most cited paper on X").
PAGED_AFTER_TOP = 5
#: People offered by name when a pronoun could mean any of them.
ASKED_BACK_MOST = 5


@dataclass(frozen=True)
class Shown:
    """What the last answer showed: its papers (titles) and people (names) in order, and its next page."""

    papers: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    more: Query | None = None
    #: Whether the first person shown has more papers in the answer than the second: the one a
    #: reader takes "he" to mean after "who has the most of these?".
    leads: bool = False


@dataclass(frozen=True)
class Referral:
    """How to answer a question that points back: read `text` instead, run `query`, or say `reply`."""

    text: str | None = None
    query: Query | None = None
    reply: str | None = None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_POLITE = r"(?:\s*(?:please|pls|plz|thx|thanks)\b)?"
# "more", "next", "page 2", "the rest", "keep going", "and?", "show me more please".
_PAGE = _rx(
    r"^\W*(?:(?:ok(?:ay)?|and|so|now)\W+)?(?:(?:show|give|list|send|get)\s+(?:me\s+|us\s+)?)?"
    r"(?:(?:some\s+|any\s+)?more(?:\s+of\s+(?:them|those|these))?|next(?:\s+(?:page|one|ones|\d+))?|"
    r"(?:the\s+)?rest(?:\s+of\s+(?:them|those|it))?|(?:go\s+to\s+)?page\s+(?P<page>\d{1,3})|keep\s+going|continue|"
    r"go\s+on|and|anything\s+else|any\s+others?|others?)"
    rf"{_POLITE}\W*$"
)
# "sorry i meant X", "no, I mean X", "oops meant X": the question before, about X instead.
_MEANT = _rx(r"^\W*(?:(?:no|nope|sorry|oops|my\s+bad|ah|wait|actually)\W+)*(?:i\s+)?mean[t]?\b\W*")

# "back to X", "ok, going back to X - ...": the conversation returns to someone asked about before.
_BACK_TO = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|now|alright|right)\W+)*(?:going\s+|let'?s\s+go\s+|let\s+us\s+go\s+)?back\s+to\s+"
    r"(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,3}?)(?:\s*[-–—,:;.?!]+\s*|\s*$|\s+(?=(?:what|how|who|which|where|when|"
    r"does|did|is|has|can|and|his|her|their)\b))(?P<rest>.*)$"
)
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
}  # fmt: skip
_ORDINAL = r"first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|seventh|7th|eighth|8th|last"
_ONE = r"(?:one|paper|article|work|publication|result|hit)"
_SORT_WORDS = {
    "cited": "citations", "citations": "citations", "popular": "citations", "influential": "citations",
    "known": "citations", "newest": "date", "latest": "date", "recent": "date", "new": "date",
    "oldest": "oldest", "earliest": "oldest",
}  # fmt: skip
_SORTED = (
    r"(?:most[- ]cited|highest[- ]cited|best[- ]known|most\s+(?:popular|influential|recent)|"
    r"newest|latest|oldest|earliest|top)"
)
# A paper of the last answer: by its place in the list, by a ranking of it, or by a pronoun.
_PAPER_REF = _rx(
    rf"\b(?:the\s+)?(?P<ordinal>{_ORDINAL})\s+{_ONE}\b|(?:#|\bno\.?\s*|\bnumber\s+)(?P<number>\d{{1,2}})\b|"
    rf"(?:\bthe\s+|^\W*)(?P<sorted>{_SORTED})\s+(?:{_ONE}(?:\s+of\s+(?:those|these|them))?|"
    rf"of\s+(?:those|these|them|the(?:ir|se)\s+\w+(?:\s+papers)?))\b|"
    rf"\bwhich\s+(?:one|of\s+(?:those|these|them|the(?:ir|se)(?:\s+\w+)?(?:\s+papers)?))\s+(?:is|was|has|had|got)?\s*"
    rf"(?:the\s+)?(?P<which>{_SORTED}|(?:cited\s+)?(?:the\s+)?most(?:\s+cited|\s+citations)?)\b|"
    rf"\b(?:which|what)\s+(?:is|was|has|had|got)\s+(?:the\s+)?(?P<bare>{_SORTED}|most\s+citations)\s*\??\s*$|"
    rf"\b(?P<it>it|that\s+{_ONE}|this\s+{_ONE}|the\s+paper|"
    rf"(?:(?<=wrote\s)|(?<=authored\s)|(?<=writes\s)|(?<=behind\s))that(?=\s*\W*$))\b"
    rf"(?!\s+(?:about|on|that|which|where|by|from|in)\b(?!\s*\W*$))"
    rf"(?:\s+with\s+(?:her|him|them)\b|(?!\s+with\b))"
)
# Contractions, spelt out so one pattern reads both ("what's the most cited", "which one's newest");
# chat.readable has already given "whats", "whos", "wheres" their apostrophes.
_CONTRACTIONS = {
    "what's": "what is", "what’s": "what is", "one's": "one is", "one’s": "one is", "who's": "who is",
    "who’s": "who is", "where's": "where is", "where’s": "where is", "it's": "it is", "it’s": "it is",
    "that's": "that is", "that’s": "that is",
}  # fmt: skip
_CONTRACTION = _rx(r"(?<![\w'’])(?:" + "|".join(re.escape(c) for c in _CONTRACTIONS) + r")(?![\w'’])")
# A ranking asked with nothing else: "which one of those got cited the most", "the newest?".
_RANKING = _rx(
    rf"{_SORTED}|\bcited\s+(?:the\s+)?most\b|\bmost\s+citations\b|\bhighest\s+citations\b|\bmost\s+recent\b"
)
#: Words around such a ranking that only point at the list.
_POINTING_WORDS = words(
    """
    what is which one ones of those these them the a got get gets has had have does did is was are
    among here listed out there paper papers show me give tell please pls and so ok okay now
    """
)
# "who has the most of these?", "who are the main people there?", "top authors of those?"
_WHO_HAS_MOST = _rx(
    r"\bwho\s+(?:has|have|had|wrote|writes|published|publishes|did)\s+(?:the\s+)?most"
    r"(?:\s+(?:papers\s+)?(?:of\s+(?:those|these|them)|here|there|in\s+(?:it|that|this)))?\s*\W*$|"
    # "who's on the most of those", "who works on that most", "who is the top author there"
    r"\bwho\s+(?:is|are)\s+on\s+(?:the\s+)?most\s+of\s+(?:those|these|them)\s*\W*$|"
    r"\bwho\s+(?:works?|worked|publishes|published|writes|wrote)\s+(?:on|about)\s+(?:that|this|it|those|these)"
    r"\s+(?:the\s+)?most\s*\W*$|"
    r"\b(?:main|top|key|leading|biggest|most\s+active)\s+(?:people|person|authors?|names?|researchers?|folks|"
    r"players?)\b"
    r"(?=\s*(?:there|here|of\s+(?:those|these|them)|on\s+(?:it|that|this|those|these)|in\s+(?:it|that|this))?\s*\W*$)"
)
# "where are they from?", "which institutions are they at?", "where do they work?"
_WHERE_FROM = _rx(
    r"^\W*(?:and\s+|so\s+)?(?:where\s+(?:are|do|did|were)\s+(?:they|these\s+(?:people|authors|folks))\s+"
    r"(?:from|based|at|working|work)|(?:which|what)\s+(?:institutions?|places|universities|labs|orgs?|"
    r"organi[sz]ations|companies)\s+(?:are\s+they|do\s+they|did\s+they|are\s+these))\b"
)
#: Words that only ask ("what's the newest one of those?"): a ranking with nothing else asks for the paper.
_ASKING_WORDS = words(
    """
    what what's whats which is was the one of those these them show me give tell please pls paper
    and so ok okay now
    """
)
# Asking who wrote the papers the last answer listed ("who wrote those?", "authors of these?").
_WHO_WROTE_THOSE = _rx(
    r"\b(?:who\s+(?:wrote|authored|is\s+behind|are\s+behind|did|published)|authors?\s+of)\s+"
    r"(?:those|these|them|all\s+(?:of\s+)?(?:those|these|them)|th(?:ose|ese)\s+(?:papers|ones))\b"
)
#: Words that ask about two people at once ("do they publish together?", "their joint papers").
_TOGETHER = _rx(r"\btogether\b|\bjoint\b|\bwith\s+each\s+other\b|\bco-?auth\w*\b|\bin\s+common\b|\bshared?\b")
# "who has more papers?", "which one is more cited": a comparison of the two people asked about.
_WHICH_OF_TWO = _rx(
    r"^\W*(?:and|ok|so|now)?\W*(?:who|which\s+(?:one|of\s+the\s+two))\b.*\b(?:more|fewer|less|higher|bigger)\b"
)
_HE_SHE = r"he|him|his|she|her|hers|himself|herself"
_THEY = r"they|them|their|theirs|themselves"
_PERSON = _rx(rf"\b(?P<one>{_HE_SHE})\b|\b(?P<many>{_THEY})\b")
# "her" before a noun is a possessive ("her papers"), as "his" and "their" always are.
_POSSESSIVE_NEXT = _rx(r"^\s+(?!(?:and|or|on|in|at|with|about|to|for|from|by|of|since|before|after)\b)[a-z]")


def refer(
    text: str,
    residual: str,
    previous: Query,
    run: Callable[[Query], Shown],
    *,
    topic: str | None,
    earlier: tuple[str, ...] = (),
) -> Referral | None:
    """How to answer `text`, a question in a conversation whose last query was `previous`; None when
    it does not point back at the last answer. `residual` is the text with the people it names as
    ⟨P1⟩…, `topic` the topic it names itself; `run` runs a query to see what its answer shows (only
    called when needed); `earlier` are the people the conversation asked about before, whom a
    pronoun means when the last answer listed several."""
    text = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(0).lower()], text)
    page = _PAGE.match(text)
    if page:
        return _page(previous, run(previous), page.group("page"))
    back = _BACK_TO.match(text)
    if back:
        # "ok back to nguyen - what's his most cited one?": the rest is about the person named,
        # whom the conversation asked about before under their full name.
        said = back.group("who").strip()
        who = next((p for p in earlier if said.lower() in p.lower().split()), None) or said
        rest = back.group("rest").strip()
        return Referral(
            text=_named(rest, (who,)) if rest and _PERSON.search(rest) else f"what about {who}? {rest}"
        )
    than = _MORE_THAN.search(text)
    if than and len(previous.people) == 1 and previous.op in _ONE_PERSON_OPS:
        # "is that more than sebastian ordyniak?", "and X - more or fewer papers than him?": the
        # person asked about and the other, compared within the same filters.
        other = _other_person(than.group("who"), text[: than.start()], residual, previous.people[0], earlier)
        if other is not None:
            first, second = (
                (other, previous.people[0]) if _names_first(residual, than) else (previous.people[0], other)
            )
            sort: Sort = "citations" if re.search(r"\bcit", text, re.I) else "relevance"
            return Referral(
                query=previous.with_(
                    op="compare",
                    people=(first, second),
                    person_ids=(),
                    institution=None,
                    sort=sort,
                    limit=None,
                    offset=0,
                    count_of=None,
                )
            )
    if topic and "⟨P" not in residual and re.fullmatch(r"[^\W\d_]{3,}", topic.strip()):
        # "where's taylor based?" in a thread about Taylor Berg-Kirkpatrick: a word of the name of
        # one person the conversation asked about is that person, not a topic.
        holders = _holders(topic.strip(), earlier)
        if len(holders) == 1:
            return Referral(
                text=re.sub(rf"\b{re.escape(topic.strip())}\b", holders[0], text, count=1, flags=re.I)
            )
    meant = _MEANT.match(text)
    if meant and text[meant.end() :].strip():
        # The question before, about what is meant instead: read as "what about X?".
        return Referral(text="what about " + text[meant.end() :])
    nth = _NTH_AUTHOR.search(text)
    if nth and (previous.op == "paper_authors" or previous.op in _PAPER_LISTS):
        # "the last author, where's he at?" after a paper's authors; "who's the first author on
        # that?", "the rhino one, first author - where is he now?" after a list of papers: that
        # author of the paper meant, named in the question.
        title = None if previous.op == "paper_authors" else _paper_meant(text, run(previous).papers)
        if previous.op == "paper_authors":
            in_order = run(previous).people
        else:
            in_order = run(Query(op="paper_authors", topic=title)).people if title else ()
        index = _position(nth.group(1))
        if in_order and index < len(in_order):
            end = _NTH_OF_IT.match(text, nth.end()).end()  # type: ignore[union-attr]
            return Referral(text=f"{text[: nth.start()]}{in_order[index]}{text[end:]}")
        if title:
            return Referral(text=f"who wrote “{title}”?")
    place_pointed = previous.institution and not previous.people and _THEIR.search(text)
    if _WHO_HAS_MOST.search(text) and not topic and "⟨P" not in residual and not place_pointed:
        # "who has the most of these?", "who are the main people there?": who wrote the list.
        authors = _authors_of(previous)
        if authors is not None:
            return Referral(query=authors)
    item = _PAPER_REF.search(text)
    # "the second one - who else is on it?": "it" is that paper, not the topic asked about before.
    pointed = (
        None if item and (item.group("ordinal") or item.group("number")) else _subject_pointed(text, previous)
    )
    if pointed is not None:
        return Referral(text=pointed)
    person = _PERSON.search(residual)
    named = residual.find("⟨P")
    if person and named >= 0 and person.start() < named and len(previous.people) < 2:
        # "does she also work with X?": she is the one asked about (or named) before, X someone new.
        before = _meant(previous.people or run(previous).people, earlier)
        if len(before) == 1:
            return Referral(text=_named(text, before))
        return Referral(reply=_which_of(before)) if before else None
    if named < 0 and len(previous.people) == 2:
        pair = previous.people
        many = person.group("many") if person else None
        if many and many.lower() != "their":
            # "have they ever written together?" after a question about two people: both ("their
            # joint papers" keeps both as a follow-up does).
            return Referral(text=_named(text, pair))
        if person and not many:
            return Referral(reply=_which_of(pair))  # "his most cited paper" after two people
        if not person and _WHICH_OF_TWO.search(text):
            # "and who has more papers?" after comparing two people: the same two.
            return Referral(text=f"{text.rstrip(' ?')}, {pair[0]} or {pair[1]}?")
    if person and person.group("many") and named < 0 and len(previous.people) == 1 and _TOGETHER.search(text):
        # "do they publish together?" after "what about B?" in a thread about A: A and B.
        other = next((p for p in earlier if p != previous.people[0]), None)
        if other is not None:
            return Referral(text=_named(text, (previous.people[0], other)))
    if _WHERE_FROM.search(text) and not topic and named < 0 and previous.op == "paper_authors":
        return Referral(query=previous)  # "who wrote X and where are they from?": its authors, placed
    if _WHERE_FROM.search(text) and not topic and named < 0 and not previous.people:
        # "where are they from?" after papers or people on a topic: the places behind that list.
        behind = _papers_listed(previous) or (previous if previous.op == "who_works_on" else None)
        if behind is not None:
            return Referral(query=behind.with_(op="top_institution", sort="relevance", limit=None, offset=0))
    if person and named < 0 and not previous.people and not topic:
        # "what else has he published?" after a list of authors: someone the answer named (a
        # question with a topic of its own, "papers on how LLMs change their answers", is no pointer).
        wanted = 1 if person.group("one") else 2
        people = run(previous).people
        if wanted == 1:
            people = _meant(people, earlier)
        if len(people) == wanted or (wanted == 2 and len(people) == 1):
            return Referral(text=_named(text, people))
        if wanted == 1 and people and previous.op in _RANKED_PEOPLE and run(previous).leads:
            # "where is he?" after "who has the most of these?": the one ranked first, ahead of the rest.
            return Referral(text=_named(text, people[:1]))
        if len(people) > 1:
            return Referral(reply=_which_of(people))
        return None
    if _WHO_WROTE_THOSE.search(text):
        authors = _authors_of(previous)
        return Referral(query=authors) if authors else None
    ref = item
    if ref is None:
        ranking = _RANKING.search(text)
        rest = _words_in(text[: ranking.start()] + " " + text[ranking.end() :]) if ranking else None
        papers_of = _papers_listed(previous)
        if ranking and rest is not None and rest <= _POINTING_WORDS and papers_of is not None:
            # "which one of those got cited the most", "what is the most cited": only a ranking,
            # nothing else asked, so of the list before.
            return Referral(query=papers_of.with_(sort=_sort(ranking.group(0)), limit=1, offset=0))
        return None
    if ref.group("it") and topic:
        return None
    papers_of = _papers_listed(previous)
    rank = ref.group("sorted") or ref.group("which") or ref.group("bare")
    if rank:
        if papers_of is None:
            return None
        ranked = papers_of.with_(sort=_sort(rank), limit=1, offset=0)
        rest = {w.lower() for w in re.findall(r"[a-z']+", text[: ref.start()] + text[ref.end() :], re.I)}
        if rest <= _ASKING_WORDS:
            return Referral(query=ranked)  # "which of those is most cited?": that one paper
        papers = run(ranked).papers
    else:
        papers = run(previous).papers
    index = _index(ref)
    if not papers or index >= len(papers):
        return None
    title = papers[index if index >= 0 else len(papers) - 1]
    rest = f"{text[: ref.start()]}{text[ref.end() :]}"
    it = _IT_AGAIN.search(rest) if ref.group("ordinal") or ref.group("number") else None
    if it:
        # "the second one - who else is on it?": "it" is where the paper's title goes.
        return Referral(text=f"{rest[: it.start(1)]}“{title}”{rest[it.end(1) :]}")
    # "who wrote it with her?": who wrote the paper (she is among its authors).
    return Referral(text=f"{text[: ref.start()]}“{title}”{text[ref.end() :]}")


#: A pronoun left after a listed paper is picked ("the 2nd one - who else is on it?").
_IT_AGAIN = _rx(r"\b(?:on|of|in|about|behind|wrote|authored)\s+(it|that|this)\b")


def _subject_pointed(text: str, previous: Query) -> str | None:
    """The question with words that point at the last question's subject taken out or spelt out:
    "on that" / "about it" become its topic ("who else works on that?" after papers on speech);
    "there" and, after a question about a place's papers, "their" / "they" point at the place and
    go ("who publishes most from there?", "who are their top authors?"), the place then carried
    over as the subject the question lacks (see followup.py). None when nothing points so."""
    if previous.topic and not titled(previous.topic) and len(previous.topic.split()) <= TOPIC_WORDS_CARRIED:
        on = _ON_IT.search(text)
        if on:
            return f"{text[: on.start()]}{on.group('prep')} {previous.topic}{text[on.end() :]}"
    if previous.people or not previous.institution:
        return None
    pattern = _THERE if previous.op in _PEOPLE_LISTS else _THERE_OR_THEY
    if not pattern.search(text):
        return None
    return " ".join(pattern.sub(lambda m: "the" if m.group(0).lower() == "their" else " ", text).split())


#: A topic longer than this is a description of one paper, which "that" does not mean.
TOPIC_WORDS_CARRIED = 8
# "on that", "about it", "on this topic": the topic asked about before.
_ON_IT = _rx(
    r"\b(?P<prep>on|about|regarding)\s+(?:it|that|this|th(?:at|is|ose|ese)\s+(?:topics?|areas?|subjects?|stuff))"
    r"(?=\s*[?!.,]|\s*$|\s+(?:too|also|as\s+well|either|please|pls)\b)"
)
_THEIR = _rx(r"\b(?:their|they|them)\b")
_THERE = _rx(r"\b(?:(?:from|at|in)\s+)?there\b")
_THERE_OR_THEY = _rx(r"\b(?:(?:from|at|in)\s+)?there\b|\btheir\b|\bthey\b|\bthem\b")
#: Answers that rank people, most papers first: "he" after them is the first, as a reader takes it.
_RANKED_PEOPLE = frozenset({"who_works_on", "collaborators"})
#: Answers that list people, whom "they" means rather than the place they were asked at.
_PEOPLE_LISTS = frozenset({"who_works_on", "paper_authors", "collaborators", "common_coauthors"})
# "the first author", "the last author": of the paper whose authors the last answer listed.
_NTH_AUTHOR = _rx(rf"\b(?:the\s+)?({_ORDINAL})\s+author\b")
#: What follows "the first author" to say of which paper ("on that one", "of it"): the name replaces it too.
_NTH_OF_IT = _rx(
    rf"(?:\s+(?:on|of|for|in)\s+(?:(?:that|this|the)\s+(?:{_ONE}|[\w-]+\s+{_ONE})|it|that|this|the\s+paper))?"
)


#: "more than X", "more or fewer papers than him", "cited more than her": a comparison with someone.
_MORE_THAN = _rx(
    r"\b(?:more|fewer|less|higher|lower|bigger)\b(?:\s+or\s+(?:more|fewer|less))?(?:\s+(?:papers|pubs|"
    r"publications|citations|cited|often))?\s+than\s+(?P<who>[^?!.,;]+?)\s*[?!.]*\s*$"
)
#: Operations about one person whose answer is a number of papers (or a list of them).
_ONE_PERSON_OPS = frozenset({"count", "papers_by", "profile", "top_venue", "top_year"})


def _other_person(who: str, before: str, residual: str, asked: str, earlier: tuple[str, ...]) -> str | None:
    """Whom "than …" compares the person asked about with: a name said there, "him"/"her" (the
    person named earlier in the question, else the one the conversation asked about before)."""
    who = who.strip()
    if not _PERSON.fullmatch(who):
        # A word of the name of someone asked about before ("than katz") is that person.
        holders = _holders(who, earlier, but=asked)
        return holders[0] if len(holders) == 1 else who
    said = re.sub(r"^\W*(?:(?:and|also|what\s+about|how\s+about|ok|so)\W+)*", "", before).strip(" -–—,:")
    if "⟨P" in residual and said:
        return said
    others = [p for p in earlier if p != asked]
    return others[-1] if others else None


def _holders(word: str, earlier: tuple[str, ...], but: str = "") -> list[str]:
    """The people asked about before (`but` one aside) with this word in their name ("taylor" of
    Taylor Berg-Kirkpatrick, "katz" of Michael Katz)."""
    word = word.lower()
    return [p for p in earlier if p != but and word in re.split(r"[\s-]+", p.lower())]


def _names_first(residual: str, than: re.Match[str]) -> bool:
    """Whether the question names the other person before "than" ("and X - more than him?")."""
    return "⟨P" in residual and bool(_PERSON.fullmatch(than.group("who").strip()))


def _meant(people: tuple[str, ...], earlier: tuple[str, ...]) -> tuple[str, ...]:
    """Of several people an answer listed, the one the conversation asked about before, if one was."""
    asked = [p for p in people if p in earlier]
    return (asked[0],) if len(people) > 1 and len(asked) == 1 else people


def pages(text: str) -> bool:
    """Whether a message only asks for more of the last answer ("more", "next", "page 2")."""
    return _PAGE.match(text) is not None


#: The reply to "more" or "next" with no answer before it in the conversation.
NOTHING_TO_PAGE = (
    "There is no earlier answer here to continue: ask a question first (a list longer than one "
    "message has a Next button under it)."
)


def _which_of(people: tuple[str, ...]) -> str:
    named = list(people[:ASKED_BACK_MOST])
    if len(people) > ASKED_BACK_MOST:
        named.append("someone else in the list")
    listed = ", ".join(named[:-1]) + " or " + named[-1]
    return f"Who do you mean: {listed}? Ask again with the name."


def _page(previous: Query, last: Shown, page: str | None) -> Referral:
    following = last.more
    listed = _papers_listed(previous)
    if following is None and previous.op in {"profile", "count"} and listed is not None:
        # "more" after a profile or a count: the papers behind it, after those it showed.
        following = listed.with_(offset=0 if previous.op == "profile" else len(last.papers))
    if (
        following is None
        and previous.op in _PAPER_LISTS
        and previous.limit
        and len(last.papers) >= previous.limit
    ):
        # "more" after "the most cited paper on X" (one asked, one shown): the next few.
        following = previous.with_(
            offset=previous.offset + previous.limit, limit=max(previous.limit, PAGED_AFTER_TOP)
        )
    if following is None:
        return Referral(reply="That was all I found for that question; ask another, or narrow it down.")
    if page is not None:
        size = max(1, following.offset - previous.offset)
        return Referral(query=following.with_(offset=max(0, int(page) - 1) * size))
    return Referral(query=following)


def _paper_meant(text: str, titles: tuple[str, ...]) -> str | None:
    """The listed paper a question means: by its place ("the 2nd one"), by a word of its title
    ("the rhino one"), else the first."""
    if not titles:
        return None
    ref = _PAPER_REF.search(text)
    if ref is not None and not ref.group("sorted") and not ref.group("which") and not ref.group("bare"):
        index = _index(ref)
        return titles[index] if index < len(titles) else None
    described = _DESCRIBED_ONE.search(text)
    if described:
        said = _words_in(described.group(1)) - _POINTING_WORDS
        having = [t for t in titles if said and said <= _words_in(t)]
        if len(having) == 1:
            return having[0]
    return titles[0]


def _words_in(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[\w'’-]+", text.lower()))


# "the rhino one", "the kazakh paper": a listed paper by a word of its title.
_DESCRIBED_ONE = _rx(rf"\bthe\s+([\w-]+(?:\s+[\w-]+)?)\s+{_ONE}\b")


def _sort(words: str) -> Sort:
    for word, sort in _SORT_WORDS.items():
        if word in words.lower():
            return sort  # type: ignore[return-value]
    return "citations"


def _index(ref: re.Match[str]) -> int:
    """Position in the list a reference means: 0 for "it" or a ranking, -1 for "the last one"."""
    if ref.group("number"):
        return int(ref.group("number")) - 1
    return _position(ref.group("ordinal") or "")


def _position(ordinal: str) -> int:
    """Position in a list an ordinal means ("second": 1, "last": -1); the first for none."""
    ordinal = ordinal.lower()
    return -1 if ordinal == "last" else _ORDINALS.get(ordinal, 1) - 1


def _papers_listed(previous: Query) -> Query | None:
    """The list of papers behind the last answer, which "those" means; None when it listed none."""
    if previous.op in _PAPER_LISTS:
        return previous
    if previous.op == "collab_check":
        return previous.with_(op="joint_papers")
    if previous.op in {"profile", "count"} and len(previous.people) == 1:
        return previous.with_(op="papers_by", count_of=None)
    if previous.op == "count" and len(previous.people) == 2:
        return previous.with_(op="joint_papers", count_of=None)
    if previous.op in {"who_works_on", "overview", "count"} and (previous.topic or previous.institution):
        return Query(
            op="find_papers",
            topic=previous.topic,
            institution=previous.institution,
            venue=previous.venue,
            venues=previous.venues,
            year_from=previous.year_from,
            year_to=previous.year_to,
        )
    return None


def _authors_of(previous: Query) -> Query | None:
    """Who wrote the papers the last answer listed: its people's coauthors, or everyone on the topic."""
    listed = _papers_listed(previous)
    if listed is None:
        return None
    if listed.op == "papers_by":
        return listed.with_(op="collaborators", sort="relevance", limit=None)
    if listed.op == "joint_papers":
        return listed.with_(op="common_coauthors", sort="relevance", limit=None)
    return listed.with_(op="who_works_on", sort="relevance", limit=None)


def _first_capital(text: str) -> int:
    m = re.search(r"\b[A-Z]", text)
    return m.start() if m else len(text)


def _named(text: str, people: tuple[str, ...]) -> str:
    """The question with its pronouns swapped for the people they stand for."""
    names = " and ".join(people[:2])

    def swap(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        possessive = word in {"his", "their", "theirs", "hers"} or (
            word == "her" and bool(_POSSESSIVE_NEXT.match(text[m.end() :]))
        )
        return f"{names}'s" if possessive else names

    return _PERSON.sub(swap, text)
