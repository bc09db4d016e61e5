"""Links, DOIs and arXiv ids pasted into a question, and the part of each a paper's record holds.

"who wrote https://aclanthology.org/2020.coling-main.519/?" names a paper exactly; read as words, a
link finds a random one (its "2020" even became a year filter). The engine looks each identifier up
in the records and asks about the paper by its title, or says the records lack it: the bot opens
no links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"https?://[^\s<>\"'“”]+", re.I)
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s<>\"'“”]+")
_ARXIV_ID = re.compile(r"\barxiv(?:\.org/(?:abs|pdf)/|\s*:\s*|\s+)(\d{4}\.\d{4,5})(?:v\d+)?", re.I)
#: Where a known site keeps a paper's own id in its links.
_SITE_IDS = (
    re.compile(r"doi\.org/(10\.\d{4,9}/.+)$", re.I),
    re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", re.I),
    re.compile(r"openreview\.net/(?:forum|pdf)\?(?:.*&)?id=([\w-]+)", re.I),
    re.compile(r"aclanthology\.org/([\w.-]+?)(?:\.pdf)?/?$", re.I),
)
_TRAILING = ".,;:!?)]}>'\"“”’"


@dataclass(frozen=True)
class Identifier:
    """An identifier as the question has it, and the text a record holding it contains."""

    said: str
    needle: str


def identifiers(text: str) -> list[Identifier]:
    """The links, DOIs and arXiv ids in a question, in order, each once."""
    found: list[Identifier] = []
    taken: list[tuple[int, int]] = []
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        taken.append((m.start(), m.start() + len(url)))
        found.append(Identifier(url, _needle(url)))
    for pattern in (_DOI, _ARXIV_ID):
        for m in pattern.finditer(text):
            if any(start <= m.start() < end for start, end in taken):
                continue
            said = m.group(0).rstrip(_TRAILING)
            found.append(Identifier(said, m.group(1) if m.groups() else said))
    return list({i.said: i for i in found}.values())


def _needle(url: str) -> str:
    """The part of a link a record holds: a known site's paper id, else the link without its
    scheme, "www.", trailing slash and ".pdf" (so a paper's page and its PDF both match)."""
    for pattern in _SITE_IDS:
        m = pattern.search(url)
        if m:
            return m.group(1).rstrip("/")
    bare = re.sub(r"^https?://(?:www\.)?", "", url, flags=re.I).rstrip("/")
    return re.sub(r"\.pdf$", "", bare, flags=re.I)
