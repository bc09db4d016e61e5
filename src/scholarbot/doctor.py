"""`scholarbot doctor`: check each moving part and say how to fix what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scholarbot.config import Settings, config_path, load_settings, reveal
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
    try:
        settings = load_settings(config, store=store)
    except ScholarbotError as e:
        yield Check("config", "fail", str(e), "fix the named key, or start from config.example.toml")
        return
    yield Check("config", "ok", str(config_path(config) or "defaults + environment"))

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

    from scholarbot.store.store import PEOPLE_STALE

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
    if settings.secrets.discord_token is not None:
        yield from _discord_checks(settings)
    else:
        yield Check(
            "discord token",
            "warn",
            "DISCORD_TOKEN is not set",
            "export DISCORD_TOKEN=... before `scholarbot run`",
        )


#: OpenAI-compatible servers people run locally: name, the base_url they serve, how to start one with tools
#: (the planner calls tools; each server needs the flag shown for `tool_choice` to work).
LOCAL_SERVERS: tuple[tuple[str, str, str], ...] = (
    ("Ollama", "http://localhost:11434/v1", "ollama pull qwen2.5:7b-instruct, then model = the name pulled"),
    (
        "vLLM",
        "http://localhost:8000/v1",
        "vllm serve MODEL --enable-auto-tool-choice --tool-call-parser hermes; "
        "a Chroma server on port 8000 must move",
    ),
    (
        "llama.cpp",
        "http://localhost:8080/v1",
        "python -m llama_cpp.server --model MODEL.gguf --port 8080 --chat_format chatml-function-calling, "
        "or llama-server -m MODEL.gguf --port 8080 --jinja",
    ),
)
# The doctor prints a fix after "      fix: "; continuation lines line up under its text.
_INDENT = "\n" + " " * 11


def local_server_guide() -> str:
    """How to point the bot at a local OpenAI-compatible server, with the config keys to set."""
    lines = [
        # No square brackets: the CLI prints through rich, which would read "[llm]" as markup.
        "set llm.enabled = true, llm.base_url and llm.model in config.toml, or SCHOLARBOT_LLM__ENABLED=true,",
        "SCHOLARBOT_LLM__BASE_URL and SCHOLARBOT_LLM__MODEL; OPENAI_API_KEY may be any value locally:",
        *(f'  {name}: base_url = "{url}" ({start})' for name, url, start in LOCAL_SERVERS),
    ]
    return _INDENT.join(lines)


def _llm_check(settings: Settings) -> Iterator[Check]:
    llm = settings.llm
    if not llm.enabled:
        yield Check(
            "llm",
            "ok",
            "not configured: answers are composed offline (a model is optional)",
            "to use a local model, " + local_server_guide(),
        )
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
        api_key=reveal(settings.secrets.openai_api_key) or "not-needed",
        timeout=5.0,
        max_retries=0,
    )
    where = llm.base_url or "OpenAI"
    try:
        models = [m.id for m in client.models.list()]
    except openai.OpenAIError as e:
        fix = "start the server, or check llm.base_url and $OPENAI_API_KEY; " + local_server_guide()
        yield Check("llm", "fail", f"{where} did not answer: {e}", fix)
        return
    if llm.model not in models:
        yield Check(
            "llm",
            "warn",
            f"model {llm.model!r} not listed by the endpoint",
            f"set llm.model to one of: {', '.join(models[:5])}",
        )
    else:
        uses = "writes answers and plans unsure questions" if llm.plan else "writes answers"
        yield Check("llm", "ok", f"{llm.model} at {where} ({uses})")


def _discord_checks(settings: Settings) -> Iterator[Check]:
    """The token, the message-content intent, and the bot's permissions where it answers and posts."""
    import asyncio
    from dataclasses import astuple

    from scholarbot.bot.checks import check_discord
    from scholarbot.digest.service import state_path
    from scholarbot.digest.state import DigestState

    digest_channels: list[int] = []
    path = state_path(settings)
    if path.is_file():  # the doctor never creates the digest database
        with DigestState(path) as state:
            # Paused subscriptions included: a missing permission is the usual reason for a pause.
            digest_channels = [s.channel_id for s in state.list_subscriptions()]
    findings = asyncio.run(
        check_discord(
            reveal(settings.secrets.discord_token) or "",
            message_content=settings.discord.message_content,
            answer_channels=settings.discord.allowed_channel_ids,
            digest_channels=digest_channels,
        )
    )
    for finding in findings:
        yield Check(*astuple(finding))
