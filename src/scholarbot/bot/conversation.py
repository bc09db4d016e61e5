"""Follow-up questions in a thread: the last turn's query is what the next question builds on.

"and on dialogue?" after a collaborators question keeps the person and swaps the topic; "what did
they publish in 2022?" asks about the last turn's people (answers/followup.py does the merging on
the typed query). Only the last few turns are read, within a character budget, so a long thread
costs no more than a short one.
"""

from __future__ import annotations

from dataclasses import dataclass

from scholarbot.answers.query import Query

#: Turns of history consulted, newest first.
MAX_TURNS = 8
#: Characters of history consulted (about 1,000 tokens).
MAX_HISTORY_CHARS = 4000


@dataclass(frozen=True)
class Turn:
    """One earlier question in the conversation and the query it was answered as."""

    question: str
    query: Query


def last_query(history: list[Turn]) -> Query | None:
    """The query of the latest turn that asked something (not the help text), within the turn and
    character budget. A turn about no one counts too: "and on summarization?" after "who at CMU
    works on MT?" keeps CMU, and "what did they publish?" after it has no one to point back to."""
    budget = MAX_HISTORY_CHARS
    for turn in reversed(history[-MAX_TURNS:]):
        budget -= len(turn.question)
        if budget < 0:
            break
        if turn.query.op != "help":
            return turn.query
    return None


def query_before(history: list[Turn]) -> Query | None:
    """The query of the turn before the last one that asked something: the list that "only COLING
    2025" means when the last turn asked who wrote one paper of it."""
    asked = [turn.query for turn in history[-MAX_TURNS:] if turn.query.op != "help"]
    return asked[-2] if len(asked) > 1 else None


def people_named(history: list[Turn]) -> tuple[str, ...]:
    """The people the conversation's recent turns asked about, newest first: whom "she" most likely
    means when the last answer listed several people ("who else is on that one?" named two)."""
    names = (name for turn in reversed(history[-MAX_TURNS:]) for name in turn.query.people)
    return tuple(dict.fromkeys(names))


def turn_of(question: str, answer_query: dict[str, object] | None) -> Turn | None:
    """The turn to remember for an answered question (None when the answer carries no query)."""
    if not answer_query:
        return None
    try:
        return Turn(question, Query.from_json(dict(answer_query)))
    except ValueError:
        return None
