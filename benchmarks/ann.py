"""The approximate index (src/scholarbot/search/ann.py) against exact search, on a built store.

Run:  .venv/bin/python benchmarks/ann.py --store STORE [--queries 200] [--k 1000] [--build]

Reads the store's saved paper index (`STORE/.scholarbot-index/papers`, made by any answering process
or `scholarbot ask`). Queries are the static model's vectors of randomly chosen papers' titles with
their first word dropped (a question is never the exact title). Exact search multiplies every
vector; the approximate index is the saved graph opened as a view, as answering opens it. Reports:
how often the exact top 10 are among the approximate index's first `k` candidates (what answering
relies on, since it re-scores the candidates exactly) and among its first 10, milliseconds per
query for both, and the seconds to open the view. `--build` also times building a fresh graph from
the saved vectors and measures it on the same questions; `--chroma` asks Chroma's own HNSW index
of the store the same questions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="an embedded store whose paper index is built")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=1000, help="candidates asked per query (answering asks 1,000)")
    ap.add_argument("--build", action="store_true", help="also time a fresh build of the graph")
    ap.add_argument("--chroma", action="store_true", help="also ask Chroma's own HNSW index, for comparison")
    ap.add_argument("--out", help="write the figures as JSON here too")
    args = ap.parse_args()

    from scholarbot.search.ann import Ann
    from scholarbot.search.index import ANN_FILE, Column
    from scholarbot.search.paper_records import RecordFile
    from scholarbot.store.embeddings import get_embedder
    from scholarbot.store.store import paper_from_blob

    folder = Path(args.store) / ".scholarbot-index" / "papers"
    if not (folder / ANN_FILE).exists():
        sys.exit(f"{folder / ANN_FILE} is missing: answer a question on a store above the exact limit first")
    started = time.perf_counter()
    ann = Ann.open(folder / ANN_FILE)
    open_s = time.perf_counter() - started
    matrix = np.load(folder / "vectors.npy", mmap_mode="r")
    ids = Column(np.load(folder / "ids.npy", mmap_mode="r"))
    records = RecordFile(folder, np.load(folder / "record_spans.npy", mmap_mode="r"))
    rng = np.random.default_rng(0)
    rows = rng.choice(len(ids), size=min(args.queries, len(ids)), replace=False)
    titles = [paper_from_blob(b).title for b in records.get(rows.tolist())]
    questions = [" ".join(t.split()[1:]) or t for t in titles]
    embedder = get_embedder("minilm-static", None)
    queries = np.asarray(embedder.embed_documents(questions), dtype=np.float32)

    exact_ms, approx_ms, in_k, in_10 = [], [], 0.0, 0.0
    tops = []
    for q in queries:
        t = time.perf_counter()
        scores = np.concatenate(
            [np.asarray(matrix[s : s + 200_000]) @ q for s in range(0, len(matrix), 200_000)]
        )
        tops.append(set(np.argpartition(-scores, 10)[:10].tolist()))
        exact_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        found, _ = ann.search(q, args.k)
        approx_ms.append((time.perf_counter() - t) * 1000)
        in_k += len(tops[-1] & set(found.tolist())) / 10
        in_10 += len(tops[-1] & set(found[:10].tolist())) / 10
    result = {
        "papers": len(ids),
        "queries": len(queries),
        "k": args.k,
        "exact_top10_in_candidates": round(in_k / len(queries), 4),
        "exact_top10_in_first_10": round(in_10 / len(queries), 4),
        "approximate_ms_p50_p95": [round(float(np.percentile(approx_ms, p)), 2) for p in (50, 95)],
        "exact_ms_p50_p95": [round(float(np.percentile(exact_ms, p)), 2) for p in (50, 95)],
        "open_view_s": round(open_s, 3),
        "graph_file_mb": round((folder / ANN_FILE).stat().st_size / 2**20, 1),
    }
    if args.build:
        # A fresh graph against the saved one (which patches may have grown) on the same questions.
        started = time.perf_counter()
        fresh = Ann.build(matrix)
        result["build_s"] = round(time.perf_counter() - started, 1)
        hits = sum(
            len(top & set(fresh.search(q, args.k)[0].tolist())) / 10
            for q, top in zip(queries, tops, strict=True)
        )
        result["fresh_exact_top10_in_candidates"] = round(hits / len(queries), 4)
    if args.chroma:
        from scholarbot.config import load_settings
        from scholarbot.search.index import RowLookup
        from scholarbot.services import open_services

        store = open_services(load_settings(None, store=Path(args.store))).store
        lookup = RowLookup(np.load(folder / "ids_sorted.npy"), np.load(folder / "ids_order.npy"))
        store.search_papers(queries[0], args.k)  # Chroma loads its index on the first read
        chroma_ms, hits = [], 0.0
        for q, top in zip(queries, tops, strict=True):
            t = time.perf_counter()
            found = lookup.rows(h.id for h in store.search_papers(q, args.k))
            chroma_ms.append((time.perf_counter() - t) * 1000)
            hits += len(top & set(found.tolist())) / 10
        result["chroma_exact_top10_in_candidates"] = round(hits / len(queries), 4)
        result["chroma_ms_p50_p95"] = [round(float(np.percentile(chroma_ms, p)), 2) for p in (50, 95)]
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
