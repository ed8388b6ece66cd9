"""Errors a user can cause or meet; their messages are fit to show as they are."""


class KnowledgeError(Exception):
    """Base of the errors whose message can be shown to the user."""


class StoreUnavailable(KnowledgeError):
    """The vector store (a Chroma server) cannot be reached right now."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The knowledge base is unavailable right now, try again in a minute."
            + (f" ({detail})" if detail else "")
        )


class InvalidQuestion(KnowledgeError):
    """The question is empty or longer than the limit."""


class UnknownVendor(KnowledgeError):
    """A vendor name that matches no known vendor, or more than one."""
