"""Retrieval quality and speed of BM25, the static MiniLM, hybrids, and the full int8 MiniLM.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/embedders.py [--data ../shared] [--onnx-docs 1500]
      [--model minilm-onnx | FOLDER | owner/name]

Corpus: <data>/corpus/paperlists/*/*.json, one document per paper = title + abstract.
Questions: dev find_paper + papers_by (<data>/eval/dev_questions.jsonl) and the hand-written
paraphrases in benchmarks/paraphrase_questions.jsonl (30 papers drawn with `--show-sample`, seed
20240601, questions worded to share few content words with the paper). A hit@k is a must_papers
title among the top-k titles. The full MiniLM is too slow for the whole corpus on 2 cores, so it is
scored on a subset (every gold paper plus random distractors), with every other retriever scored on
the same subset for a like-for-like row, and as a re-ranker of the hybrid's top candidates.
`--model` scores any model `enrich` accepts the same way, and sweeps the weight search gives its
meaning evidence (`embeddings.enrich_weight`) through the product's own fusion: the best weight
follows the model. Everything is printed to stdout as Markdown.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import bm25s
import numpy as np
import Stemmer

from scholarbot.search.index import fuse as product_fuse
from scholarbot.search.index import zscore
from scholarbot.store.embeddings import StaticEmbedder, get_embedder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared"
PARAPHRASE = Path(__file__).with_name("paraphrase_questions.jsonl")
SAMPLE_SEED = 20240601
RRF_K = 60
T = TypeVar("T")


def norm_title(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def load_corpus(data: Path) -> tuple[list[str], list[str]]:
    titles, docs = [], []
    for path in sorted((data / "corpus" / "paperlists").glob("*/*.json")):
        for paper in json.loads(Path(path).read_text(encoding="utf-8")):
            title = (paper.get("title") or "").strip()
            titles.append(title)
            docs.append(f"{title}. {(paper.get('abstract') or '').strip()}".strip())
    return titles, docs


def load_questions(path: Path, kinds: set[str] | None = None) -> list[tuple[str, set[str]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if kinds is None or q["kind"] in kinds:
            out.append((q["question"], {norm_title(t) for t in q["must_papers"]}))
    return out


class BM25:
    def __init__(self, docs: list[str]) -> None:
        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            docs, stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        self.model = bm25s.BM25()
        self.model.index(tokens, show_progress=False)

    def scores(self, queries: list[str]) -> np.ndarray:
        toks = bm25s.tokenize(
            queries, stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        n = self.model.scores["num_docs"]
        rows = [
            self.model.get_scores(known)
            if (known := [t for t in q if t in self.model.vocab_dict])
            else np.zeros(n)
            for q in toks
        ]
        return np.asarray(rows, dtype=np.float32)


def ranks(scores: np.ndarray) -> np.ndarray:
    """0-based rank of every document per query (ties broken by index, as argsort does)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(scores.shape[1])[None, :], axis=1)
    return out


def rrf(a: np.ndarray, b: np.ndarray, wa: float = 1.0, wb: float = 1.0) -> np.ndarray:
    return wa / (RRF_K + ranks(a)) + wb / (RRF_K + ranks(b))


def linear(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    def mm(x: np.ndarray) -> np.ndarray:
        lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        return (x - lo) / np.maximum(hi - lo, 1e-9)

    return alpha * mm(a) + (1 - alpha) * mm(b)


def metrics(scores: np.ndarray, titles: list[str], gold: list[set[str]]) -> tuple[float, float, float]:
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    h1 = h5 = rr = 0.0
    for row, want in zip(top, gold, strict=True):
        found = [norm_title(titles[i]) in want for i in row]
        h1 += found[0]
        h5 += any(found[:5])
        rr += next((1 / (r + 1) for r, f in enumerate(found) if f), 0.0)
    n = len(gold)
    return h1 / n, h5 / n, rr / n


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def table(title: str, rows: list[tuple[str, dict[str, tuple[float, float, float]]]], sets: list[str]) -> None:
    print(f"\n### {title}\n")
    head = " | ".join(f"{s} hit@1 | {s} hit@5 | {s} MRR@10" for s in sets)
    print(f"| retriever | {head} |")
    print("|---" * (1 + 3 * len(sets)) + "|")
    for name, res in rows:
        cells = " | ".join(f"{res[s][0]:.3f} | {res[s][1]:.3f} | {res[s][2]:.3f}" for s in sets)
        print(f"| {name} | {cells} |")


def evaluate(
    titles: list[str],
    qsets: dict[str, list[tuple[str, set[str]]]],
    bm: dict[str, np.ndarray],
    dense: dict[str, np.ndarray],
) -> list[tuple[str, dict[str, tuple[float, float, float]]]]:
    variants: list[tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = [
        ("BM25", lambda b, d: b),
        ("dense", lambda b, d: d),
        ("RRF 1:1", lambda b, d: rrf(b, d)),
        ("RRF bm25 2:1", lambda b, d: rrf(b, d, 2, 1)),
        ("RRF dense 2:1", lambda b, d: rrf(b, d, 1, 2)),
        ("linear a=0.3", lambda b, d: linear(b, d, 0.3)),
        ("linear a=0.4", lambda b, d: linear(b, d, 0.4)),
        ("linear a=0.5", lambda b, d: linear(b, d, 0.5)),
        ("linear a=0.7", lambda b, d: linear(b, d, 0.7)),
    ]
    rows = []
    for name, fn in variants:
        res = {s: metrics(fn(bm[s], dense[s]), titles, [g for _, g in qs]) for s, qs in qsets.items()}
        rows.append((name, res))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="the shared data folder with corpus/paperlists and eval/ (default: ../shared beside the repo)",
    )
    ap.add_argument(
        "--cache", type=Path, help="distilled-model cache (default: a fresh temp dir, to time distilling)"
    )
    ap.add_argument(
        "--onnx-docs", type=int, default=1000, help="subset size for the full MiniLM (0 skips it)"
    )
    ap.add_argument("--rerank-depth", type=int, default=10, help="hybrid candidates re-ranked by full MiniLM")
    ap.add_argument("--model", default="minilm-onnx", help="the full model: any name `enrich` accepts")
    ap.add_argument(
        "--show-sample", action="store_true", help="print the papers the paraphrases were written for"
    )
    args = ap.parse_args()
    if not (args.data / "corpus" / "paperlists").is_dir():
        ap.error(f"{args.data}: no corpus/paperlists folder there; pass the shared data folder as --data")

    titles, docs = load_corpus(args.data)
    if args.show_sample:
        with_abs = [i for i, d in enumerate(docs) if len(d) - len(titles[i]) > 200]
        for i in random.Random(SAMPLE_SEED).sample(with_abs, 30):
            print(f"- {titles[i]}\n  {docs[i][:500]}\n")
        return
    qsets = {
        "dev": load_questions(args.data / "eval" / "dev_questions.jsonl", {"find_paper", "papers_by"}),
        "para": load_questions(PARAPHRASE),
    }
    known = {norm_title(t) for t in titles}
    for name, qs in qsets.items():
        missing = sum(1 for _, g in qs if not g & known)
        print(f"{name}: {len(qs)} questions, {missing} with no gold title in the corpus", file=sys.stderr)
    print(
        f"## Retrieval benchmark: {len(docs)} papers, "
        f"dev={len(qsets['dev'])} questions, para={len(qsets['para'])} questions\n"
    )

    with tempfile.TemporaryDirectory() as tmp:
        static, load_s = timed(lambda: StaticEmbedder.load(args.cache or Path(tmp) / "model"))
        static_vecs, static_s = timed(lambda: static.embed_documents(docs))
    start = time.perf_counter()
    bm25 = BM25(docs)
    bm25_s = time.perf_counter() - start
    bm = {s: bm25.scores([q for q, _ in qs]) for s, qs in qsets.items()}
    dense = {s: static.embed_documents([q for q, _ in qs]) @ static_vecs.T for s, qs in qsets.items()}

    print("### Speed (2 CPU cores)\n")
    print("| step | seconds | docs/s |\n|---|---|---|")
    distilled = static.distill_seconds
    print(f"| static: distil from int8 MiniLM (once) | {f'{distilled:.1f}' if distilled else 'cached'} | |")
    print(f"| static: load (incl. distil) | {load_s:.1f} | |")
    print(f"| static: embed corpus | {static_s:.1f} | {len(docs) / static_s:.0f} |")
    print(f"| BM25: tokenise + index corpus | {bm25_s:.1f} | {len(docs) / bm25_s:.0f} |")

    full_rows = evaluate(titles, qsets, bm, dense)
    table("Full corpus (dense = minilm-static)", full_rows, list(qsets))

    if args.onnx_docs:
        onnx = get_embedder(args.model, args.cache)
        rng = random.Random(0)
        gold_idx = {
            i for i, t in enumerate(titles) if any(norm_title(t) in g for qs in qsets.values() for _, g in qs)
        }
        rest = [i for i in range(len(docs)) if i not in gold_idx]
        subset = sorted(gold_idx | set(rng.sample(rest, max(0, args.onnx_docs - len(gold_idx)))))
        sub_docs = [docs[i] for i in subset]
        sub_titles = [titles[i] for i in subset]
        onnx_vecs, onnx_s = timed(lambda: onnx.embed_documents(sub_docs))
        print(
            f"\nfull model {args.model}: {len(sub_docs)} docs in {onnx_s:.1f} s "
            f"= {len(sub_docs) / onnx_s:.1f} docs/s"
        )

        sub_bm25 = BM25(sub_docs)
        sub_static = static_vecs[subset]
        qvec = {s: onnx.embed_documents([q for q, _ in qs]) for s, qs in qsets.items()}
        sb = {s: sub_bm25.scores([q for q, _ in qs]) for s, qs in qsets.items()}
        sd = {s: static.embed_documents([q for q, _ in qs]) @ sub_static.T for s, qs in qsets.items()}
        so = {s: qvec[s] @ onnx_vecs.T for s in qsets}
        rows = [(f"{n} [static]", r) for n, r in evaluate(sub_titles, qsets, sb, sd)]
        rows += [(f"{n} [onnx]", r) for n, r in evaluate(sub_titles, qsets, sb, so) if n != "BM25"]
        table(f"Subset of {len(sub_docs)} papers (all gold + random distractors)", rows, list(qsets))

        # The product's fusion (search/index.py `fuse`) at each candidate `embeddings.enrich_weight`.
        sweep = []
        for weight in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0):
            res = {}
            for s, qs in qsets.items():
                fused = np.vstack([product_fuse(sb[s][i], zscore(so[s][i]), weight) for i in range(len(qs))])
                res[s] = metrics(fused, sub_titles, [g for _, g in qs])
            sweep.append((f"fuse, enrich_weight={weight:g}", res))
        table(f"Subset, product fusion of BM25 and {args.model} by weight", sweep, list(qsets))

        # Quality mode: full MiniLM re-scores the top candidates of the default hybrid (linear a=0.4).
        depth, cost = args.rerank_depth, 0.0
        rerank_rows: dict[str, dict[str, tuple[float, float, float]]] = {}
        for s, qs in qsets.items():
            base = linear(bm[s], dense[s], 0.4)
            cand = np.argsort(-base, axis=1)[:, :depth]
            need = sorted(set(cand.ravel().tolist()))
            start = time.perf_counter()
            vecs = onnx.embed_documents([docs[i] for i in need])
            cost += time.perf_counter() - start
            pos = {d: k for k, d in enumerate(need)}
            for label, fuse in (("rerank: onnx only", False), ("rerank: RRF(hybrid, onnx)", True)):
                out = base - 10.0  # below every re-ranked candidate, in the hybrid's order
                for qi, row in enumerate(cand):
                    cos = vecs[[pos[d] for d in row]] @ qvec[s][qi]
                    if fuse:
                        r_onnx = np.argsort(np.argsort(-cos))
                        out[qi, row] = 1 / (RRF_K + np.arange(depth)) + 1 / (RRF_K + r_onnx)
                    else:
                        out[qi, row] = cos
                rerank_rows.setdefault(label, {})[s] = metrics(out, titles, [g for _, g in qs])
        table(
            f"Full corpus, linear a=0.4 top-{depth} re-ranked by full MiniLM ({cost:.0f} s of ONNX)",
            [("linear a=0.4 (no re-rank)", dict(full_rows)["linear a=0.4"]), *rerank_rows.items()],
            list(qsets),
        )


if __name__ == "__main__":
    main()
