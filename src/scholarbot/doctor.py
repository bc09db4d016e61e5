"""`scholarbot doctor`: check each moving part and say how to fix what is wrong."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scholarbot.errors import ScholarbotError


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str
    fix: str = ""


def run_checks(config: Path | None, store: Path | None) -> Iterator[Check]:
    """Run the checks in dependency order; stop where later checks cannot run."""
    from scholarbot.config import load_settings

    try:
        settings = load_settings(config, store=store)
    except ScholarbotError as e:
        yield Check("config", "fail", str(e), "fix the named key, or start from config.example.toml")
        return
    yield Check(
        "config", "ok", str(config or os.environ.get("SCHOLARBOT_CONFIG") or "defaults + environment")
    )

    from scholarbot.services import open_services

    try:
        svc = open_services(settings)
    except ScholarbotError as e:
        yield Check(
            "store", "fail", str(e), "check store.path / store.host, or run `scholarbot ingest` first"
        )
        return
    yield Check("embedding model", "ok", f"{svc.embedder.name} loaded (offline)")
    counts = svc.store.counts()
    if counts["papers"] == 0:
        yield Check(
            "store",
            "warn",
            f"{svc.store.where} is empty",
            "run `scholarbot ingest PATH` or `scholarbot demo`",
        )
    else:
        yield Check(
            "store", "ok", f"{svc.store.where}: {counts['papers']:,} papers, {counts['researchers']:,} people"
        )
    from scholarbot.ingest import PEOPLE_STALE

    if svc.store.get_flag(PEOPLE_STALE):
        yield Check("people index", "warn", "the last ingest did not finish", "run `scholarbot ingest` again")
    deep = svc.store.deep_collection()
    covered = deep.count() if deep is not None else 0
    if counts["papers"] and covered < counts["papers"]:
        yield Check(
            "full-model vectors",
            "warn",
            f"{covered:,} of {counts['papers']:,} papers",
            "run `scholarbot enrich` for better answers to reworded questions",
        )
    yield from _llm_check(settings)
    if os.environ.get("DISCORD_TOKEN", "").strip():
        yield Check("discord token", "ok", "DISCORD_TOKEN is set")
    else:
        yield Check(
            "discord token",
            "warn",
            "DISCORD_TOKEN is not set",
            "export DISCORD_TOKEN=... before `scholarbot run`",
        )


def _llm_check(settings: object) -> Iterator[Check]:
    llm = settings.llm  # type: ignore[attr-defined]
    if not llm.enabled:
        yield Check("llm", "ok", "not configured: answers are composed offline")
        return
    try:
        import openai
    except ImportError:
        yield Check(
            "llm", "fail", "llm.enabled but the [llm] extra is missing", "pip install 'scholarbot[llm]'"
        )
        return
    client = openai.OpenAI(
        base_url=llm.base_url,
        api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),
        timeout=5.0,
        max_retries=0,
    )
    try:
        models = [m.id for m in client.models.list()]
    except openai.OpenAIError as e:
        yield Check(
            "llm", "fail", f"{llm.base_url or 'OpenAI'} did not answer: {e}", "check llm.base_url and the key"
        )
        return
    if llm.model not in models:
        yield Check(
            "llm",
            "warn",
            f"model {llm.model!r} not listed by the endpoint",
            f"one of: {', '.join(models[:5])}",
        )
    else:
        yield Check("llm", "ok", f"{llm.model} at {llm.base_url or 'OpenAI'}")
