"""Settings: one validated model read from config.toml and SCHOLARBOT_* environment variables.

This is the only module that reads configuration. Secrets (OPENAI_API_KEY, DISCORD_TOKEN) are read
from the environment where they are used, never from a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from scholarbot.errors import ConfigError


class _Section(BaseModel):
    # A typo in config.toml should fail at start-up, not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    path: Path = Field(Path("vectorstore"), description="Folder of the embedded Chroma store.")
    host: str | None = Field(None, description="Chroma server host; when set, the server is used instead.")
    port: int = Field(8000, description="Chroma server port.")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    prefix: str = Field("scholarbot", description="Prefix of the collection names (papers, researchers).")
    batch_size: int = Field(1000, ge=1, le=5000, description="Records per upsert call.")


class EmbeddingSettings(_Section):
    model: Literal["minilm-static", "minilm-onnx", "openai"] = Field(
        "minilm-static",
        description="minilm-static: MiniLM distilled to static vectors (fast, offline, default); "
        "minilm-onnx: the full int8 MiniLM (slower ingest); openai: an OpenAI-compatible /embeddings API.",
    )
    cache_dir: Path | None = Field(None, description="Where the distilled model is cached.")
    openai_model: str = Field("text-embedding-3-small", description="Embedding model name for `openai`.")
    openai_base_url: str | None = Field(None, description="Endpoint for `openai` (default: OpenAI's).")
    openai_timeout_s: float = Field(30.0, gt=0, description="Seconds per embeddings request.")


class LLMSettings(_Section):
    enabled: bool = Field(False, description="Use an OpenAI-compatible LLM to write answers.")
    base_url: str | None = Field(None, description="Endpoint, e.g. http://localhost:11434/v1 for Ollama.")
    model: str = Field("gpt-4o-mini", description="Model name as the endpoint knows it.")
    timeout_s: float = Field(20.0, gt=0, description="Seconds before falling back to the offline composer.")
    context_tokens: int = Field(8000, ge=1000, description="Token budget for retrieved context.")


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
    cooldown_questions: int = Field(5, ge=1, description="Questions a user may ask per cooldown window...")
    cooldown_seconds: float = Field(60.0, gt=0, description="...of this many seconds.")
    max_question_chars: int = Field(1000, ge=50, description="Longer questions are cut with a note.")


SourceName = Literal["arxiv", "openalex", "local"]
_ALL_SOURCES: tuple[SourceName, ...] = ("arxiv", "openalex", "local")


class DigestSettings(_Section):
    state_path: Path | None = Field(
        None,
        description="SQLite file of subscriptions and sent papers (default: <store.path>/digests.sqlite3).",
    )
    sources: list[SourceName] = Field(
        default_factory=lambda: list(_ALL_SOURCES), description="Where new papers come from."
    )
    arxiv_url: str = Field("https://export.arxiv.org/api/query", description="arXiv API endpoint.")
    openalex_url: str = Field("https://api.openalex.org", description="OpenAlex API endpoint.")
    openalex_email: str | None = Field(
        None, description="Polite-pool email for OpenAlex (key: $OPENALEX_API_KEY)."
    )
    check_minutes: float = Field(5.0, gt=0, description="How often the bot checks for due digests.")


class Settings(BaseSettings):
    """Everything configurable, mirroring the tables of config.example.toml."""

    model_config = SettingsConfigDict(env_prefix="SCHOLARBOT_", env_nested_delimiter="__", extra="forbid")

    store: StoreSettings = Field(default_factory=lambda: StoreSettings())
    embeddings: EmbeddingSettings = Field(default_factory=lambda: EmbeddingSettings())
    llm: LLMSettings = Field(default_factory=lambda: LLMSettings())
    discord: DiscordSettings = Field(default_factory=lambda: DiscordSettings())
    digest: DigestSettings = Field(default_factory=lambda: DigestSettings())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = os.environ.get("_SCHOLARBOT_TOML_PATH")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)


def load_settings(path: Path | None = None, *, store: Path | None = None) -> Settings:
    """Load settings from `path` (or $SCHOLARBOT_CONFIG, or ./config.toml when present) and env.

    `store` (the CLI's --store) and $SCHOLARBOT_STORE override the store folder, in that order.
    """
    path = path or _default_config_path()
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found (copy config.example.toml to start one)")
    # pydantic-settings takes the TOML path at class level; pass it through a private variable
    # so that load_settings stays re-entrant for tests that load several configs.
    previous = os.environ.pop("_SCHOLARBOT_TOML_PATH", None)
    try:
        if path is not None:
            os.environ["_SCHOLARBOT_TOML_PATH"] = str(path)
        env_store = os.environ.pop("SCHOLARBOT_STORE", None)
        try:
            settings = Settings()
        finally:
            if env_store is not None:
                os.environ["SCHOLARBOT_STORE"] = env_store
    except ValidationError as e:
        raise ConfigError(f"{path or 'environment'}: invalid settings:\n{e}") from e
    except ValueError as e:  # TOML syntax errors surface as ValueError subclasses
        raise ConfigError(f"{path}: {e}") from e
    finally:
        os.environ.pop("_SCHOLARBOT_TOML_PATH", None)
        if previous is not None:
            os.environ["_SCHOLARBOT_TOML_PATH"] = previous
    override = store or (Path(env_store) if env_store else None)
    if override is not None:
        settings.store.path = override
        settings.store.host = None
    return settings


def _default_config_path() -> Path | None:
    env = os.environ.get("SCHOLARBOT_CONFIG")
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.is_file() else None
