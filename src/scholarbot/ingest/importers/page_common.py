"""Helpers shared by the researcher profile-page importers (``page_*.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from scholarbot.errors import MalformedFileError
from scholarbot.records import ImportBatch, Paper, ProfilePage, merge_by_id

MONTH_RE = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
MONTHS = {m.lower(): i for i, m in enumerate(MONTH_RE.split("|"), start=1)}

# Project pages (github.io) and data links are not code; only code hosts count.
_CODE_URL = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/[^\s<>\"']+", re.I)
_URL_TAIL = ".,;:!?)]}>'\""
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z(]")

#: Longest line still taken for a title; longer lines are abstracts.
MAX_TITLE = 300


def head_lines(head: str, limit: int = 400) -> list[str]:
    """The non-blank, stripped lines of a sniffed head (BOM and CRLF tolerated)."""
    lines = head.replace("\ufeff", "").splitlines()[:limit]
    return [ln.strip() for ln in lines if ln.strip()]


def read_lines(path: Path, fmt: str) -> list[str]:
    """The non-blank, stripped lines of a whole file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MalformedFileError(path, fmt, str(e)) from e
    # Scraped pages are UTF-8 but a stray byte must not cost the whole page.
    text = raw.decode("utf-8-sig", errors="replace").replace("\ufeff", "")
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def source_for(fmt: str, path: Path) -> str:
    return f"seed:{fmt}:{path.name}"


def code_urls(text: str) -> tuple[str, ...]:
    """Code-host links in free text, without the sentence punctuation that follows them."""
    return tuple(dict.fromkeys(u.rstrip(_URL_TAIL) for u in _CODE_URL.findall(text)))


def iso_date(year: str | int, month: str, day: str | int) -> str | None:
    """YYYY-MM-DD from a printed date, or None when the parts do not make a real day."""
    m = MONTHS.get(month[:3].lower())
    if m is None:
        return None
    try:
        return date(int(year), m, int(day)).isoformat()
    except ValueError:
        return None


def number(text: str) -> int | float | None:
    """A displayed count ("8,939", "13.6") as a number."""
    text = text.replace(",", "").strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def looks_like_prose(line: str) -> bool:
    """True for abstract-like lines: too long for a title, or several sentences ending in a stop."""
    if len(line) > MAX_TITLE:
        return True
    return line.endswith((".", "!")) and bool(_SENTENCE_BREAK.search(line))


def looks_like_name(line: str) -> bool:
    """A person's name as a page heading: a few words, no digits or punctuation of titles."""
    tokens = line.split()
    return (
        1 <= len(tokens) <= 6
        and len(line) <= 80
        and not any(ch.isdigit() for ch in line)
        and not any(ch in line for ch in ":|#[]{}")
        and line[0].isupper()
    )


def finish(
    path: Path,
    fmt: str,
    *,
    page_format: str,
    name: str,
    papers: Iterable[Paper],
    metrics: dict[str, int | float] | None = None,
    notes: Iterable[str] = (),
    affiliations: tuple[str, ...] = (),
) -> ImportBatch:
    """Merge repeated papers, build the profile, and refuse a page that yields no name or papers."""
    if not name:
        raise MalformedFileError(path, fmt, "no researcher name found")
    listed = list(papers)
    if not listed:
        raise MalformedFileError(path, fmt, "no papers found")
    merged = merge_by_id(listed)
    notes = list(notes)
    if len(merged) < len(listed):
        notes.append(f"{len(listed)} listed items are {len(merged)} distinct papers (titles repeat)")
    source = source_for(fmt, path)
    profile = ProfilePage(
        name=name,
        source=source,
        page_format=page_format,
        metrics=dict(metrics or {}),
        affiliations=affiliations,
        paper_ids=tuple(merged),
        notes=tuple(notes),
    )
    return ImportBatch(source=source, papers=list(merged.values()), profiles=[profile])


def split_blocks(lines: list[str], start: re.Pattern[str]) -> list[tuple[re.Match[str], list[str]]]:
    """Cut lines into entries, each opened by a line `start` matches, with the lines that follow it."""
    blocks: list[tuple[re.Match[str], list[str]]] = []
    for ln in lines:
        if m := start.match(ln):
            blocks.append((m, []))
        elif blocks:
            blocks[-1][1].append(ln)
    return blocks
