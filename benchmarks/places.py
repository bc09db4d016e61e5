"""Time questions about places and aggregates, each asked twice in one answering process.

Run:  python benchmarks/places.py --store STORE [--question "..." ...]

The scale benchmark's mix (benchmarks/scale.py) holds lookups of people and papers; questions about a
place's papers, and which venue, year or institution has the most, read other parts of the index
(the affiliation postings, the venue and year columns), and the first asking of a place also judges
every affiliation in the records against it. Each question is asked once (first time in the process)
and again (what a process has kept), after one warm-up question; prints milliseconds for both.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scholarbot.answers import Answerer
from scholarbot.config import Settings, StoreSettings
from scholarbot.services import open_services

QUESTIONS = [
    "how many papers from Tsinghua in 2024?",
    "what did edinburgh publish?",
    "who at CMU works on speech?",
    "who works on machine translation?",
    "which institution publishes the most on machine translation?",
    "which university publishes the most on machine translation?",
    "which companies had the most papers at NAACL 2024?",
    "which venue has the most papers on speech recognition?",
    "is there more work on watermarking or jailbreaking at COLM?",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="the store to answer from")
    ap.add_argument("--question", action="append", help="a question to time (repeatable; default: a mix)")
    args = ap.parse_args()
    answerer = Answerer(open_services(Settings(store=StoreSettings(path=Path(args.store)))))
    answerer.warm()
    answerer.ask("who wrote about parsing?")
    print("| question | first (ms) | again (ms) | answer |")
    print("| --- | --- | --- | --- |")
    for question in args.question or QUESTIONS:
        took = []
        for _ in range(2):
            start = time.perf_counter()
            answer = answerer.ask(question)
            took.append((time.perf_counter() - start) * 1000)
        print(f"| {question} | {took[0]:.0f} | {took[1]:.0f} | {answer.text[:80]}… |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
