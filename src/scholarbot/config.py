"""Settings: one validated model read from config.toml and SCHOLARBOT_* environment variables.

This is the only module that reads configuration, secrets included: `Settings.secrets` holds
OPENAI_API_KEY, DISCORD_TOKEN and OPENALEX_API_KEY, read from the environment only, never from a file.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from scholarbot.errors import ConfigError


class _Section(BaseModel):
    # A typo in config.toml should fail at start-up, not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    path: Path = Field(
        Path("vectorstore"),
        description="Folder of the embedded Chroma store ($SCHOLARBOT_STORE and --store override it).",
    )
    host: str | None = Field(
        None, description="Chroma server host (`chroma run`); when set, it is used instead of the folder."
    )
    port: int = Field(8000, description="Chroma server port.")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    prefix: str = Field(
        "scholarbot",
        description="Prefix of the collection names: `<prefix>_papers`, `_researchers`, `_profiles`.",
    )
    batch_size: int = Field(
        1000,
        ge=1,
        le=5000,
        description="Records per upsert call; also the most work an interrupted ingest can lose.",
    )
    exact_search_limit: int = Field(
        150_000,
        ge=0,
        description=(
            "Up to this many papers, meaning search compares a question with every paper's vector; "
            "above it, an approximate (HNSW) index saved beside the search index proposes the candidates."
        ),
    )


class EmbeddingSettings(_Section):
    model: Literal["minilm-static", "minilm-onnx", "openai"] = Field(
        "minilm-static",
        description="`minilm-static`: MiniLM distilled to static vectors (fast, offline, default); "
        "`minilm-onnx`: the full int8 MiniLM (slower ingest); `openai`: any OpenAI-compatible "
        "`/embeddings` endpoint (the `[llm]` extra). A store remembers its embedder and refuses another.",
    )
    cache_dir: Path | None = Field(
        None,
        description="Where the distilled model is cached (default: $SCHOLARBOT_CACHE, else "
        "~/.cache/scholarbot).",
    )
    enrich_model: str = Field(
        "minilm-onnx",
        description="The model `scholarbot enrich` gives papers second vectors with: `minilm-onnx` (the "
        "bundled int8 all-MiniLM-L6-v2), a folder holding a sentence-transformers ONNX export "
        "(`onnx/model.onnx` and `tokenizer.json`), or a Hugging Face name such as "
        "`sentence-transformers/all-mpnet-base-v2` (fetched once into the cache; needs internet).",
    )
    enrich_weight: float = Field(
        2.0,
        ge=0,
        description="Weight of the enrich model's meaning evidence against a perfect keyword match "
        "when ranking papers; 2.0 was measured for `minilm-onnx`. A stronger model deserves more: "
        "measure it with `python benchmarks/embedders.py --model NAME`.",
    )
    openai_model: str = Field("text-embedding-3-small", description="Embedding model name for `openai`.")
    openai_base_url: str | None = Field(
        None, description="Endpoint for `openai` (default: OpenAI's); the key is $OPENAI_API_KEY."
    )
    openai_timeout_s: float = Field(30.0, gt=0, description="Seconds per embeddings request.")


class LLMSettings(_Section):
    enabled: bool = Field(
        False, description="Let an OpenAI-compatible model write the answer text (the `[llm]` extra)."
    )
    base_url: str | None = Field(
        None,
        description="Endpoint, e.g. http://localhost:11434/v1 for Ollama (default: OpenAI's); "
        "the key is $OPENAI_API_KEY.",
    )
    model: str = Field("gpt-4o-mini", description="Model name as the endpoint knows it.")
    timeout_s: float = Field(
        20.0, gt=0, description="Seconds before the offline answer is returned instead, with a note."
    )
    context_tokens: int = Field(
        8000, ge=1000, description="Token budget for retrieved context (counted with tiktoken)."
    )
    plan: bool = Field(
        True,
        description="Let the model choose the lookup (the engine's operations are its tools) for "
        "questions the offline reader is unsure about; its choice is validated and the offline reading "
        "is the fallback.",
    )
    plan_steps: int = Field(
        3,
        ge=1,
        le=6,
        description="Model calls per planned question: after the first, the model sees what its lookup found "
        "and may refine it; a model still calling tools after this many is stopped.",
    )
    plan_tool_choice: str = Field(
        "auto",
        description="`auto` (the model may decline, and the offline reading is kept), `required` (it "
        "must call a tool), or an operation name to force that tool, for servers that follow only a "
        "forced choice.",
    )


class DiscordSettings(_Section):
    dev_guild_id: int | None = Field(
        None, description="Sync slash commands to this guild only (instant, for development)."
    )
    allowed_guild_ids: list[int] = Field(
        default_factory=list, description="Guilds the bot answers in; empty means any guild it is in."
    )
    allowed_channel_ids: list[int] = Field(
        default_factory=list, description="Channels (or their threads) the bot answers in; empty means any."
    )
    answer_dms: bool = Field(True, description="Answer direct messages.")
    cooldown_questions: int = Field(
        5, ge=1, description="Questions a user may ask per `cooldown_seconds` (per-user rate limit)."
    )
    cooldown_seconds: float = Field(60.0, gt=0, description="Length of the rate-limit window in seconds.")
    max_question_chars: int = Field(
        1000,
        ge=50,
        description="Kept so older config files still load; questions reach the answerer whole and it "
        "cuts them at its own limit, saying so in the answer.",
    )
    message_content: bool = Field(
        False,
        description="Ask for the privileged Message Content intent, so plain follow-ups in the bot's "
        "threads are read; switch it on for the bot in the developer portal first (`scholarbot doctor` "
        "checks). Off: follow-ups must mention the bot.",
    )


SourceName = Literal["arxiv", "openalex", "local"]
_ALL_SOURCES: tuple[SourceName, ...] = ("arxiv", "openalex", "local")


class DigestSettings(_Section):
    state_path: Path | None = Field(
        None,
        description="SQLite file of subscriptions and sent papers (default: `<store.path>/digests.sqlite3`).",
    )
    sources: list[SourceName] = Field(
        default_factory=lambda: list(_ALL_SOURCES),
        description="Where new papers come from: `arxiv` (the arXiv API), `openalex`, and `local` "
        "(papers newly ingested here).",
    )
    arxiv_url: str = Field("https://export.arxiv.org/api/query", description="arXiv API endpoint.")
    openalex_url: str = Field("https://api.openalex.org", description="OpenAlex API endpoint.")
    openalex_email: str | None = Field(
        None, description="Polite-pool email for OpenAlex (key: $OPENALEX_API_KEY)."
    )
    check_minutes: float = Field(5.0, gt=0, description="How often the bot checks for due digests.")
    arxiv_lookback_days: float = Field(
        5.0,
        ge=0,
        description="How far before the last digest arXiv is asked again: a paper is listed by its "
        "submission time but appears 1-3 days later (4 over a weekend); papers already sent are skipped.",
    )
    openalex_lookback_days: float = Field(
        14.0,
        ge=0,
        description="The same for OpenAlex, which indexes works days to weeks after their publication date.",
    )
    local_lookback_days: float = Field(
        0.0, ge=0, description="The same for papers ingested here (they are new when they are written)."
    )
    reconcile_grace_minutes: float = Field(
        15.0,
        gt=0,
        description="A digest being posted is left alone this long before another run checks the "
        "channel for it: it may be another runner's (the bot's loop and cron) still in flight.",
    )
    max_failures: int = Field(
        8,
        ge=1,
        description="Failed posts in a row (with back-off from `check_minutes` doubling to 6 h) before a "
        "subscription is paused and its creator told; a deleted or forbidden channel pauses at once.",
    )


class Secrets(BaseSettings):
    """Credentials, read only from the environment so that none can end up in a committed file."""

    # Only the variables named below; the rest of the environment belongs to others.
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias="OPENAI_API_KEY",
        description="Key for the OpenAI-compatible endpoints of `[llm]` and of `embeddings.model = "
        '"openai"`; local servers (Ollama, vLLM, llama.cpp) need none.',
    )
    discord_token: SecretStr | None = Field(
        None,
        validation_alias="DISCORD_TOKEN",
        description="The bot's token, for `scholarbot run` and `scholarbot digest run`.",
    )
    openalex_api_key: SecretStr | None = Field(
        None,
        validation_alias="OPENALEX_API_KEY",
        description="OpenAlex API key for the digest source (optional; see `digest.openalex_email`).",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `export DISCORD_TOKEN=` or a pasted trailing newline means "not set", not a key of spaces.
        return (value.strip() or None) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def reveal(secret: SecretStr | None) -> str | None:
    """The secret's text for the one call that needs it (a client's constructor), else None."""
    return secret.get_secret_value() if secret is not None else None


# The TOML file of the load_settings call in progress. pydantic-settings asks for its sources in a
# classmethod, so the path cannot be an argument; a ContextVar, unlike os.environ, is private to each
# thread and asyncio task, so concurrent loads of different files never see each other's path.
_toml_file: ContextVar[Path | None] = ContextVar("scholarbot_toml_file", default=None)


class _Environment(EnvSettingsSource):
    """SCHOLARBOT_* variables, except $SCHOLARBOT_STORE itself.

    That one is the store folder (load_settings applies it), not a JSON value for the whole [store]
    table, which is how pydantic-settings would read it. SCHOLARBOT_STORE__HOST and friends still apply.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        value, key, is_complex = super().get_field_value(field, field_name)
        return (None if field_name == "store" else value), key, is_complex


class Settings(BaseSettings):
    """Everything configurable, mirroring the tables of config.example.toml."""

    model_config = SettingsConfigDict(env_prefix="SCHOLARBOT_", env_nested_delimiter="__", extra="forbid")

    store: StoreSettings = Field(default_factory=lambda: StoreSettings())
    embeddings: EmbeddingSettings = Field(default_factory=lambda: EmbeddingSettings())
    llm: LLMSettings = Field(default_factory=lambda: LLMSettings())
    discord: DiscordSettings = Field(default_factory=lambda: DiscordSettings())
    digest: DigestSettings = Field(default_factory=lambda: DigestSettings())
    # Private, so no config.toml table or SCHOLARBOT_* variable can set a secret.
    _secrets: Secrets = PrivateAttr(default_factory=lambda: Secrets())

    @property
    def secrets(self) -> Secrets:
        """Credentials from the environment, read when these settings were made."""
        return self._secrets

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest priority first: arguments, then the environment, then the TOML file.
        sources: list[PydanticBaseSettingsSource] = [init_settings, _Environment(settings_cls)]
        toml = _toml_file.get()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)


def load_settings(path: Path | None = None, *, store: Path | None = None) -> Settings:
    """Load settings from `path` (or $SCHOLARBOT_CONFIG, or ./config.toml when present) and env.

    `store` (the CLI's --store) and $SCHOLARBOT_STORE override the store folder, in that order.
    """
    path = config_path(path)
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found (copy config.example.toml to start one)")
    token = _toml_file.set(path)
    try:
        settings = Settings()
    except ValidationError as e:
        raise ConfigError(f"{path or 'environment'}: invalid settings:\n{e}") from e
    except ValueError as e:  # TOML syntax errors surface as ValueError subclasses
        raise ConfigError(f"{path}: {e}") from e
    finally:
        _toml_file.reset(token)
    env_store = os.environ.get("SCHOLARBOT_STORE")
    override = store or (Path(env_store) if env_store else None)
    if override is not None:
        settings.store.path = override
        settings.store.host = None
    return settings


def config_path(path: Path | None = None) -> Path | None:
    """The config file load_settings reads: `path`, else $SCHOLARBOT_CONFIG, else ./config.toml if present."""
    if path is not None:
        return path
    env = os.environ.get("SCHOLARBOT_CONFIG")
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.is_file() else None
