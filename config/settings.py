"""The project's settings: every environment variable of DESIGN.md, typed and validated once."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"


def bundled_model_dir() -> Path:
    """Where `make setup` writes the sentence-transformers rebuild of multilingual-e5-small."""
    return Path(sys.prefix) / "share" / "rtc-selection-assistant" / "multilingual-e5-small"


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


_COLLECTION_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]")


class ConfigError(Exception):
    """A setting has a value the assistant cannot start with; the message names the variable."""


class Settings(BaseSettings):
    """Configuration for ingest, knowledge and the bot; built once at the edge, passed down."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `VAR=` (as in a copied .env.example) means "not set": the default applies.
        env_ignore_empty=True,
        case_sensitive=False,
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = DEFAULT_TELEGRAM_BASE_URL
    bot_allowed_chats: Annotated[list[int], NoDecode] = Field(default_factory=list)
    bot_admins: Annotated[list[int], NoDecode] = Field(default_factory=list)

    chroma_path: Path = Path("data/chroma")
    chroma_host: str | None = None
    chroma_port: int | None = Field(default=None, ge=1, le=65535)
    chroma_collection: str = Field(default="knowledge", min_length=3, max_length=63)

    embedding_model: str = ""

    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)

    data_dir: Path = Path("data")

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("bot_allowed_chats", "bot_admins", mode="before")
    @classmethod
    def _parse_id_list(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator(
        "telegram_bot_token",
        "chroma_host",
        "llm_base_url",
        "llm_model",
        "llm_api_key",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("chroma_collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        # Chroma's own rule; checked here so a bad name fails at start-up naming the variable,
        # not later with a store error.
        if not _COLLECTION_NAME.fullmatch(value) or ".." in value:
            raise ValueError(
                "a collection name takes 3-63 characters from a-z A-Z 0-9 . _ -, starting and "
                "ending with a letter or digit, with no '..'"
            )
        return value

    @field_validator("chroma_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_provider", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.chroma_host and self.chroma_port is None:
            raise ValueError("CHROMA_PORT must be set when CHROMA_HOST is set")
        if self.llm_provider != "none" and not self.llm_model:
            raise ValueError(f"LLM_MODEL must be set when LLM_PROVIDER={self.llm_provider}")
        if self.llm_provider == "openai" and not self.llm_base_url and not self.llm_api_key:
            raise ValueError("LLM_PROVIDER=openai needs LLM_BASE_URL or LLM_API_KEY")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is set")
        return self

    @property
    def uses_chroma_server(self) -> bool:
        """True when a Chroma server is configured instead of the embedded store."""
        return bool(self.chroma_host)

    @property
    def embedding_model_path(self) -> str:
        """The model name or path to load: EMBEDDING_MODEL, or the bundled rebuild."""
        return self.embedding_model or str(bundled_model_dir())


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    # The first part of the location is the field (= the variable); later parts are list
    # positions, e.g. ("bot_admins", 1) for the second id of BOT_ADMINS.
    location = next((str(part) for part in first.get("loc", ()) if isinstance(part, str)), "")
    if location == "__root__":
        location = ""
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    message = " ".join(message.split())  # one line, whatever pydantic wrote
    if not location:
        return message
    return f"{location.upper()}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(f"configuration error: {_describe(error)}") from None
