"""Errors of ingestion whose message is shown to the user as it is."""


class IngestError(Exception):
    """A file that cannot be ingested; the message is one line fit to show in `failed`."""
