"""A bot on a built store runs one digest, then answers the next question: seconds and its memory.

    python benchmarks/digest_bot.py --store STORE [--papers 50]

The bot's process (an `Answerer`, warmed as the bot warms it, and the bot's `Digests`) absorbs new
papers (one by a followed researcher, with their coauthor), reads them back from the local source,
ranks them for a subscription that follows that researcher, then answers a question. Done twice,
each in a fresh process: as the bot does it (on a store of 50,000 or more papers, the digest's store
work in child processes) and with that work forced into the bot's process (what the bot did before).
Reported: seconds per step, the bot's RSS after each, and its peak through the digest.
The new papers stay in the store (generated titles; their source is "benchmark").
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    return 0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from the current RSS


def child(store: Path, mode: str, n: int) -> dict[str, object]:
    from scholarbot.answers import Answerer
    from scholarbot.config import Settings, StoreSettings
    from scholarbot.digest.service import Digests
    from scholarbot.digest.sources.local import LocalSource
    from scholarbot.digest.types import Subscription
    from scholarbot.records import Author, Paper, paper_id_for
    from scholarbot.services import open_services

    settings = Settings(store=StoreSettings(path=store))
    settings.digest.state_path = Path(tempfile.mkdtemp()) / "digests.sqlite3"
    svc = open_services(settings)
    answerer = Answerer(svc)
    answerer.warm()
    if mode == "in process":
        svc.large = lambda: False  # type: ignore[method-assign]
    people = answerer.people
    person = next(
        r for r in (people.record(i) for i in people.entries) if r.coauthors and len(r.paper_ids) > 1
    )
    coauthor = people.record(person.coauthors[0][0])
    rng = random.Random(time.time_ns())
    words = ["graph", "sparse", "tokamak", "diffusion", "retrieval", "causal", "vision", "policy"]

    def paper(title: str, *authors: str) -> Paper:
        return Paper(
            paper_id_for(title),
            title,
            abstract=f"{title}. We study it.",
            authors=tuple(Author(a) for a in authors),
            year=2026,
            venue="arXiv",
            sources=("benchmark",),
        )

    tag = rng.randrange(10**9)
    papers = [
        paper(f"{' '.join(rng.sample(words, 5))} {tag}-{i}", f"Ann Bench{i}", f"Bo Bench{i}")
        for i in range(n - 1)
    ]
    papers.append(paper(f"Sparse probing of tokamak controllers {tag}", person.name, coauthor.name))
    digests = Digests(settings, svc, sources=[])
    sub = digests.state.add_subscription(
        Subscription(
            id=0,
            guild_id=None,
            channel_id=1,
            topics=("tokamak control",),
            researcher_ids=(person.id,),
            researcher_names=(person.name,),
        ),
        followed={person.id: person.paper_ids},
    )
    time.sleep(1.1)  # first_seen is in whole seconds
    since = datetime.fromtimestamp(int(time.time()), UTC)
    out: dict[str, object] = {"mode": mode, "warm_rss_mb": _status("VmRSS")}
    _reset_peak()
    t = time.perf_counter()
    digests.absorb(papers)
    out |= {"absorb_s": time.perf_counter() - t, "absorb_rss_mb": _status("VmRSS")}
    t = time.perf_counter()
    fetched = LocalSource(svc).fetch(since, datetime.now(UTC) + timedelta(minutes=1)).papers
    out |= {"fetch_s": time.perf_counter() - t, "fetched": len(fetched), "fetch_rss_mb": _status("VmRSS")}
    t = time.perf_counter()
    ranked = digests.rank(fetched, sub)
    out |= {"rank_s": time.perf_counter() - t, "rank_rss_mb": _status("VmRSS")}
    out["digest_peak_mb"] = _status("VmHWM")
    out["followed_found"] = any(person.name in r.reason for r in ranked)
    t = time.perf_counter()
    answerer.ask("papers on tokamak control")
    out |= {"question_s": time.perf_counter() - t, "question_rss_mb": _status("VmRSS")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a built embedded store (gains the papers)")
    ap.add_argument("--papers", type=int, default=50)
    ap.add_argument("--child", choices=["as the bot does", "in process"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.store, args.child, args.papers)))
        return
    rows = []
    for mode in ("as the bot does", "in process"):
        cmd = [sys.executable, __file__, "--store", str(args.store), "--papers", str(args.papers)]
        done = subprocess.run([*cmd, "--child", mode], capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        "| digest store work | bot RSS warm MB | absorb s (RSS MB) | local source s (RSS MB) "
        "| rank s (RSS MB) | peak through the digest MB | next question s (RSS MB) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['mode']} | {r['warm_rss_mb']:,} | {r['absorb_s']:.1f} ({r['absorb_rss_mb']:,}) |"
            f" {r['fetch_s']:.1f} ({r['fetch_rss_mb']:,}) | {r['rank_s']:.1f} ({r['rank_rss_mb']:,}) |"
            f" {r['digest_peak_mb']:,} | {r['question_s']:.1f} ({r['question_rss_mb']:,}) |"
        )
        if not r["followed_found"] or r["fetched"] != args.papers:
            sys.exit(f"{r['mode']}: missed papers ({r['fetched']} read, followed {r['followed_found']})")


if __name__ == "__main__":
    main()
