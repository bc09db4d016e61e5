"""Ingest files into the store: parse, merge with what is stored, embed what changed, resolve people.

Re-ingesting the same files changes nothing. Papers are written in batches, and a flag marks the
people index stale until the end, so an interrupted ingest leaves a usable store and a re-run
finishes the job.

People are resolved again only under the names the written papers carry, when the people table
(:class:`KnownPeople`) is current: a digest's 50 papers into 100k no longer re-resolve 270k people.
A first ingest, a large one, an interrupted one, or a missing or stale table resolves everyone.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scholarbot.errors import ScholarbotError
from scholarbot.ingest.identity import IDF_SAMPLE
from scholarbot.ingest.importers import expand_paths, read_file
from scholarbot.ingest.people import (
    Scope,
    iter_people,
    related_keys,
    relink_coauthors,
    resolve_people,
    variant_keys,
)
from scholarbot.records import Paper, ProfilePage, Researcher, merge_by_id, merge_papers, person_key
from scholarbot.store.store import (
    EMBEDDER_FLAG,
    PEOPLE_GENERATION,
    PEOPLE_STALE,
    ResearcherWriter,
    Store,
    paper_text,
    profile_id,
    record_hash,
    researcher_hash,
    text_hash,
)

if TYPE_CHECKING:
    from scholarbot.store.embeddings import Embedder  # one protocol for every model; importing it loads none

#: Called as progress(stage, done, total).
Progress = Callable[[str, int, int], None]
#: Papers written, as a share of the store, above which everyone is resolved again: past it the
#: people touched are most of the store and one full pass is cheaper than lookups.
INCREMENTAL_SHARE = 0.2


class KnownPeople(Protocol):
    """The researchers as last resolved, indexed by name key and paper (the people table readers use).

    Ingest keeps it current (`write`, `patch`), so no reader rebuilds it from a scan, and reads it
    to re-resolve only the names that new papers touch.
    """

    def generation(self) -> str | None:
        """The people generation it holds, None when there is none."""

    def ids_named(self, keys: Collection[str]) -> set[str]:
        """Ids of the people under these person keys (:func:`~scholarbot.records.person_key`)."""

    def authors_of(self, paper_ids: Collection[str]) -> dict[str, set[str]]:
        """Ids of each paper's people."""

    def name_counts(self, keys: Collection[str]) -> tuple[dict[str, int], int]:
        """Clusters before name-rarity joins (how common a name is) per person key, for `keys` and every
        key that shares a word of two or more letters with them; and the total over all keys."""

    def paper_sample(self, n: int) -> list[str]:
        """The `n` smallest paper ids with people."""

    def write(self, people: Iterable[Researcher], generation: Callable[[], str]) -> None:
        """Hold exactly these people, as of the people generation `generation()` gives once they are
        all taken (the store learns it only after the last one is written)."""

    def patch(self, removed: Collection[str], added: Sequence[Researcher], generation: str) -> None:
        """Drop people by id and add (or replace) others, as of a people generation."""


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
    people: KnownPeople | None = None,
    resolve_all: bool = False,
) -> IngestReport:
    """Import files and folders into the store and report what changed.

    `resolve_all` resolves every researcher again even when few papers (or none) changed.
    """
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

    ingest_records(papers, list(pages.values()), store, embedder, report, progress, people, resolve_all)
    report.seconds = time.perf_counter() - started
    return report


def ingest_records(
    papers: Sequence[Paper],
    pages: Sequence[ProfilePage],
    store: Store,
    embedder: Embedder,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    people: KnownPeople | None = None,
    resolve_all: bool = False,
) -> IngestReport:
    """Write records that did not come from files (new papers from arXiv, OpenAlex) the same way."""
    started = time.perf_counter()
    report = report or IngestReport()
    papers = list(merge_by_id(papers).values())
    pages = list({profile_id(p): p for p in pages}.values())
    stored_papers = store.count("papers")
    # Judged before anything is written: the table must hold the people the store holds now.
    since = _is_current(people, store) if people is not None else None
    changed = False
    touched: _Touched = _Touched()
    if papers:
        touched = _write_papers(papers, store, embedder, report, progress)
        changed = bool(touched.papers)
    if pages:
        report.profiles = len(pages)
        stored_pages = {profile_id(p): p for p in store.iter_profiles()}
        new_pages = [p for p in pages if stored_pages.get(profile_id(p)) != p]
        if new_pages:
            if not changed:
                store.set_flag(PEOPLE_STALE, True)
            store.upsert_profiles(new_pages, embedder.embed_documents([p.name for p in new_pages]))
            touched.keys.update(person_key(p.name) for p in new_pages)
            changed = True
    if changed or resolve_all or store.get_flag(PEOPLE_STALE):
        small = len(touched.papers) <= INCREMENTAL_SHARE * stored_papers
        if people is not None and since is not None and changed and small and not resolve_all:
            refresh_touched(store, people, touched, report, progress, since)
        else:
            # On a first ingest everything stored is in memory already: skip reading it back.
            in_memory = papers if stored_papers == 0 else None
            refresh_people(store, report, progress, papers=in_memory, people=people)
    else:
        report.researchers_total = store.count("researchers")
    report.seconds += time.perf_counter() - started
    return report


def _is_current(people: KnownPeople, store: Store) -> str | None:
    """The people generation when the table holds exactly the store's people, else None.

    Stores whose people were last written before the people generation existed carry records
    without their rarity-join counts, so they get one full resolution first.
    """
    flags = store.flags()
    generation = flags.get(PEOPLE_GENERATION)
    if flags.get(PEOPLE_STALE) or not generation or people.generation() != generation:
        return None
    return str(generation)


@dataclass
class _Touched:
    """What a write changed that people resolution depends on."""

    #: Ids of the papers written (new, or with a changed record).
    papers: set[str] = field(default_factory=set)
    #: Person keys of their authors, before and after the change.
    keys: set[str] = field(default_factory=set)

    def add(self, paper: Paper, before: Paper | None = None) -> None:
        self.papers.add(paper.id)
        for p in (paper, before) if before is not None else (paper,):
            self.keys.update(k for k in (person_key(a.name) for a in p.authors) if k)


def _write_papers(
    incoming: Sequence[Paper],
    store: Store,
    embedder: Embedder,
    report: IngestReport,
    progress: Progress | None,
) -> _Touched:
    """Write new and changed papers; return what was written."""
    size = store.settings.batch_size
    touched = _Touched()
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
                touched.add(paper)
                continue
            merged = merge_papers(old, paper)
            if record_hash(merged) == record_hash(old):
                report.papers_unchanged += 1
                continue
            report.papers_updated += 1
            touched.add(merged, old)
            if text_hash(merged) != text_hash(old):
                to_embed.append(merged)
            else:
                to_update.append(merged)
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
    return touched


def refresh_people(
    store: Store,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    papers: Sequence[Paper] | None = None,
    people: KnownPeople | None = None,
) -> IngestReport:
    """Re-resolve researchers from every stored paper and profile page, writing only what changed.

    `papers`, when given, must be every paper in the store (a first ingest has them in memory).
    Researchers go to the store, and to the people table, in batches as they are built: a million
    papers' 2.7M researchers are never all in memory.
    """
    report = report or IngestReport()
    _progress(progress, "people", 0, 1)
    writer = _PeopleWriter(store, report, progress)
    source = papers if papers is not None else store.iter_papers()
    rows = writer.rows(iter_people(source, store.iter_profiles()))
    if people is not None:
        people.write(rows, writer.resolved)
    for _ in rows:  # what the table did not take (it gives up on a full disk) is still written
        pass
    writer.resolved()
    return report


class _PeopleWriter:
    """Takes the researchers whose record changed as they pass through :meth:`rows`, and the stored
    ones no longer resolved, and writes them together once all have passed (`Store.researcher_writer`)."""

    def __init__(self, store: Store, report: IngestReport, progress: Progress | None) -> None:
        self.store = store
        self.report = report
        self.progress = progress
        self.stored = store.researcher_hashes()
        self.report.researchers_changed = 0
        self.batch: list[Researcher] = []
        self.seen: set[str] = set()
        self.done = False
        self.stale = bool(store.get_flag(PEOPLE_STALE))
        self.error: BaseException | None = None
        self.generation: str | None = None
        self.writer: ResearcherWriter | None = None

    def rows(self, people: Iterable[Researcher]) -> Iterator[Researcher]:
        try:
            with self.store.researcher_writer() as self.writer:
                for person in people:
                    self.seen.add(person.id)
                    # Nothing stored (a first ingest): every record is new, no need to hash it here.
                    if not self.stored or self.stored.get(person.id) != researcher_hash(person):
                        self.batch.append(person)
                        if len(self.batch) >= self.store.settings.batch_size:
                            self._flush()
                    yield person
                self._flush()
                gone = sorted(set(self.stored) - self.seen)
                if gone:
                    self._mark_stale()
                    self.writer.delete(gone)
            self.report.researchers_removed = len(gone)
            self.report.researchers_total = len(self.seen)
            self.done = True
        except GeneratorExit:  # closed by its consumer: `resolved` says the rows were not all written
            raise
        except BaseException as e:
            self.error = e  # a consumer that swallows it (the table) must not hide it from ingest
            raise

    def _mark_stale(self) -> None:
        # A resolution asked for with no paper written has not raised the flag yet; an interruption
        # between two batches must still leave a store that says its people are half written.
        if not self.stale:
            self.store.set_flag(PEOPLE_STALE, True)
            self.stale = True

    def _flush(self) -> None:
        if self.batch and self.writer is not None:
            self._mark_stale()
            self.writer.upsert(self.batch)
            self.report.researchers_changed += len(self.batch)
            _progress(self.progress, "people", self.report.researchers_changed, len(self.seen))
            self.batch = []

    def resolved(self) -> str:
        """Mark people resolved once every row has been written; the new people generation."""
        if self.error is not None:
            raise self.error
        if self.generation is None:
            if not self.done:
                raise ScholarbotError("people resolution stopped before every researcher was written")
            self.generation = self.store.people_resolved()
        return self.generation


def refresh_touched(
    store: Store,
    known: KnownPeople,
    touched: _Touched,
    report: IngestReport | None = None,
    progress: Progress | None = None,
    since: str | None = None,
) -> IngestReport:
    """Re-resolve the people under the name keys a write touched; everyone else stays as they were.

    The keys of the touched names' variants come too (a name printed with and without its middle
    names is one person under several keys: :func:`~scholarbot.ingest.people.variant_keys`).
    Their coauthors are re-pointed at the new people. `known` must hold the store's people as they
    were before the write (people generation `since`); it is patched to hold them after. When
    another writer resolved people meanwhile, everyone is resolved instead.
    """
    report = report or IngestReport()
    _progress(progress, "people", 0, 1)
    pages = list(store.iter_profiles())
    papers: dict[str, Paper] = {}
    rounds = 0
    while True:
        rounds += 1
        # "Mixed" is judged per page source, so every name a touched page's source lists is touched too.
        sources = {page.source for page in pages if person_key(page.name) in touched.keys}
        touched.keys.update(person_key(page.name) for page in pages if page.source in sources)
        old_ids = known.ids_named(touched.keys)
        old = store.get_researchers(sorted(old_ids))
        if len(old) != len(old_ids):  # the table names people the store lacks: trust neither
            return refresh_people(store, report, progress, people=known)
        paper_ids = touched.papers.union(*(r.paper_ids for r in old.values()))
        papers |= store.get_papers(sorted(paper_ids - papers.keys()))
        counts, total = known.name_counts(touched.keys)
        # A name printed with and without middle names may be one person under several keys: the
        # keys of those variants are resolved too, and theirs, until no more come.
        printed = {a.name for p in papers.values() for a in p.authors if person_key(a.name) in touched.keys}
        printed.update(n for r in old.values() for n in (r.name, *r.aliases))
        near = related_keys(touched.keys, counts)
        people = [*old.values(), *store.get_researchers(sorted(known.ids_named(near))).values()]
        more = variant_keys(touched.keys, printed, people)
        if not more:
            break
        touched.keys |= more
    if rounds > 1:  # one read, so the papers come in the order resolution always had them in
        papers = store.get_papers(sorted(paper_ids))
    others = {pid: ids - old_ids for pid, ids in known.authors_of(paper_ids).items()}
    sample = sorted({*known.paper_sample(IDF_SAMPLE), *touched.papers})[:IDF_SAMPLE]
    topic_sample = list(store.get_papers(sample).values())
    scope = Scope(frozenset(touched.keys), others, counts, topic_sample, total)
    resolved = resolve_people(papers.values(), pages, scope=scope)

    new_authors: dict[str, set[str]] = defaultdict(set)
    for r in resolved:
        for pid in r.paper_ids:
            new_authors[pid].add(r.id)
    neighbours = store.get_researchers(sorted(set().union(*others.values())))
    relinked = [relink_coauthors(r, old_ids, new_authors) for r in neighbours.values()]
    changed = [r for r in resolved if r.id not in old or researcher_hash(r) != researcher_hash(old[r.id])]
    repointed = [r for r in relinked if researcher_hash(r) != researcher_hash(neighbours[r.id])]
    gone = sorted(old_ids - {r.id for r in resolved})
    if since is not None and store.people_generation() != since:
        # Another ingest resolved people while this one ran: the table read above is out of date.
        return refresh_people(store, report, progress, people=known)
    _write_people(store, changed + repointed, gone, report, progress)
    # The table holds whole records, coauthor lists included: re-pointed neighbours are replaced too.
    known.patch(old_ids | {r.id for r in repointed}, [*resolved, *repointed], store.people_resolved())
    report.researchers_total = store.count("researchers")
    return report


def _write_people(
    store: Store,
    changed: Sequence[Researcher],
    gone: Sequence[str],
    report: IngestReport,
    progress: Progress | None,
) -> None:
    with store.researcher_writer() as writer:
        writer.upsert(changed)
        writer.delete(gone)
    _progress(progress, "people", len(changed), len(changed))
    report.researchers_changed = len(changed)
    report.researchers_removed = len(gone)


def _progress(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
