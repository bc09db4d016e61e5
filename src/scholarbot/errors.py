"""Errors with messages meant for the person at the keyboard (CLI or Discord)."""

from __future__ import annotations

from pathlib import Path


class ScholarbotError(Exception):
    """Base class: the message is shown to users as it is."""


class UnknownFormatError(ScholarbotError):
    """A file matched none of the importers."""

    def __init__(self, path: Path, known: list[str]) -> None:
        self.path = path
        super().__init__(f"{path}: not a format scholarbot can import. Known formats: {', '.join(known)}.")


class MalformedFileError(ScholarbotError):
    """A file looked like a known format but could not be read as one."""

    def __init__(self, path: Path, fmt: str, why: str) -> None:
        self.path = path
        super().__init__(f"{path}: looks like {fmt} but could not be read: {why}")


class StoreError(ScholarbotError):
    """The vector store could not be opened or written."""


class EmptyStoreError(ScholarbotError):
    """A question was asked before anything was ingested."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"The store at {where} holds no papers yet. Run `scholarbot ingest PATH` first "
            "(or `scholarbot demo` for the bundled sample)."
        )


class ConfigError(ScholarbotError):
    """The configuration file or environment is wrong."""


class PromptTemplateError(ScholarbotError):
    """A prompt file is missing, unreadable, or its placeholders are not the ones the code fills."""


class UnknownResearcherError(ScholarbotError):
    """A researcher id is not (or no longer) in the store."""

    def __init__(self, researcher_id: str) -> None:
        super().__init__(
            f"No researcher {researcher_id!r} in the records; the store may have changed since. "
            "Ask again by name."
        )


class UnknownPaperError(ScholarbotError):
    """A paper id (from a saved list or an old button) is not, or no longer, in the store."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(
            f"That paper ({paper_id}) is no longer in the records; the store may have been rebuilt since."
        )
        self.paper_id = paper_id
