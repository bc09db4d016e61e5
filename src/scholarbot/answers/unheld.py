"""What a question asks that the records do not hold, said plainly before the nearest answer they give.

The records keep papers (titles, abstracts, authors, their affiliations, venues, years, citation
counts) and nothing else: no h-index, no email, no advisor, no acceptance rate, no results table, and
only the venues that were ingested. A question for one of those is not a search for the words
"h-index" or "EMNLP": the answer says what is missing, then answers the nearest question the records
can ("what's her h-index" → her most cited papers; "what did X publish at EMNLP" → X's papers).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from scholarbot.answers.linking import KNOWN_VENUES


@dataclass(frozen=True)
class Unheld:
    """The question with the unheld ask replaced by the nearest one the records answer, and the
    sentence that leads the answer."""

    text: str
    lead: str
    #: A venue the records lack ("EMNLP"), the ask left out; None for the other asks.
    venue: str | None = None


@dataclass(frozen=True)
class _Ask:
    pattern: re.Pattern[str]
    nearest: str  # words that ask the nearest question the records answer
    missing: str  # "The records hold no {missing}"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# Someone's: "X's", "his", "her", "their" (a word may come between: "her personal email").
_WHOSE = r"(?:['’]s|\b(?:his|her|their|its))\s+(?:\w+\s+)?"
_CONTACT = (
    r"\b(?:e-?mail(?:\s+address)?|contact\s+(?:details|info(?:rmation)?)|phone\s+number|"
    r"(?:twitter|x|bluesky|mastodon|github|linkedin)\s+(?:handle|account|profile)|twitter|linkedin|"
    r"homepage|website)s?\b"
)
_JOBS = (
    r"(?:internships?|interns|job\s+(?:openings?|postings?|offers?)|openings?|open\s+positions?|vacanc(?:y|ies)|"
    r"(?:postdoc|phd|research)\s+(?:positions?|openings?|spots?))\b"
)
_ASKS: tuple[_Ask, ...] = (
    _Ask(
        _rx(r"\b(?:h|i10)[- ]?index(?:es)?\b|\bhindex\b"),
        "most cited papers",
        "h-index (only the citation counts of the papers here, most cited first below)",
    ),
    _Ask(
        _rx(
            rf"{_CONTACT}\s+(?:for|of)\b|{_WHOSE}{_CONTACT}|"
            r"\bhow\s+(?:can|do|could|would)\s+i\s+(?:contact|reach|email|e-mail)\b"
        ),
        "profile",
        "contact details or social accounts",
    ),
    _Ask(
        _rx(
            rf"{_WHOSE}(?:phd\s+|grad(?:uate)?\s+|former\s+|current\s+|doctoral\s+)?"
            r"(?:students?|advisees?|mentees?|advisors?|advisers?|supervisors?)\b|"
            r"\b(?:phd\s+|doctoral\s+)?(?:students?|advisees?|advisors?|advisers?|supervisors?)\s+of\b|"
            r"\bwho\s+(?:supervised|advised|supervises|advises)\b"
        ),
        "coauthors",
        "record of who advises whom (their most frequent coauthors are below)",
    ),
    _Ask(
        _rx(r"\bacceptance\s+rates?\b|\bhow\s+many\s+(?:submissions|papers\s+were\s+submitted)\b"),
        "number of papers",
        "acceptance rates: only accepted papers are in them, not submissions",
    ),
    _Ask(
        # "are they hiring nlp interns?", "does grammarly offer internships", "any phd openings at
        # KAUST?": what the place or person has published lately instead.
        _rx(
            r"\b(?:is|are|was|were)\s+(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,3}?)\s+(?:still\s+|currently\s+)?"
            r"(?:hiring|recruiting|taking\s+(?:on\s+)?(?:interns|students|postdocs))\b[^?]*|"
            rf"\b(?:do|does|did)\s+(?P<has>[\w'’.-]+(?:\s+[\w'’.-]+){{0,3}}?)\s+(?:have|offer|take)\s+(?:any\s+)?{_JOBS}[^?]*|"
            rf"\bany\s+{_JOBS}\s+(?:at|with|in|from)\s+(?P<at>[^?]+)"
        ),
        "what has {who} published lately",
        "jobs, hiring or internships (only papers; the newest are below)",
    ),
    _Ask(
        # "how many people work at fuxi", "how many employees do they have": a headcount.
        _rx(
            r"\bhow\s+many\s+(?:people|employees|staff|folks|engineers|workers)\s+"
            r"(?:work|works|are\s+there|do\s+they\s+have|does\s+it\s+have|are\s+(?=at|in)|do\s+\w+\s+employ)"
        ),
        "who works",
        "headcounts (only the researchers who print the place on papers here, below)",
    ),
    _Ask(
        _rx(
            r"\bwhat\s+(?:accuracy|f1(?:[- ]score)?|bleu(?:\s+score)?|score|results?|performance)\s+"
            r"(?:did|does|do|was|were|is)\b[^?]*|\bhow\s+(?:well|accurate)\s+(?:did|does|do|is|was)\s+"
            r"(?:it|they|that|this)\b[^?]*"
        ),
        "what is it about",
        "results tables (only titles and abstracts; the abstract below may state them)",
    ),
)

#: Words before a venue's name that say it is one: "at ICML", "in the ISWC proceedings".
_CUE = r"(?:at|in|to|for|from|@)\s+(?:the\s+)?"


def unheld(text: str, venues: Collection[str], named: Sequence[str] = ()) -> Unheld | None:
    """The ask of `text` the records do not hold, if any, given the venue names they hold (and
    those of them to name when one asked about is not among them)."""
    for ask in _ASKS:
        m = ask.pattern.search(text)
        if m is not None:
            nearest = _nearest(ask, m.group(0))
            if "{who}" in nearest:
                who = next(g for g in (m.group("who"), m.group("has"), m.group("at"), "they") if g)
                nearest = nearest.format(who=who.strip())
            if nearest == "who works" and not re.match(r"\s*(?:at|in|from|for)\b", text[m.end() :], re.I):
                nearest = "who works there"  # "how many employees do they have" after a place
            asked = " ".join(f"{text[: m.start()]}{nearest}{text[m.end() :]}".split())
            return Unheld(asked, f"The records hold no {ask.missing}.")
    held = {v.casefold() for v in venues}
    for venue in sorted(KNOWN_VENUES):
        if venue.casefold() in held:
            continue
        # Long names stand alone ("emnlp papers"); short ones need "at"/"in" before them ("at KDD").
        cue = f"(?:\\b{_CUE})?" if len(venue) >= 4 else rf"\b{_CUE}"
        m = re.search(rf"{cue}\b{venue}(?:\s*['’]?\d{{2,4}})?\b", text, re.I)
        if m is None:
            continue
        names = ", ".join(named or sorted(venues)) or "none yet"
        rest = " ".join(f"{text[: m.start()]} {text[m.end() :]}".split())
        return Unheld(
            rest, f"{venue} is not among the venues in the records ({names}); what they hold:", venue
        )
    return None


def _nearest(ask: _Ask, said: str) -> str:
    """The words that ask the nearest question, fitted where the unheld ask stood: "X's phd
    students" → "X's coauthors", "her email" → "her profile", "email for X" → "profile of X"."""
    whose = re.match(r"['’]s|his|her|their|its", said, re.I)
    if whose:
        return f"{whose.group(0)} {ask.nearest}"
    if re.search(r"\b(?:for|of|contact|reach|email|e-mail)$", said.strip(), re.I):
        return f"{ask.nearest} of"
    if ask.nearest == "coauthors" and said.lower().startswith("who"):
        return "who wrote with"  # "who supervised X" → "who wrote with X"
    return ask.nearest
