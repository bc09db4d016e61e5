"""Ingest files into the store: parse, merge with what is stored, embed what changed, resolve people.

Re-ingesting the same files changes nothing. Papers are written in batches, and a flag marks the
people index stale until the end, so an interrupted ingest leaves a usable store and a re-run
finishes the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scholarbot.errors import ScholarbotError
from scholarbot.ingest.importers import expand_paths, read_file
from scholarbot.ingest.people import resolve_people
from scholarbot.records import Paper, ProfilePage, Researcher, merge_by_id, merge_papers
from scholarbot.store.store import (
    EMBEDDER_FLAG,
    PEOPLE_STALE,
    Store,
    paper_text,
    profile_id,
    record_hash,
    researcher_hash,
    researcher_text,
    text_hash,
)

if TYPE_CHECKING:
    from scholarbot.store.embeddings import Embedder  # one protocol for every model; importing it loads none

#: Called as progress(stage, done, total).
Progress = Callable[[str, int, int], None]
#: Called with every researcher and the store generation they were written at, so derived indexes
#: (the people directory) can be saved from what ingest holds instead of a later full scan.
PeopleWritten = Callable[[Sequence[Researcher], str], None]


@dataclass
class IngestReport:
    """What an ingest did, for the summary line and for tests."""

    files_read: list[str] = field(default_factory=list)
    files_skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    papers_added: int = 0
    papers_updated: int = 0
    papers_unchanged: int = 0
    profiles: int = 0
    researchers_total: int = 0
    researchers_changed: int = 0
    researchers_removed: int = 0
    seconds: float = 0.0

    @property
    def papers_seen(self) -> int:
        """Distinct papers read from the files."""
        return self.papers_added + self.papers_updated + self.papers_unchanged


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    embedder: Embedder,
    progress: Progress | None = None,
    people_written: PeopleWritten | None = None,
) -> IngestReport:
    """Import files and folders into the store and report what changed."""
    started = time.perf_counter()
    report = IngestReport()
    papers: list[Paper] = []
    pages: dict[str, ProfilePage] = {}
    files = list(expand_paths(paths))
    for n, path in enumerate(files, 1):
        _progress(progress, "read", n, len(files))
        try:
            batch = read_file(path)
        except ScholarbotError as e:
            report.files_skipped.append((str(path), str(e)))
            continue
        except (OSError, UnicodeDecodeError) as e:
            report.files_skipped.append((str(path), f"{path}: could not be read: {e}"))
            continue
        report.files_read.append(str(path))
        report.problems.extend(f"{path}: {p}" for p in batch.problems)
        papers.extend(batch.papers)  # merged by id in ingest_records
        for page in batch.profiles:
            pages[profile_id(page)] = page  # the same page given twice is one page

    ingest_records(papers, list(pages.values()), store, embedder, report, progress, people_written)
    report.seconds = time.perf_counter() - started
    return report


def ingest_records(
    papers: Sequence[Paper],
    pages: Sequence[ProfilePage],
    store: Store,
    embedder: Embedder,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    people_written: PeopleWritten | None = None,
) -> IngestReport:
    """Write records that did not come from files (new papers from arXiv, OpenAlex) the same way."""
    started = time.perf_counter()
    report = report or IngestReport()
    papers = list(merge_by_id(papers).values())
    pages = list({profile_id(p): p for p in pages}.values())
    was_empty = store.counts()["papers"] == 0
    changed = False
    if papers:
        changed = _write_papers(papers, store, embedder, report, progress)
    if pages:
        report.profiles = len(pages)
        stored_pages = {profile_id(p): p for p in store.iter_profiles()}
        new_pages = [p for p in pages if stored_pages.get(profile_id(p)) != p]
        if new_pages:
            if not changed:
                store.set_flag(PEOPLE_STALE, True)
            store.upsert_profiles(new_pages, embedder.embed_documents([p.name for p in new_pages]))
            changed = True
    if changed or store.get_flag(PEOPLE_STALE):
        # On a first ingest everything stored is in memory already: skip reading it back.
        in_memory = papers if was_empty else None
        refresh_people(store, embedder, report, progress, papers=in_memory, people_written=people_written)
    else:
        report.researchers_total = store.counts()["researchers"]
    report.seconds += time.perf_counter() - started
    return report


def _write_papers(
    incoming: Sequence[Paper],
    store: Store,
    embedder: Embedder,
    report: IngestReport,
    progress: Progress | None,
) -> bool:
    """Write new and changed papers; return whether anything was written."""
    size = store.settings.batch_size
    wrote = False
    for start in range(0, len(incoming), size):
        chunk = incoming[start : start + size]
        stored = store.get_papers([p.id for p in chunk])
        to_embed: list[Paper] = []
        to_update: list[Paper] = []
        for paper in chunk:
            old = stored.get(paper.id)
            if old is None:
                to_embed.append(paper)
                report.papers_added += 1
                continue
            merged = merge_papers(old, paper)
            if record_hash(merged) == record_hash(old):
                report.papers_unchanged += 1
            elif text_hash(merged) != text_hash(old):
                to_embed.append(merged)
                report.papers_updated += 1
            else:
                to_update.append(merged)
                report.papers_updated += 1
        if (to_embed or to_update) and not wrote:
            if store.get_flag(EMBEDDER_FLAG) is None:
                store.set_flag(EMBEDDER_FLAG, embedder.name)
            # Raised before the first write, cleared once people are resolved again: a crash in
            # between leaves a flag that tells the next run (and `stats`) to finish the job.
            store.set_flag(PEOPLE_STALE, True)
            wrote = True
        if to_embed:
            vectors = embedder.embed_documents([paper_text(p) for p in to_embed])
            # Rewritten papers keep the time they first arrived; only new ones are "new".
            seen = store.first_seen([p.id for p in to_embed if p.id in stored])
            store.upsert_papers(to_embed, vectors, seen)
        if to_update:
            store.update_paper_records(to_update)
        _progress(progress, "papers", min(start + size, len(incoming)), len(incoming))
    return wrote


def refresh_people(
    store: Store,
    embedder: Embedder,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    papers: Sequence[Paper] | None = None,
    people_written: PeopleWritten | None = None,
) -> IngestReport:
    """Re-resolve researchers from every stored paper and profile page, writing only what changed.

    `papers`, when given, must be every paper in the store (a first ingest has them in memory).
    """
    report = report or IngestReport()
    _progress(progress, "people", 0, 1)
    people = resolve_people(papers if papers is not None else store.iter_papers(), store.iter_profiles())
    stored = store.researcher_hashes()
    changed = [r for r in people if stored.get(r.id) != researcher_hash(r)]
    gone = sorted(set(stored) - {r.id for r in people})
    size = store.settings.batch_size
    for start in range(0, len(changed), size):
        chunk = changed[start : start + size]
        store.upsert_researchers(chunk, embedder.embed_documents([researcher_text(r) for r in chunk]))
        _progress(progress, "people", min(start + size, len(changed)), len(changed))
    if gone:
        store.delete_researchers(gone)
    generation = store.set_flag(PEOPLE_STALE, False)
    if people_written is not None:
        people_written(people, generation)
    report.researchers_total = len(people)
    report.researchers_changed = len(changed)
    report.researchers_removed = len(gone)
    return report


def _progress(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
