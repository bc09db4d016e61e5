"""Researcher records written to Chroma one to a row (stores before packs) and in packs (`store/packs.py`).

Run:  .venv/bin/python benchmarks/researcher_rows.py --store STORE [--n 32000] [--per-pack 24]

Reads up to --n researcher records from STORE (any scholarbot store), then writes the same records into
fresh collections of a temporary embedded Chroma store, 1,000 researchers per call, with a one-dimension
placeholder vector (as the store does): one row per researcher with the record as its one metadata
value, and packs of --per-pack records, compressed as the store writes them. The clock covers the
Chroma writes and, for packs, the encoding; it prints researchers per second each way.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np

from scholarbot.config import load_settings
from scholarbot.services import open_services
from scholarbot.store.packs import encode
from scholarbot.store.store import researcher_dict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="a scholarbot store to read researcher records from")
    ap.add_argument("--n", type=int, default=32_000)
    ap.add_argument("--per-pack", type=int, default=24)
    args = ap.parse_args()
    store = open_services(load_settings(None, store=Path(args.store))).store
    records: list[tuple[str, str]] = []
    for person in store.iter_researchers():
        records.append((person.id, json.dumps(researcher_dict(person), sort_keys=True, ensure_ascii=False)))
        if len(records) >= args.n:
            break
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(tmp)
        one = client.create_collection("one_per_row", configuration={"hnsw": {"space": "cosine"}})
        packed = client.create_collection("packed", configuration={"hnsw": {"space": "cosine"}})
        t = time.perf_counter()
        for start in range(0, len(records), 1000):
            chunk = records[start : start + 1000]
            one.upsert(
                ids=[rid for rid, _ in chunk],
                embeddings=np.ones((len(chunk), 1), dtype=np.float32),
                metadatas=[{"record": rec} for _, rec in chunk],
            )
        one_s = time.perf_counter() - t
        t = time.perf_counter()
        per_call = max(1, 1000 // args.per_pack)
        packs = [records[i : i + args.per_pack] for i in range(0, len(records), args.per_pack)]
        for start in range(0, len(packs), per_call):
            chunk_packs = packs[start : start + per_call]
            packed.upsert(
                ids=[f"rp_{start + i:x}" for i in range(len(chunk_packs))],
                embeddings=np.ones((len(chunk_packs), 1), dtype=np.float32),
                metadatas=[{"records": encode(dict(p))} for p in chunk_packs],
            )
        packed_s = time.perf_counter() - t
    n = len(records)
    print(f"{n} researchers: one per row {one_s:.2f} s ({n / one_s:,.0f}/s); ", end="")
    speedup = one_s / packed_s
    print(f"{args.per_pack} per row, compressed {packed_s:.2f} s ({n / packed_s:,.0f}/s): {speedup:.1f}x")


if __name__ == "__main__":
    main()
