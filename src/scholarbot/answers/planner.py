"""The optional LLM planner: a chat model picks the Query for a question, one engine operation per tool.

The model's tool call is only a proposal: it is validated as a Query, its people must be named in the
question, and any failure (timeout, HTTP error, no call, junk arguments) returns None so that the caller
keeps the offline reading."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints

from rapidfuzz import fuzz

from scholarbot.answers.query import MAX_LIMIT, OPS, PAIR_OPS, PERSON_OPS, Query
from scholarbot.answers.types import PLANNER_FALLBACK_NOTE
from scholarbot.config import LLMSettings
from scholarbot.errors import ConfigError, ScholarbotError
from scholarbot.prompts import load_prompt
from scholarbot.records import fold

try:
    import openai
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
    from langchain_openai import ChatOpenAI

    from scholarbot.answers.llm import FAILURES, TIMEOUTS, open_chat
except ImportError as e:
    raise ConfigError("llm.plan needs the optional LLM packages: pip install 'scholarbot[llm]'") from e

log = logging.getLogger(__name__)

#: The question is cut to this many characters before it reaches the model (the reader's own limit).
QUESTION_CHARS = 1000
#: A tool result sent back to the model is cut to this many characters (about 400 tokens).
RESULT_CHARS = 1500
#: Tool calls acted on per model reply; the rest are answered "one lookup at a time".
CALLS_PER_STEP = 2
#: A misspelt name in a tool call still counts as named in the question at this similarity (0-100).
NAME_MATCH_MIN = 80
#: What the caller may add to an answer when plan() returned None and the offline reading was used.
FALLBACK_NOTE = PLANNER_FALLBACK_NOTE

#: Stands for the arguments of a call that langchain could not parse (it lists those in invalid_tool_calls).
_INVALID_JSON = object()
_DELIMITER = re.compile(r"<\s*/?\s*(?:question|reading)\s*>", re.IGNORECASE)

#: What each operation does, for the model: the tool descriptions.
OP_DOCS: dict[str, str] = {
    "collaborators": "People who wrote papers with one researcher, optionally on a topic or in years.",
    "joint_papers": "Papers two researchers wrote together.",
    "common_coauthors": "People who wrote papers with both of two researchers.",
    "collab_check": "Yes or no: have two researchers written a paper together?",
    "papers_by": "One researcher's papers, optionally on a topic, at a venue or in years; sort='citations' "
    "for the most cited, sort='date' for the newest.",
    "count": "How many papers (or collaborators, or papers per year, chosen by count_of) one or two "
    "researchers have, or how many papers there are on a topic.",
    "top_venue": "The venue where one researcher publishes most; with no one named, the venue with the "
    "most papers on a topic (or of all).",
    "top_year": "The year in which one researcher published most; with no one named, the year with the "
    "most papers on a topic (or of all).",
    "compare": "Compare two researchers: papers, topics, citations; with no one named, which of the "
    "topics given as 'A or B' has more papers.",
    "who_works_on": "Researchers with papers on a topic, optionally at an institution or venue; with no "
    "topic, who has the most papers (at a venue, in years, or in the whole store).",
    "profile": "Who a researcher is: affiliation, papers, collaborators, metrics.",
    "overview": "What the papers on a topic say, grouped into themes.",
    "find_papers": "Papers matching a description (a topic, a title, a method), optionally at a venue "
    "or in years; with sort='citations' and no topic, the most cited papers of a venue, years or the "
    "whole store.",
    "paper_authors": "Who wrote a paper, given its title or a description of it.",
    "top_institution": "The institutions whose authors wrote the most papers, optionally on a topic, at a "
    "venue or in years.",
    "coverage": "What the records hold (venues, years, how many papers): questions about the bot and "
    "its data.",
    "help": "Nothing to look up: a greeting, thanks, or a question about something other than papers and "
    "researchers.",
}

#: What each argument means, for the model; the JSON type comes from the Query field's annotation.
ARG_DOCS: dict[str, str] = {
    # Kept short: every tool repeats the descriptions of its arguments, and small local models read
    # the whole tool list on every call (14 tools are about 2,000 tokens with these).
    "people": "Full names, as written in the question.",
    "topic": "The subject, in the question's words.",
    "institution": "A university or company.",
    "venue": "A conference or journal, e.g. ACL.",
    "venues": "Venues to choose among, e.g. [ACL, NAACL].",
    "venues_out": "Venues to leave out, e.g. [COLM].",
    "year_from": "First year, inclusive.",
    "year_to": "Last year, inclusive.",
    "sort": "citations: most cited first; date: newest first; oldest: earliest first.",
    "limit": "How many results were asked for.",
    "count_of": "What to count.",
    "place_kind": "Only universities, or only companies.",
    "compare_by": "Without people: compare places, venues or years.",
    "compared": "The two places, venues or years compared.",
    "labels": "Tracks, categories or awards the papers have, e.g. [Findings], [Industry], [award].",
    "role": "first/last: papers with the person as first/last author; solo: papers with one author.",
    "people_out": "People left out: their joint papers, or their names from a list.",
}

_YEARS = ("year_from", "year_to")
#: Operations that run with or without people.
_PEOPLE_OPTIONAL = frozenset({"count", "top_venue", "top_year", "compare"})
#: The arguments each tool takes; person_ids are never offered (the model cannot know store ids).
OP_ARGS: dict[str, tuple[str, ...]] = {
    "collaborators": ("people", "topic", "institution", "people_out", *_YEARS, "limit"),
    "joint_papers": ("people", "topic", *_YEARS, "sort", "limit"),
    "common_coauthors": ("people", "topic", *_YEARS, "limit"),
    "collab_check": ("people", "topic", *_YEARS),
    "papers_by": (
        "people",
        "topic",
        "venue",
        "venues_out",
        *_YEARS,
        "labels",
        "role",
        "people_out",
        "sort",
        "limit",
    ),
    "count": ("people", "count_of", "topic", "venue", "venues_out", *_YEARS, "labels", "role", "people_out"),
    "top_venue": ("people", "topic", "venues", *_YEARS),
    "top_year": ("people", "topic", "venue"),
    "compare": ("people", "topic", "venue", *_YEARS, "compare_by", "compared"),
    "who_works_on": ("topic", "institution", "venue", "venues_out", *_YEARS, "labels", "people_out", "limit"),
    "profile": ("people",),
    "overview": ("topic", "venue", *_YEARS, "limit"),
    "find_papers": ("topic", "venue", "venues_out", *_YEARS, "labels", "role", "sort", "limit"),
    "paper_authors": ("topic", "venue", *_YEARS),
    "top_institution": ("topic", "venue", "venues_out", *_YEARS, "place_kind"),
    "coverage": (),
    "help": (),
}


@dataclass(frozen=True)
class Plan:
    """The query the model chose, with notes for the answer (how it was planned, what was rejected)."""

    query: Query
    notes: tuple[str, ...] = ()
    #: Model calls made (1 when it got it right the first time).
    steps: int = 1


def tool_schemas(ops: Sequence[str] = OPS) -> list[dict[str, Any]]:
    """One OpenAI function tool per engine operation, its parameters built from the Query fields."""
    hints = get_type_hints(Query)
    tools = []
    for op in ops:
        properties = {name: _json_type(hints[name]) | {"description": ARG_DOCS[name]} for name in OP_ARGS[op]}
        required: list[str] = []
        if "people" in properties:
            # Counts, top venues and years, and comparisons of topics need no one named.
            optional = op in _PEOPLE_OPTIONAL
            if op in PAIR_OPS:
                properties["people"] |= {"minItems": 0 if optional else 2, "maxItems": 2}
            else:
                properties["people"] |= {
                    "minItems": 0 if optional else 1,
                    "maxItems": 1 if op in PERSON_OPS - {"count"} else 2,
                }
            if not optional:
                required.append("people")
        if "limit" in properties:
            properties["limit"] |= {"minimum": 1, "maximum": MAX_LIMIT}
        parameters: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        tools.append(
            {
                "type": "function",
                "function": {"name": op, "description": OP_DOCS[op], "parameters": parameters},
            }
        )
    return tools


def _json_type(annotation: Any) -> dict[str, Any]:
    """JSON schema of a Query field's annotation: tuple[str, ...], str | None, int | None, a Literal."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is Literal:
        return {"type": "string", "enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _json_type(args[0])}
    if args and len(args) == 1:  # X | None
        return _json_type(args[0])
    if annotation is str:
        return {"type": "string"}
    if annotation is int:
        return {"type": "integer"}
    raise TypeError(f"no JSON type for {annotation!r}")


class _ToolChat(ChatOpenAI):
    """ChatOpenAI that sends an assistant turn with tool calls as content "" instead of null."""

    # llama-cpp-python 0.3.x answers HTTP 500 when a tool result follows `"content": null`, which is what
    # langchain-openai writes for a tool-calling turn; OpenAI, vLLM and Ollama accept "" as well.
    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        for message in payload.get("messages", []):
            if message.get("role") == "assistant" and message.get("content") is None:
                message["content"] = ""
        return payload


class LLMPlanner:
    """Asks a chat model which engine operation answers a question, and checks what it proposes."""

    def __init__(
        self, settings: LLMSettings, *, api_key: str | None = None, ops: Sequence[str] = OPS
    ) -> None:
        """Connect to the endpoint in `settings`; `ops` limits the tools offered (small models read fewer)."""
        self.settings = settings
        # Loaded here so that a broken prompt file fails at start-up, not at the first question.
        self.prompt = load_prompt("plan", {"question", "reading"})
        unknown = sorted(set(ops) - set(OPS))
        if unknown or not ops:
            raise ConfigError(f"the planner's operations must be among {', '.join(OPS)}; got {unknown}")
        self.ops = tuple(ops)
        choice = settings.plan_tool_choice
        if choice not in {"auto", "required", *self.ops}:
            raise ConfigError(f"llm.plan_tool_choice must be auto, required or one of {', '.join(self.ops)}")
        self.tools = tool_schemas(self.ops)
        chat = open_chat(_ToolChat, settings, api_key)
        # tool_choice is always sent: llama.cpp's chatml-function-calling ignores the tools without it.
        self.chat = chat.bind_tools(self.tools, tool_choice=choice)

    def plan(
        self, question: str, *, hint: Query | None = None, run: Callable[[Query], str] | None = None
    ) -> Plan | None:
        """Return the query the model chose for `question`, or None to keep the offline reading.

        Args:
            question: the question as asked; it reaches the model as delimited data.
            hint: the offline reader's query, shown to the model as a guess.
            run: executes a query and returns a short text result; when given, the model sees the result
                of each valid call and may refine it, for up to llm.plan_steps calls.
        """
        question = _defuse(question[:QUESTION_CHARS])
        reading = _defuse(json.dumps(hint.to_json(), ensure_ascii=False)) if hint else "(none)"
        messages: list[BaseMessage | tuple[str, str]] = list(
            self.prompt.messages(question=question, reading=reading)
        )
        steps = self.settings.plan_steps if run is not None else 1
        deadline = time.monotonic() + self.settings.timeout_s
        chosen: Query | None = None
        rejected: list[str] = []
        step = 0
        while step < steps:
            if step and time.monotonic() > deadline:  # each call has timeout_s; the loop gets as much again
                log.info("the planner ran out of time after %d steps", step)
                break
            step += 1
            reply = self._call(messages)
            if reply is None:
                return None  # the endpoint failed: nothing it said before is trusted
            calls: list[tuple[str | None, Any, str | None]] = [
                (c["name"], c["args"], c.get("id")) for c in reply.tool_calls
            ]
            calls += [(c.get("name"), _INVALID_JSON, c.get("id")) for c in reply.invalid_tool_calls]
            if not calls:
                log.info("the planner's model called no tool (step %d)", step)
                break
            results: list[BaseMessage] = []
            for i, (name, args, call_id) in enumerate(calls):
                query, why = self.check(name, args, question, hint)
                if query is not None and i >= CALLS_PER_STEP:
                    query, why = None, "one lookup at a time"
                if query is None:
                    log.info("rejected the planner's call %s(%s): %s", name, _short(args), why)
                    rejected.append(f"{name}: {why}")
                    result = f"Rejected: {why}."
                elif run is None:
                    chosen, result = query, ""
                else:
                    ran, result = _run(query, run)
                    chosen = query if ran else chosen
                results.append(ToolMessage(content=result, tool_call_id=call_id or f"call_{step}_{i}"))
            if run is None:
                break
            messages += [reply, *results]
        else:
            log.info("the planner's model was still calling tools after %d steps; stopped it", steps)
        if chosen is None:
            return None
        notes = [f"The language model chose the lookup ({chosen.op}) as the offline reading was unsure."]
        notes += [f"A lookup the model proposed was rejected ({why})." for why in rejected[:2]]
        return Plan(query=chosen, notes=tuple(notes), steps=step)

    def check(
        self, name: str | None, args: Any, question: str, hint: Query | None = None
    ) -> tuple[Query | None, str | None]:
        """Validate one tool call as a Query; return it, or None and the reason for rejecting it."""
        if name not in self.ops:
            return None, f"unknown tool {name!r}"
        if args is _INVALID_JSON:
            return None, "the arguments are not valid JSON"
        if not isinstance(args, dict):
            return None, "the arguments are not a JSON object"
        unexpected = sorted(set(args) - set(OP_ARGS[name]))
        if unexpected:
            return None, f"{name} takes no argument {', '.join(unexpected)}"
        # A model pads optional arguments with nulls and empty strings: they mean "not asked".
        args = {k: v for k, v in args.items() if v not in (None, "", [])}
        try:
            query = Query.from_json({"op": name, **args})
        except (ValueError, TypeError) as e:
            return None, str(e)
        if query.op == "help" and hint is not None and hint.op != "help":
            # Small models give up easily: "nothing to look up" must not replace a reading with content.
            return None, "the offline reading found something to look up"
        known = hint.people if hint else ()
        for person in query.people:
            if not _named_in(person, question, known):
                return None, f"{person!r} is not named in the question"
        return query, None

    def _call(self, messages: Sequence[BaseMessage | tuple[str, str]]) -> AIMessage | None:
        try:
            reply = self.chat.invoke(list(messages))
        except TIMEOUTS:
            log.warning("the planner's model did not answer within %g s", self.settings.timeout_s)
            return None
        except openai.APIStatusError as e:
            log.warning("the planner's model endpoint answered HTTP %s", e.status_code)
            return None
        except FAILURES as e:
            log.warning("the planner's model call failed: %r", e)
            return None
        return reply if isinstance(reply, AIMessage) else None


def _run(query: Query, run: Callable[[Query], str]) -> tuple[bool, str]:
    """Execute a query for the model; return whether it ran and the (cut) result text."""
    try:
        text = run(query)
    except ScholarbotError as e:  # e.g. the store changed under us: tell the model, do not pick this query
        return False, f"Error: {e}"
    return True, text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 1] + "…"


def _named_in(person: str, question: str, known: Sequence[str]) -> bool:
    """Whether every word of a name appears in the question (accents, case and small typos aside)."""
    if any(fold(person) == fold(k) for k in known):
        return True
    asked = re.findall(r"\w+", fold(question))
    return all(
        any(fuzz.ratio(w, a) >= NAME_MATCH_MIN for a in asked) for w in re.findall(r"\w+", fold(person))
    )


def _short(args: Any) -> str:
    text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def _defuse(text: str) -> str:  # drop our delimiter tags so that the question cannot close its block early
    return _DELIMITER.sub(" ", text)


__all__ = ["FALLBACK_NOTE", "LLMPlanner", "Plan", "tool_schemas"]
