"""Follow-up questions in a thread: carry the person and topic over from earlier turns.

"and on dialogue?" after a collaborators question keeps the person and swaps the topic; "what did
they publish in 2022?" puts the last person in for "they". Only the last few turns are read, within
a character budget, so a long thread costs no more than a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scholarbot.answers.reader import Parsed, parse_question

#: Turns of history consulted, newest first.
MAX_TURNS = 8
#: Characters of history consulted (about 1,000 tokens).
MAX_HISTORY_CHARS = 4000

_PRONOUN = re.compile(r"\b(they|them|their|theirs|he|him|his|she|her|hers|this person|that person)\b", re.I)
_AND_ON = re.compile(
    r"^\s*(?:and\s+what\s+about|and\s+how\s+about|what\s+about|how\s+about|and)\s+(?:on|about|in)?\s*"
    r"(?P<topic>.+?)\s*\??\s*$",
    re.I,
)
_NAME_LIKE = re.compile(r"^(?:[A-Z][\w'-]+\s+){1,3}[A-Z][\w'-]+$")


@dataclass(frozen=True)
class Turn:
    """One earlier question in the conversation, as the bot understood it."""

    question: str
    parsed: Parsed


def resolve_followup(question: str, history: list[Turn]) -> str:
    """Rewrite a follow-up into a stand-alone question using the latest turns; else return it unchanged."""
    recent: list[Turn] = []
    budget = MAX_HISTORY_CHARS
    for turn in reversed(history[-MAX_TURNS:]):
        budget -= len(turn.question)
        if budget < 0:
            break
        recent.append(turn)
    last_person = next((t.parsed for t in recent if t.parsed.person), None)
    if last_person is None:
        return question

    m = _AND_ON.match(question)
    if m and not _names_someone(question):
        rest = m.group("topic").strip()
        intent, name, topic = last_person.intent, last_person.person, last_person.topic
        if _NAME_LIKE.match(rest):  # "and what about Hanlin Gu?": same question, another person
            name = rest
        else:
            topic = rest
        on = f" on {topic}" if topic else ""
        if intent == "papers_by":
            return f"What has {name} published{on}?"
        if intent == "profile":
            return f"Who is {name}?" if not on else f"What has {name} published{on}?"
        return f"Who collaborates with {name}{on}?"

    if _PRONOUN.search(question) and not _names_someone(question):
        name = last_person.person or ""

        def swap(match: re.Match[str]) -> str:
            word = match.group(1).lower()
            return f"{name}'s" if word in {"their", "theirs", "his", "hers"} else name

        return _PRONOUN.sub(swap, question, count=1)
    return question


def _names_someone(question: str) -> bool:
    """Whether the question names a person itself (a pronoun does not count)."""
    person = parse_question(question).person
    return bool(person) and not _PRONOUN.fullmatch(person or "")
