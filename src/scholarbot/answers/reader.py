"""Classify a question and pull out the person and topic it names, by rules (no LLM needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Intent = Literal["collab", "papers_by", "profile", "find_paper", "compare", "topic", "overview"]

#: Questions longer than this are cut before parsing; the rest is kept as topic text.
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Parsed:
    """What a question asks for."""

    intent: Intent
    person: str | None = None
    other: str | None = None
    topic: str | None = None
    #: Inclusive year range the question limits itself to ("in 2022", "since 2021").
    year_from: int | None = None
    year_to: int | None = None


_NAME = r"(?P<person>[^?,;]+?)"
_NAME2 = r"(?P<person2>[^?,;]+?)"
_TOPIC = r"(?:\s+(?:on|about|in|regarding|for|around)\s+(?P<topic>.+?))?"
_END = r"\s*[?.!]*\s*$"

_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        "overview",
        re.compile(
            r"^(?:what\s+are\s+(?:the\s+|some\s+)?(?:open|unsolved|remaining|main|key)\s+(?:problems|questions|"
            r"challenges|issues|limitations)|what\s+(?:is|do\s+we)\s+(?:known|know|new)|summari[sz]e(?:\s+the)?"
            r"(?:\s+(?:research|work|literature))?|(?:give\s+me\s+)?an?\s+overview\s+of(?:\s+the)?"
            r"(?:\s+(?:research|work|literature))?)\s*(?:in|on|of|for|about|with)?\s+(?P<topic>.+?)" + _END,
            re.I,
        ),
    ),
    (
        "collab",
        re.compile(
            r"^(?:who|what)\s+(?:are|is)\s+" + _NAME + r"'s\s+(?:collaborators|co-?authors)" + _TOPIC + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^(?:what|which)\s+(?:are|is)\s+" + _NAME + r"'s\s+(?:papers|publications|work)" + _TOPIC + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^(?:what|which)\s+(?:papers|work|publications|articles)\s+(?:has|have|did|does)\s+"
            + _NAME
            + r"\s+(?:published|publish|written|write|authored|author|produced)\b"
            r"(?:\s+(?:on|about|regarding|in)\s+(?P<topic>.+?))?" + _END,
            re.I,
        ),
    ),
    (
        "collab",
        re.compile(
            r"^(?:who\s+(?:else\s+)?(?:are|is)\s+)?(?:who\s+)?(?:(?:are\s+)?the\s+)?"
            r"(?:collaborat(?:es|ors?|ed|ing)|co-?authors?|co-?authored|works?|worked|writes?|wrote|"
            r"publish(?:es|ed)?)\s+(?:of|with)\s+" + _NAME + _TOPIC + _END,
            re.I,
        ),
    ),
    (
        "collab",
        re.compile(r"^who\s+(?:has\s+|have\s+)?(?:\w+\s+)?(?:with)\s+" + _NAME + _TOPIC + _END, re.I),
    ),
    (
        "collab",
        re.compile(
            r"^(?:list\s+|show\s+)?" + _NAME + r"'s\s+(?:collaborators|co-?authors)" + _TOPIC + _END, re.I
        ),
    ),
    (
        "collab",
        re.compile(
            r"^(?:who|with\s+whom)\s+(?:does|did|has|have)\s+" + _NAME + r"\s+(?:work|worked|collaborate|"
            r"collaborated|co-?author|co-?authored|publish|published|write|written)(?:\s+with)?"
            + _TOPIC
            + _END,
            re.I,
        ),
    ),
    (
        "profile",
        re.compile(
            r"^(?:what\s+does|what\s+did)\s+" + _NAME + r"\s+(?:work|research|study)\s+on" + _END, re.I
        ),
    ),
    (
        "profile",
        re.compile(
            r"^(?:where\s+(?:does|did)\s+"
            + _NAME
            + r"\s+work|what\s+is\s+"
            + _NAME2
            + r"'s\s+(?:affiliation|institution|h-?index))"
            + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^(?:which|what)\s+(?:papers|work|publications|articles)\s+(?:by|of|from)\s+"
            + _NAME
            + r"\s+(?:are|is|were|was|focus(?:es)?|deal)?\s*(?:on|about|with|regarding|related\s+to)\s+"
            r"(?P<topic>.+?)" + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^(?:has|did|does|have)\s+" + _NAME + r"\s+(?:published|publish|written|write|worked|work)"
            r"\s+(?:anything\s+|any\s+papers?\s+)?(?:on|about|in)\s+(?P<topic>.+?)" + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^what\s+(?:has|have|did|does)\s+" + _NAME + r"\s+(?:been\s+)?(?:published|publishing|publish|"
            r"written|writing|write|worked|working|work)\b(?:\s+(?:on|about|in|regarding))?\s*(?P<topic>.*?)"
            + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(
            r"^(?:list\s+|show\s+|find\s+)?(?:the\s+)?(?:papers|work|publications)\s+(?:by|of|from)\s+"
            + _NAME
            + _TOPIC
            + _END,
            re.I,
        ),
    ),
    (
        "papers_by",
        re.compile(r"^" + _NAME + r"'s\s+(?:papers|work|publications)" + _TOPIC + _END, re.I),
    ),
    (
        "compare",
        re.compile(
            r"^compare\s+(?P<person>.+?)\s+(?:and|with|to|vs\.?)\s+(?P<other>.+?)" + _TOPIC + _END, re.I
        ),
    ),
    (
        "profile",
        re.compile(r"^(?:who\s+is|who's|tell\s+me\s+about|profile\s+of|about)\s+" + _NAME + _END, re.I),
    ),
    (
        "topic",
        re.compile(
            r"^(?:who\s+(?:are|is)\s+(?:the\s+|an?\s+)?(?:experts?|researchers?|people|authors?|specialists?)\s+"
            r"(?:on|in|of|working\s+on)"
            r"|who\s+(?:has|have)\s+(?:worked|published|written)\s+(?:on|about))\s+(?P<topic>.+?)" + _END,
            re.I,
        ),
    ),
    (
        "topic",
        re.compile(
            r"^who\s+(?:works|is\s+working|researches|publishes|writes)\s+(?:on|about)\s+(?P<topic>.+?)"
            + _END,
            re.I,
        ),
    ),
    (
        "find_paper",
        re.compile(
            r"^(?:which|what|find|is\s+there\s+a|are\s+there|any)\b.*?\b(?:papers?|work|study|studies|"
            r"articles?|methods?)\b\s*(?P<topic>.*?)" + _END,
            re.I,
        ),
    ),
]


_YEAR = r"((?:19|20)\d{2})"
_TIME_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\s*\b(?:in|during)\s+(?:the\s+year\s+)?" + _YEAR + r"\b", re.I), "in"),
    (re.compile(r"\s*\b(?:since|from)\s+" + _YEAR + r"\b", re.I), "since"),
    (re.compile(r"\s*\bafter\s+" + _YEAR + r"\b", re.I), "after"),
    (re.compile(r"\s*\bbefore\s+" + _YEAR + r"\b", re.I), "before"),
    (re.compile(r"\s*\b(?:recently|lately|so\s+far|these\s+days)\b", re.I), "recent"),
]
# Topic rules go first: "who is working on X" is a topic question, not a profile of "working on X".
_ORDERED = sorted(_RULES, key=lambda rule: 0 if rule[0] in {"topic", "overview"} else 1)


def parse_question(question: str) -> Parsed:
    """Return the intent and slots of a question; anything unrecognised is a paper search."""
    q = " ".join(question.split())[:MAX_QUESTION_CHARS].replace("’", "'").replace("‘", "'")
    q, year_from, year_to = _take_years(q)
    for intent, rule in _ORDERED:
        m = rule.match(q)
        if not m:
            continue
        groups = m.groupdict()
        person = _clean(groups.get("person") or groups.get("person2"))
        topic = _clean(groups.get("topic"))
        if intent in {"find_paper", "topic", "overview"}:
            return Parsed(intent, topic=topic or q, year_from=year_from, year_to=year_to)
        if person and len(person.split()) <= 6:
            other = _clean(groups.get("other"))
            return Parsed(intent, person, other, topic, year_from=year_from, year_to=year_to)
    return Parsed("find_paper", topic=q, year_from=year_from, year_to=year_to)


def _take_years(q: str) -> tuple[str, int | None, int | None]:
    """Cut time phrases out of a question and turn them into an inclusive year range."""
    year_from = year_to = None
    for pattern, kind in _TIME_PHRASES:
        m = pattern.search(q)
        if not m:
            continue
        year = int(m.group(1)) if m.groups() else None
        if kind == "in" and year:
            year_from = year_to = year
        elif kind == "since" and year:
            year_from = year
        elif kind == "after" and year:
            year_from = year + 1
        elif kind == "before" and year:
            year_to = year - 1
        q = (q[: m.start()] + q[m.end() :]).strip()
    return q, year_from, year_to


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip().strip("\"'“”").strip()
    return text or None
