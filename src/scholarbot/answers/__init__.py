"""Question -> answer: entity linking, the typed query, the engine, the offline composer, the LLM options."""

from __future__ import annotations

from scholarbot.answers.engine import Answerer
from scholarbot.answers.query import Query
from scholarbot.answers.types import Answer, Source

__all__ = ["Answer", "Answerer", "Query", "Source"]
