"""Builds the langchain chat model of the settings: any OpenAI-compatible server, or Ollama.

Retries are NOT left to the clients (`max_retries=0` for OpenAI; Ollama's client has none): the
answerer retries a failed request itself, bounded by LLM_MAX_RETRIES, and only while nothing has
been streamed to the user yet, so both providers behave the same and a half-shown answer is never
restarted.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from config.settings import Settings

TEMPERATURE = 0.1  # low: the answer should follow the sources, not improvise
# OpenAI's client insists on a key; local OpenAI-compatible servers (vLLM, llama.cpp, LM Studio)
# ignore it.
PLACEHOLDER_KEY = "not-needed"


class LLMConfigError(ValueError):
    """The LLM settings cannot build a model (message names the variable, never the key)."""


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model for LLM_PROVIDER, with LLM_TIMEOUT applied to every request."""
    if not settings.llm_model:
        raise LLMConfigError("LLM_MODEL must be set to use an LLM")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if settings.llm_provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=key or PLACEHOLDER_KEY,
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=TEMPERATURE,
            stream_usage=True,  # token counts arrive in the last streamed chunk
        )
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        client_kwargs: dict[str, object] = {"timeout": settings.llm_timeout}
        if key:
            # An Ollama behind an authenticating proxy, or Ollama's hosted API.
            client_kwargs["headers"] = {"Authorization": f"Bearer {key}"}
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            temperature=TEMPERATURE,
            client_kwargs=client_kwargs,
        )
    raise LLMConfigError(f"LLM_PROVIDER={settings.llm_provider} has no chat model")
