"""Rank 10,000 new papers against 100 subscriptions, as one digest run would: seconds and memory.

    python benchmarks/digest.py [--data ../shared] [--papers 10000] [--subscriptions 100]

New papers are taken from the shared corpus; subscriptions follow topics and authors drawn from the
dev questions (so they are realistic, and half of them follow a person).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from scholarbot.digest.rank import Ranker
from scholarbot.digest.types import Subscription
from scholarbot.ingest.importers import read_file
from scholarbot.store.embeddings import get_embedder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="the shared data folder with corpus/paperlists and eval/ (default: ../shared beside the repo)",
    )
    ap.add_argument("--papers", type=int, default=10_000)
    ap.add_argument("--subscriptions", type=int, default=100)
    args = ap.parse_args()
    for need in (args.data / "corpus" / "paperlists", args.data / "eval" / "dev_questions.jsonl"):
        if not need.exists():
            ap.error(f"{need} not found; pass the shared data folder as --data")

    papers = []
    for f in sorted((args.data / "corpus" / "paperlists").glob("*/*.json")):
        papers += read_file(f).papers
    papers = papers[: args.papers]
    questions = [json.loads(line) for line in (args.data / "eval" / "dev_questions.jsonl").open()]
    topics = [q["question"].split(" on ", 1)[1].rstrip("?") for q in questions if q["kind"] == "collab"]
    authors = [q["author"] for q in questions if "author" in q]
    subs = [
        Subscription(
            id=i,
            guild_id=1,
            channel_id=1000 + i,
            topics=(topics[i % len(topics)], topics[(i * 7 + 3) % len(topics)]),
            researcher_names=(authors[i % len(authors)],) if i % 2 else (),
        )
        for i in range(args.subscriptions)
    ]
    embedder = get_embedder("minilm-static")
    started = time.perf_counter()
    ranker = Ranker(embedder)
    batch = ranker.prepare(papers)
    prepared = time.perf_counter()
    sent = sum(len(ranker.rank(batch, s)[: s.top_n]) for s in subs)
    done = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"command: python benchmarks/digest.py --data {args.data} --papers {args.papers} "
        f"--subscriptions {args.subscriptions}"
    )
    print("| papers | subscriptions | embed + tokenise s | rank s | total s | papers sent | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {len(papers)} | {len(subs)} | {prepared - started:.1f} | {done - prepared:.1f} | "
        f"{done - started:.1f} | {sent} | {rss:.0f} |"
    )


if __name__ == "__main__":
    main()
