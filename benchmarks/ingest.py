"""Ingest benchmark: scholarbot's pipeline against LangChain's `Chroma.from_documents` on the same papers.

Each system runs in a child process (this script with --child), so its peak RSS is its own, and
ingests the paperlists corpus into a fresh temporary embedded store; then it answers the dev set's
find_paper and papers_by questions (hit@1/hit@5 on `must_papers` titles, query latency).

* scholarbot: `ingest_paths` with the default embedder (minilm-static), loaded (distilled on first
  use) before the clock starts; retrieval is `PaperIndex.search(question, k=5)`.
* peer: `langchain_chroma.Chroma.from_documents`, one Document (title + abstract) per paper. Chroma's
  default embedding downloads its model at first use, impossible offline, so the peer gets the same
  all-MiniLM-L6-v2 (int8 ONNX) via a LangChain `Embeddings` over `OnnxMiniLMEmbedder`. Its clock
  covers embedding and writing, not JSON parsing. Retrieval is `similarity_search(question, k=5)`.

Run from the repository root (the full peer run takes ~12 min on 2 cores; --peer-limit N ingests
only its first N papers and reports its throughput, not its quality):

    PYTHONPATH=src .venv/bin/python benchmarks/ingest.py [--data ../shared] [--corpus DIR]
        [--peer-limit N] [--out benchmarks/out/ingest.json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # read by Chroma before any Settings exist

DATA = ROOT.parent / "shared"
PACKAGES = ("chromadb", "langchain-chroma", "langchain-core", "onnxruntime", "model2vec")
PEER_NOTE = "peer embeds with all-MiniLM-L6-v2 int8 ONNX (OnnxMiniLMEmbedder) behind langchain Embeddings"
COLUMNS = {  # table header -> (row key, format)
    **{"system": ("system", ""), "papers": ("papers", "d"), "seconds": ("seconds", ".1f")},
    **{"papers/s": ("papers_per_s", ".1f"), "peak RSS MB": ("peak_rss_mb", ".0f")},
    **{"store MB": ("store_mb", ".1f"), "hit@1": ("hit@1", ".3f"), "hit@5": ("hit@5", ".3f")},
    **{"p50 ms": ("p50_ms", ".1f"), "p95 ms": ("p95_ms", ".1f")},
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_now_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(ln.split()[1]) / 1024 for ln in status if ln.startswith("VmRSS:"))


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def norm(title: str) -> str:
    return " ".join(title.split()).casefold()


def evaluate(questions_file: Path, ask: Callable[[str], list[str]]) -> dict[str, Any]:
    """hit@1 / hit@5 over must_papers titles, and per-query latency (after one warm-up query)."""
    rows = [
        json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    questions = [q for q in rows if q["kind"] in ("find_paper", "papers_by")]
    ask(questions[0]["question"])
    hit1 = hit5 = 0
    latency: list[float] = []
    for q in questions:
        start = time.perf_counter()
        titles = ask(q["question"])
        latency.append((time.perf_counter() - start) * 1000)
        got, must = [norm(t) for t in titles], {norm(t) for t in q["must_papers"]}
        hit1 += bool(got) and got[0] in must
        hit5 += any(t in must for t in got[:5])
    n = len(questions)
    p50, p95 = np.percentile(latency, [50, 95])
    return {"questions": n, "hit@1": hit1 / n, "hit@5": hit5 / n, "p50_ms": p50, "p95_ms": p95}


def run_ours(data: Path, corpus: Path, _limit: int | None) -> dict[str, Any]:
    from scholarbot.config import StoreSettings
    from scholarbot.ingest.pipeline import ingest_paths
    from scholarbot.search.index import PaperIndex
    from scholarbot.store.embeddings import ChromaEmbeddingFunction, get_embedder
    from scholarbot.store.store import Store, store_size_bytes

    embedder, load_s = timed(lambda: get_embedder("minilm-static"))
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as tmp:
        path = Path(tmp) / "store"
        store = Store(StoreSettings(path=path), ChromaEmbeddingFunction(embedder))
        rss_before = rss_now_mb()
        report, seconds = timed(lambda: ingest_paths([corpus], store, embedder))
        peak = peak_rss_mb()
        index, index_s = timed(lambda: PaperIndex.build(store, embedder))

        def ask(question: str) -> list[str]:
            ids = [s.id for s in index.search(question, k=5)]
            found = store.get_papers(ids)
            return [found[i].title for i in ids if i in found]

        quality = evaluate(data / "eval" / "dev_questions.jsonl", ask)
        papers, size = store.counts()["papers"], store_size_bytes(path) / 2**20
    return {
        **{"system": "scholarbot (minilm-static)", "papers": papers, "seconds": seconds},
        **{"researchers": report.researchers_total, "model_load_s": load_s, "index_build_s": index_s},
        **{"distill_s": getattr(embedder, "distill_seconds", None), "rss_before_mb": rss_before},
        **{"peak_rss_mb": peak, "peak_rss_after_queries_mb": peak_rss_mb(), "store_mb": size, **quality},
    }


def run_peer(data: Path, corpus: Path, limit: int | None) -> dict[str, Any]:
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from scholarbot.ingest.importers import expand_paths, read_file
    from scholarbot.records import merge_by_id
    from scholarbot.store.embeddings import OnnxMiniLMEmbedder

    class MiniLMEmbeddings(Embeddings):
        def __init__(self) -> None:
            self.model = OnnxMiniLMEmbedder()

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.model.embed_documents(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.model.embed_query(text).tolist()

    # merged by id, exactly as ingest_paths sees them
    papers = merge_by_id(p for file in expand_paths([corpus]) for p in read_file(file).papers)
    subset = limit is not None and limit < len(papers)
    docs = [
        Document(page_content=f"{p.title}\n\n{p.abstract}", metadata={"title": p.title})
        for p in list(papers.values())[:limit]
    ]
    del papers
    embedding, load_s = timed(MiniLMEmbeddings)
    settings = ChromaSettings(anonymized_telemetry=False)
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        rss_before = rss_now_mb()
        db, seconds = timed(
            lambda: Chroma.from_documents(
                docs, embedding=embedding, persist_directory=tmp, client_settings=settings
            )
        )
        peak = peak_rss_mb()
        quality = evaluate(
            data / "eval" / "dev_questions.jsonl",
            lambda q: [str(d.metadata["title"]) for d in db.similarity_search(q, k=5)],
        )
        if subset:
            quality.update({"hit@1": None, "hit@5": None})
        size = dir_mb(Path(tmp))
    return {
        **{"system": "langchain-chroma from_documents", "papers": len(docs), "seconds": seconds},
        **{"researchers": None, "model_load_s": load_s, "subset": subset, "note": PEER_NOTE},
        **{"rss_before_mb": rss_before, "peak_rss_mb": peak, "peak_rss_after_queries_mb": peak_rss_mb()},
        **{"store_mb": size, **quality},
    }


def spawn(which: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        limit = [] if args.peer_limit is None else ["--peer-limit", str(args.peer_limit)]
        cmd = [
            sys.executable,
            __file__,
            "--child",
            which,
            "--data",
            str(args.data),
            "--corpus",
            str(args.corpus),
        ]
        cmd += limit
        cmd += ["--result", result.name]
        print(f"running {which} ...", file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True)
        row: dict[str, Any] = json.loads(Path(result.name).read_text())
    row["papers_per_s"] = row["papers"] / row["seconds"]
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        missing = "n/a (subset)" if r.get("subset") else "—"
        cells = [missing if r[k] is None else format(r[k], f) for k, f in COLUMNS.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    names = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")]
    versions = {pkg: importlib.metadata.version(pkg) for pkg in PACKAGES}
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": names[0].split(":", 1)[1].strip() if names else platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="the shared data folder with corpus/paperlists and eval/ (default: ../shared beside the repo)",
    )
    parser.add_argument(
        "--corpus", type=Path, help="paper lists to ingest (default: <data>/corpus/paperlists)"
    )
    parser.add_argument("--peer-limit", type=int, default=None, help="peer ingests only its first N papers")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "ingest.json")
    parser.add_argument("--child", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.corpus = args.corpus or args.data / "corpus" / "paperlists"
    for need in (args.corpus, args.data / "eval" / "dev_questions.jsonl"):
        if not need.exists():
            parser.error(f"{need} not found; pass the shared data folder as --data")
    if args.child:
        row = (run_ours if args.child == "ours" else run_peer)(args.data, args.corpus, args.peer_limit)
        args.result.write_text(json.dumps(row, default=float))
        return

    pythonpath = os.environ.get("PYTHONPATH")
    command = (f"PYTHONPATH={pythonpath} " if pythonpath else "") + shlex.join([sys.executable, *sys.argv])
    rows = [spawn("ours", args), spawn("peer", args)]
    ours, peer = rows
    ratio = ours["papers_per_s"] / peer["papers_per_s"]
    info = machine()
    print(table(rows))
    print(f"\nspeed ratio (scholarbot papers/s ÷ peer papers/s): {ratio:.1f}x")
    print(f"scholarbot: {ours['researchers']} researchers written; untimed: model load")
    print(f"  {ours['model_load_s']:.1f} s, search index build {ours['index_build_s']:.1f} s")
    if peer["subset"]:
        print(f"peer: first {peer['papers']} papers only; its latency is over that subset")
    print(f"note: {PEER_NOTE}; its time excludes JSON parsing, ours includes it")
    print(f"command: {command}")
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = {"command": command, "machine": info, "rows": rows, "speed_ratio": ratio, "note": PEER_NOTE}
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
