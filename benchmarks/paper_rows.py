"""Paper rows written to Chroma with their fields as metadata keys (stores before this layout) and as
one compressed value beside the write time (`store.paper_to_chroma`).

Run:  .venv/bin/python benchmarks/paper_rows.py [--data ../shared] [--n 0]

Reads the corpus's papers (all, or the first --n) through the real importer, then writes the same
papers into two fresh collections of a temporary embedded Chroma store, 1,000 rows per call with the
store's sparse HNSW settings and random unit vectors of 256 dimensions, the two layouts alternating
call by call so drift on a shared machine hits both alike. The clock covers building the rows and the
Chroma writes; it prints rows per second and the store's size each way.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings

from scholarbot.ingest.importers import expand_paths, read_file
from scholarbot.records import Paper
from scholarbot.store.store import PAPER_HNSW, paper_dict, paper_to_chroma, record_hash, text_hash

HERE = Path(__file__).resolve().parent


def keyed_row(paper: Paper) -> dict[str, Any]:
    """A paper row as the store wrote it before the packed value (title, abstract, record, hashes,
    year and venue as keys)."""
    rec = paper_dict(paper)
    del rec["title"], rec["abstract"], rec["id"]
    row: dict[str, Any] = {
        "first_seen": int(time.time()),
        "written_at": int(time.time() * 1000),
        "record": json.dumps(rec, ensure_ascii=False),
        "record_hash": record_hash(paper),
        "text_hash": text_hash(paper),
        "title": paper.title,
        "abstract": paper.abstract,
    }
    if paper.year is not None:
        row["year"] = paper.year
    if paper.venue:
        row["venue"] = paper.venue
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared"), help="the shared data folder")
    ap.add_argument("--n", type=int, default=0, help="papers to write (0: all)")
    args = ap.parse_args()
    papers: dict[str, Paper] = {}
    for f in expand_paths([Path(args.data) / "corpus" / "paperlists"]):
        for p in read_file(f).papers:
            papers.setdefault(p.id, p)
    chosen = list(papers.values())[: args.n or None]
    vectors = np.random.default_rng(0).standard_normal((len(chosen), 256)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    layouts = {"keys (before)": keyed_row, "packed (now)": paper_to_chroma}
    took = dict.fromkeys(layouts, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        cols = {}
        for i, name in enumerate(layouts):
            client: Any = chromadb.PersistentClient(
                path=f"{tmp}/{i}", settings=Settings(anonymized_telemetry=False)
            )
            cols[name] = client.get_or_create_collection(
                "papers", embedding_function=None, configuration={"hnsw": dict(PAPER_HNSW)}
            )
        for start in range(0, len(chosen), 1000):
            chunk = chosen[start : start + 1000]
            for name, row in layouts.items():
                t0 = time.perf_counter()
                cols[name].upsert(
                    ids=[p.id for p in chunk],
                    embeddings=vectors[start : start + len(chunk)],
                    metadatas=[row(p) for p in chunk],
                )
                took[name] += time.perf_counter() - t0
        for i, name in enumerate(layouts):
            size = sum(f.stat().st_size for f in Path(f"{tmp}/{i}").rglob("*") if f.is_file())
            print(
                f"{name:14s} {len(chosen)} rows in {took[name]:.1f} s "
                f"({len(chosen) / took[name]:,.0f} rows/s), store {size / 1e6:.0f} MB"
            )
    print(f"packed / keys: {took['keys (before)'] / took['packed (now)']:.2f}x")


if __name__ == "__main__":
    main()
