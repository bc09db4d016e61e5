"""Importers for researcher profile pages scraped as text; each format lives in its own ``page_*`` module."""

from __future__ import annotations

from scholarbot.ingest.importers.base import Importer
from scholarbot.ingest.importers.page_acl import AclAuthorPageImporter
from scholarbot.ingest.importers.page_bzpeer import BzpeerProfileImporter
from scholarbot.ingest.importers.page_feed import PaperFeedImporter
from scholarbot.ingest.importers.page_pubs_list import PubsListImporter

__all__ = [
    "PROFILE_IMPORTERS",
    "AclAuthorPageImporter",
    "BzpeerProfileImporter",
    "PaperFeedImporter",
    "PubsListImporter",
]

PROFILE_IMPORTERS: tuple[Importer, ...] = (
    BzpeerProfileImporter(),
    PubsListImporter(),
    AclAuthorPageImporter(),
    PaperFeedImporter(),
)
