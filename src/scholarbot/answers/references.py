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
    #: The papers each person shown has in the answer, in the order shown ("you said 5 — which ones").
    counts: tuple[int, ...] = ()
    #: The authors of the papers shown, each once, in the order shown: whom "what else has xia
    #: done?" means when a listed paper has a Xia among its authors.
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Referral:
    """How to answer a question that points back: read `text` instead, run `query`, or say `reply`."""

    text: str | None = None
    query: Query | None = None
    reply: str | None = None
    #: Said before the answer to `query` ("why him?": whom the joint papers explain).
    lead: str | None = None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_POLITE = r"(?:\s*(?:please|pls|plz|thx|thanks)\b)?"
# "more", "next", "page 2", "the rest", "keep going", "and?", "show me more please", "show all".
_PAGE = _rx(
    r"^\W*(?:(?:ok(?:ay)?|and|so|now)\W+)?(?:(?:show|give|list|send|get)\s+(?:me\s+|us\s+)?)?"
    r"(?:(?:some\s+|any\s+)?more(?:\s+of\s+(?:them|those|these))?|next(?:\s+(?:page|one|ones|\d+))?|"
    r"(?:the\s+)?rest(?:\s+of\s+(?:them|those|it))?|(?:go\s+to\s+)?page\s+(?P<page>\d{1,3})|keep\s+going|continue|"
    r"go\s+on|and|anything\s+else|any\s+others?|others?|all(?:\s+of\s+(?:them|those|these|it))?|them\s+all|"
    r"(?:the\s+)?(?:whole|full|entire|complete)\s+list)"
    rf"{_POLITE}\W*$"
)
# "sorry i meant X", "no, I mean X", "oops meant X": the question before, about X instead.
_MEANT = _rx(r"^\W*(?:(?:no|nope|sorry|oops|my\s+bad|ah|wait|actually)\W+)*(?:i\s+)?mean[t]?\b\W*")

# "back to X", "ok, going back to X - ...": the conversation returns to someone asked about before.
_BACK_TO = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|now|alright|right|thx|thanks|ty|cool|nice|great|lol|fine|got\s+it)\W+)*"
    r"(?:going\s+|let'?s\s+go\s+|let\s+us\s+go\s+)?back\s+to\s+"
    r"(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,4}?)(?:\s*[-–—,:;.?!]+\s*|\s*$|\s+(?=(?:what|how|who|which|where|when|"
    r"does|did|is|has|can|and|his|her|their)\b))(?P<rest>.*)$"
)
# "the hku one", "the hong kong baptist one": which of several namesakes.
_THE_ONE = _rx(r"the\s+(?!other\b)[\w'’.-]+(?:\s+[\w'’.-]+){0,3}\s+(?:one|guy|person)")
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
    quoted: int | None = None,
    before: Query | None = None,
) -> Referral | None:
    """How to answer `text`, a question in a conversation whose last query was `previous`; None when
    it does not point back at the last answer. `residual` is the text with the people it names as
    ⟨P1⟩…, `topic` the topic it names itself; `run` runs a query to see what its answer shows (only
    called when needed); `earlier` are the people the conversation asked about before, whom a
    pronoun means when the last answer listed several; `quoted` is a number the question quoted
    from the last answer ("you said 5 — which ones?", see `unquoted`); `before` is the query of the
    turn before the last, whose list a paper named by its title's words may come from."""
    text = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(0).lower()], text)
    run = _once(run)
    page = _PAGE.match(text)
    if page:
        if previous.op == "paper_authors" and before is not None:
            # "show all" after "who wrote it?": the rest of the list the paper was picked from.
            return _page(before, run(before), page.group("page"))
        return _page(previous, run(previous), page.group("page"))
    basis = _basis(text, previous, run, quoted)
    if basis is not None:
        return basis
    back = _BACK_TO.match(text)
    if back:
        # "ok back to nguyen - what's his most cited one?": the rest is about the person named,
        # whom the conversation asked about before under their full name.
        said = back.group("who").strip()
        rest = back.group("rest").strip()
        one = _THE_ONE.fullmatch(said)
        if one and len(previous.people) == 1 and rest:
            # "back to the hong kong baptist one — who does she write with": that namesake of the
            # person asked about, said as the reader knows it ("…, the hong kong baptist one").
            return Referral(text=f"{_named(rest, previous.people).rstrip(' ?')}, {said}")
        who = next((p for p in earlier if said.lower() in p.lower().split()), None) or said
        if rest and _PERSON.search(rest):
            return Referral(text=_named(rest, (who,)))
        # ("ok back to ng - anything on legal stuff?": his papers on it, not the last question.)
        return Referral(text=f"{who}: {rest}" if rest else f"what about {who}?")
    than = _MORE_THAN.search(text)
    if than and len(previous.people) == 1 and previous.op in _ONE_PERSON_OPS:
        # "is that more than sebastian ordyniak?", "and X - more or fewer papers than him?": the
        # person asked about and the other, compared within the same filters.
        asked = previous.people[0]
        other = _other_person(
            than.group("who"), text[: than.start()], residual, asked, earlier, lambda: run(previous)
        )
        if other is not None:
            first, second = (
                (other, previous.people[0]) if _names_first(residual, than) else (previous.people[0], other)
            )
            if other == asked:
                # "is fung more cited than madotto?" after a question about Madotto: Fung, asked
                # about earlier, against him.
                said = [h for w in _words_in(text[: than.start()]) for h in _holders(w, earlier, but=other)]
                if len(set(said)) != 1:
                    return None
                first, second = said[0], other
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
    word = _NAME_WORD.fullmatch(topic.strip()) if topic and "⟨P" not in residual else None
    if word:
        # "where's taylor based?" in a thread about Taylor Berg-Kirkpatrick, "what else has xia done?"
        # after a list with a paper by Lianghao Xia: a word of the name of one person the
        # conversation asked about, or else of one the last answer showed, is that person, not a topic.
        holders = _holders(word.group(1), earlier)
        if not holders and not _as_subject(text, word.group(1)):
            holders = _shown_holders(word.group(1), run(previous))
        if len(holders) == 1:
            return Referral(
                text=re.sub(rf"\b{re.escape(word.group(1))}\b", holders[0], text, count=1, flags=re.I)
            )
    meant = _MEANT.match(text)
    if meant and text[meant.end() :].strip():
        # The question before, about what is meant instead: read as "what about X?".
        return Referral(text="what about " + text[meant.end() :])
    nth = _NTH_AUTHOR.search(text)
    if nth and (previous.op == "paper_authors" or previous.op in _PAPER_LISTS or _DESCRIBED_ONE.search(text)):
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
        described = _DESCRIBED_ONE.search(text)
        if described and previous.op != "paper_authors":
            # A paper the last answer did not list: its authors, in order, found by those words.
            return Referral(text=f"who wrote the {described.group(1)} paper?")
    listed = _listed_paper(text, residual, lambda: run(previous).papers)
    if listed is None and before is not None:
        prior = before
        listed = _listed_paper(text, residual, lambda: run(prior).papers)
    if listed is not None:
        # "who wrote the kronecker one?", "who's on the survey": the paper of the last answer (or
        # of the one before it, after "which is most cited?") whose title has those words, not a
        # search of the whole store for them.
        return Referral(text=text.replace(listed[0], f"“{listed[1]}”", 1))
    # ("who's on most of them" after a place's papers: them is the list, not the place.)
    place_pointed = (
        previous.institution and not previous.people and _THEIR.search(text) and not _OF_THOSE.search(text)
    )
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
        whom = _meant(previous.people or run(previous).people, earlier)
        if len(whom) == 1:
            return Referral(text=_named(text, whom))
        return Referral(reply=_which_of(whom)) if whom else None
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
    if (
        previous.topic
        and not titled(previous.topic)
        and len(previous.topic.split()) <= TOPIC_WORDS_CARRIED
        and not _DESCRIBED_ONE.search(text)  # ("the triaffine one - who's on it": it is that paper)
    ):
        on = _ON_IT.search(text)
        if on:
            return f"{text[: on.start()]}{on.group('prep')} {previous.topic}{text[on.end() :]}"
    if previous.people or not previous.institution:
        return None
    pattern = _THERE if previous.op in _PEOPLE_LISTS else _THERE_OR_THEY
    if not pattern.search(text):
        return None

    def said(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word.endswith("there"):
            # "who works there?": at the place, named ("who works" alone asks nothing).
            return f"at {previous.institution}"
        return "the" if word == "their" else " "

    return " ".join(pattern.sub(said, text).split())


#: A topic longer than this is a description of one paper, which "that" does not mean.
TOPIC_WORDS_CARRIED = 8
# "on that", "about it", "on this topic": the topic asked about before.
_ON_IT = _rx(
    r"\b(?P<prep>on|about|regarding)\s+(?:it|that|this|th(?:at|is|ose|ese)\s+(?:topics?|areas?|subjects?|stuff))"
    r"(?=\s*[?!.,]|\s*$|\s+(?:too|also|as\s+well|either|please|pls)\b)"
)
_THEIR = _rx(r"\b(?:their|they|them)\b")
_OF_THOSE = _rx(r"\bof\s+(?:those|these|them)\b")
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
    r"publications|citations|cited|often))?\s+than\s+(?P<who>[^?!.,;]+?)"
    r"(?:\s+(?:has|have|had|does|did|is|overall|in\s+total|altogether|in\s+here|here|now|then|lol|"
    r"in\s+the\s+records))*\s*[?!.]*\s*$"
)
#: Operations about one person whose answer is a number of papers (or a list of them).
_ONE_PERSON_OPS = frozenset({"count", "papers_by", "profile", "top_venue", "top_year"})


def _other_person(
    who: str, before: str, residual: str, asked: str, earlier: tuple[str, ...], shown: Callable[[], Shown]
) -> str | None:
    """Whom "than …" compares the person asked about with: a name said there, "him"/"her" (the
    person named earlier in the question, else the one the conversation asked about before)."""
    who = who.strip()
    if not _PERSON.fullmatch(who):
        # A word of the name of someone asked about before ("than katz"), else of someone the last
        # answer showed ("than kouvaros" after Lomuscio's coauthors), is that person; of the person
        # asked about, they ("is fung more cited than madotto?" after Madotto).
        if _holders(who, (asked,)):
            return asked
        holders = _holders(who, earlier, but=asked) or _shown_holders(who, shown(), but=asked)
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
    # A word of two letters ("lu", "ng") is a surname only: "ai" or "li" inside a name says little.
    named = [p.lower().split()[-1:] if len(word) < 3 else re.split(r"[\s-]+", p.lower()) for p in earlier]
    return [p for p, words in zip(earlier, named, strict=True) if p != but and word in words]


def _shown_holders(word: str, shown: Shown, but: str = "") -> list[str]:
    """The people the last answer showed with this word in their name: those it listed, else the
    authors of the papers it listed."""
    return _holders(word, shown.people, but) or _holders(word, shown.authors, but)


#: A topic of one word that may be a word of someone's name ("xia", "xia's").
_NAME_WORD = _rx(r"([^\W\d_]{2,})(?:['’]s)?")


def unquoted(text: str) -> tuple[str, int | None]:
    """A follow-up without what it quotes of the last answer, and the number quoted: "you said 8 for
    naacl — which has the most citations" asks "which has the most citations" of the list that
    answer gave; "which of henderson's is most cited - source?" asks the question (every answer
    cites its papers)."""
    said = _YOU_SAID.match(text)
    number = None
    if said and text[said.end() :].strip():
        number, text = int(said.group("n")), text[said.end() :]
    tail = _SOURCE_TAIL.search(text)
    if tail and _CONTENT_BEFORE.search(text[: tail.start()]):
        text = text[: tail.start()]
    return text.strip(), number


# "you said 5 — which ones", "u said 8 for naacl, which…", "earlier you said there were 12. which…"
_YOU_SAID = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|but|wait|hm+|and)\W+)*(?:(?:earlier|before)\s+)?(?:you|u)\s+(?:said|say|told\s+me)\s+"
    r"(?:(?:there\s+(?:are|were|was)|(?:he|she|they)\s+(?:has|have|had))\s+)?(?P<n>\d{1,5})\b"
    r"(?:\s+(?!(?:which|what|who|how|so|and|but)\b)[\w.'’-]+){0,4}?\s*(?:[—–:;,.!?]|\s-\s|\s+(?=(?:which|what|who|how|so|and|but)\b))\s*"
)
# "… - source?", "…, sources pls": asking for the sources every answer gives anyway.
_SOURCE_TAIL = _rx(
    r"\s*(?:[-–—,;(]\s*|\s+(?:with|and|plus|\+)\s+)(?:(?:and\s+|with\s+)?(?:the\s+)?(?:source|sources|refs?|references?|links?)"
    r"(?:\s+(?:pls|please|plz))?)\s*\??\)?\s*$"
)
_CONTENT_BEFORE = _rx(r"[a-z]{3,}")
# "source?", "how do you know?", "says who?", "where does it say that?": the basis of the last answer.
_BASIS = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|and|but|hm+|wait|really)\W+)*(?:(?:what(?:\s+is|'s)?\s+the\s+)?(?:source|sources|citation|citations|"
    r"refs?|references?|proof|evidence)|says\s+who|according\s+to\s+(?:what|whom?)|based\s+on\s+what|"
    r"what\s+is\s+that\s+based\s+on|how\s+do\s+(?:you|u)\s+know(?:\s+that)?|"
    r"(?:where|how)\s+(?:does|did)\s+it\s+say(?:\s+(?:that|so))?|where\s+is\s+that\s+from|"
    r"what\s+makes\s+(?:you|u)\s+say\s+(?:that|so))(?:\s+(?:pls|please|plz))?\s*\W*$"
)
# "where does it say she's at uva?", "how do you know he is at dataminr": the claim, asked again.
_SAYS_THAT = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|and|but|hm+|wait)\W+)*(?:(?:where|how)\s+(?:does|did)\s+it\s+say|how\s+do\s+(?:you|u)\s+know|"
    r"what\s+makes\s+(?:you|u)\s+(?:say|think)|why\s+do\s+(?:you|u)\s+(?:say|think))\s+(?:that\s+)?(?P<claim>.+?)\s*\W*$"
)
# "she is at uva", "he was at google": who and what the claim says.
_CLAIM = _rx(r"^(?P<who>.+?)(?:\s+(?:is|was|are|were|works|worked)|['’](?:s|re))\s+(?P<rest>.+)$")
# "why him?", "why her", "why them?", "why is he first?", "why X?": why the last answer named someone.
_WHY = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|and|but|hm+|wait|huh)\W+)*why\s+(?:(?:is|was|are)\s+)?(?P<who>him|her|them|he|she|they|"
    r"that\s+(?:person|guy|one)|[\w'’.-]+(?:\s+[\w'’.-]+){0,2}?)(?:\s+(?:first|on\s+top|top|listed|there|in\s+there|"
    r"at\s+the\s+top|number\s+one))?\s*\W*$"
)


def _basis(text: str, previous: Query, run: Callable[[Query], Shown], quoted: int | None) -> Referral | None:
    """What a question asking why, or on what grounds, the last answer said something points at: the
    papers behind it ("why him?" after someone's coauthors: their joint papers), the claim asked as a
    question ("where does it say she's at uva?": is she at UVA, by the papers that print it), or the
    last answer again with its sources ("source?"); a number quoted from a ranking of people ("you
    said 5 — which ones?") is the papers of the one shown with that many."""
    if quoted is not None and _WHICH_ONES.match(text):
        shown = run(previous)
        holders = [p for p, n in zip(shown.people, shown.counts, strict=False) if n == quoted]
        if len(holders) == 1 and previous.op in _RANKED_PEOPLE:
            return Referral(query=_papers_behind(previous, holders[0]))
        listed = _papers_listed(previous)
        if listed is not None:
            return Referral(query=listed)
    why = _WHY.match(text)
    if why and previous.op in _RANKED_PEOPLE:
        shown = run(previous)
        who = why.group("who").lower()
        pointed = who in {"him", "her", "them", "he", "she", "they"} or who.startswith("that ")
        named = shown.people[:1] if pointed else tuple(_holders(who.split()[-1], shown.people))
        if len(named) == 1:
            return Referral(query=_papers_behind(previous, named[0]), lead=f"Why {named[0]}:")
    if _BASIS.match(text):
        return Referral(query=previous, lead="The records behind that answer:")
    says = _SAYS_THAT.match(text)
    if says:
        claim = _CLAIM.match(says.group("claim"))
        if claim:
            return Referral(text=f"is {claim.group('who')} {claim.group('rest')}?")
        if len(previous.people) == 1 and not _PERSON.search(says.group("claim")):
            # "where does it say google" after "is tal linzen at nyu or google now?": at Google.
            return Referral(text=f"is {previous.people[0]} at {says.group('claim')}?")
    return None


# "which ones", "which", "what are they", "list them", "which papers": the list behind a number.
_WHICH_ONES = _rx(
    r"^\W*(?:(?:ok(?:ay)?|so|and|but)\W+)*(?:which(?:\s+(?:ones?|papers?|of\s+them|are\s+they|were\s+they))?|"
    r"what\s+(?:are|were)\s+(?:they|those|the\s+\w+)|(?:list|name|show)\s+(?:them|those|me\s+them)|"
    r"what\s+papers?)(?:\s+(?:pls|please|plz))?\s*\W*$"
)


def _papers_behind(previous: Query, person: str) -> Query:
    """The papers that put someone in a ranking of people: their joint papers with the person the
    ranking was about (coauthors), or their papers on its topic or place (who works on it)."""
    if previous.op == "collaborators" and previous.people:
        ids = (previous.person_ids[0], None) if previous.person_ids else ()
        return previous.with_(
            op="joint_papers", people=(previous.people[0], person), person_ids=ids, limit=None, offset=0
        )
    return previous.papers_within("papers_by", people=(person,))


def _as_subject(text: str, word: str) -> bool:
    """Whether a question says a word as what papers are about ("and on bert?", "rose papers"),
    where it is no person's name though someone the last answer showed carries it."""
    w = re.escape(word)
    return bool(
        re.search(
            rf"\b(?:on|about|regarding|re|in|for|of|with|using)\s+{w}\b(?!['’]s)|"
            rf"\b{w}\s+(?:papers?|stuff|work|models?|research|topics?|ones?)\b",
            text,
            re.I,
        )
    )


def _once(run: Callable[[Query], Shown]) -> Callable[[Query], Shown]:
    """`run`, answering each query once however often a question's reading asks what it shows."""
    seen: dict[Query, Shown] = {}

    def shown(query: Query) -> Shown:
        if query not in seen:
            seen[query] = run(query)
        return seen[query]

    return shown


def _listed_paper(text: str, residual: str, titles: Callable[[], tuple[str, ...]]) -> tuple[str, str] | None:
    """The words of a question that name a paper the last answer listed by a word or two of its
    title ("the kronecker one", "the survey", "the kenya paper"), and that paper's title; None when
    no such words name exactly one listed paper. Words the linker read as a venue, year or person
    ("the ACL one", "the 2022 ones") are not title words here."""
    kept = _words_in(residual)
    for pattern in (_DESCRIBED_ONE, _DESCRIBED_LAST):
        for m in pattern.finditer(text):
            if re.search(r"\b(?:ones|papers)$", m.group(1), re.I):
                continue  # "the ocean ones" narrow the list to several, not one paper
            said = _words_in(m.group(1)) - _POINTING_WORDS - _NOT_DESCRIBING
            if not said or not said <= kept or any(w.isdigit() for w in said):
                continue
            having = [t for t in dict.fromkeys(titles()) if _title_has(t, said)]
            if len(having) == 1:
                return m.group(0), having[0]
    return None


def _title_has(title: str, said: frozenset[str]) -> bool:
    """Whether every word said is a word of the title, or the start of one ("kenya" of "Kenyan")."""
    have = set(re.findall(r"[^\W_]+", title.lower())) | set(_words_in(title))

    def has(word: str) -> bool:
        if word in have or len(word) < TITLE_PREFIX_LETTERS:
            return word in have
        # ("surveys" for "Survey": a title word with a plural ending said, not any word it starts.)
        return any(
            t.startswith(word) or (len(t) >= 3 and word.startswith(t) and len(word) <= len(t) + 2)
            for t in have
        )

    return all(has(w) for w in said)


#: Letters a said word needs before it may stand for a longer word of a title ("kenya", "survey").
TITLE_PREFIX_LETTERS = 4
# "who's on the survey", "what's the depth paper about?": "the" and a word or two ending a clause.
_DESCRIBED_LAST = _rx(r"\bthe\s+([\w-]+(?:\s+[\w-]+)?)(?=\s*(?:[?!.,;:]|[-–—]|$))")
#: Words after "the" that say which of a list by its place or rank, or are no paper's subject.
_NOT_DESCRIBING = words(
    """
    first second third fourth fifth last latest newest oldest earliest recent most cited top best
    citations citation cites popular influential known newer older highest lowest least fewest
    other others rest same whole list thread answer records record data database store one ones
    author authors people person guy team lab group place venue year years time conference
    """
)


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
        having = [t for t in titles if said and _title_has(t, said)]
        # ("the flooding one" when no listed title says "flooding": none of them.)
        return having[0] if len(having) == 1 else None
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
        return previous.papers_within()
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
