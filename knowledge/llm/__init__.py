"""Optional LLM answers: prompt, chat model, post-validation and the LLMAssistant wrapper."""

from knowledge.llm.answerer import LLMAssistant, StreamEvent
from knowledge.llm.models import LLMConfigError, build_chat_model
from knowledge.llm.validate import Validation, validate

__all__ = [
    "LLMAssistant",
    "LLMConfigError",
    "StreamEvent",
    "Validation",
    "build_chat_model",
    "validate",
]
