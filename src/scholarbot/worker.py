"""Work a long-lived process (the bot) hands to a short-lived child, so the memory it takes goes back.

Reading papers from Chroma loads the collection's whole vector index into the reading process
(~750 MB at 500k papers) and Chroma keeps it there; a patch of the paper index holds token arrays and
BM25 scores while it rewrites them. In a child those go back to the system when it exits.

    python -m scholarbot.worker    # stdin: pickled (Settings, task name, arguments); stdout: pickled result

The child is a fresh interpreter (a `multiprocessing` spawn would re-run the caller's main module).
`Services.in_child` starts it and waits; the tasks are the functions in TASKS.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

from scholarbot.config import Settings
from scholarbot.records import Paper
from scholarbot.services import Services, open_services


def refresh_paper_index(svc: Services) -> None:
    """Bring the paper index's cache up to the store's generation (patch, or build when missing)."""
    from scholarbot.search.index import PaperIndex

    PaperIndex.open(svc.store, svc.embedder, svc.index_dir)


def absorb(svc: Services, papers: list[Paper]) -> None:
    """Ingest a digest's new papers (merged with the stored versions; the people table patched)."""
    from scholarbot.ingest.pipeline import ingest_records

    ingest_records(papers, [], svc.store, svc.embedder, people=svc.people_table())


def papers_first_seen(svc: Services, lo: float, hi: float, page: int) -> list[Paper]:
    """Papers that first entered the store in [lo, hi) (unix seconds)."""
    return svc.store.papers_first_seen(lo, hi, page)


TASKS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (refresh_paper_index, absorb, papers_first_seen)
}


def main() -> None:
    # The result goes to the caller through the original stdout; anything printed while working
    # (a library's own output, written to file descriptor 1) goes to stderr instead of into it.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    settings, task, args = pickle.loads(sys.stdin.buffer.read())
    if not isinstance(settings, Settings) or task not in TASKS:
        raise SystemExit(f"unknown task {task!r}")
    svc = open_services(settings)
    try:
        result = TASKS[task](svc, *args)
    finally:
        svc.close()
    with os.fdopen(result_fd, "wb") as out:
        out.write(pickle.dumps(result))


if __name__ == "__main__":
    main()
