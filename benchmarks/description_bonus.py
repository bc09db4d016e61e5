"""How much passing as "on" a description should add to a paper's score when a search by
description is ranked (`DESCRIBED_ON_BONUS` in answers/engine.py): a sweep over the hand-written sets.

Run:  cd /work/main && PYTHONPATH=src .venv/bin/python benchmarks/description_bonus.py --store DIR
      [--bonuses 0,0.05,0.1,0.2,0.3,0.5,10] [--candidates 60]

Each question is asked as the bot is asked it (its query kept); those read as a paper search by
description are ranked by score + bonus x (passes as on it) among the best `--candidates` by score.
10 stands for "every paper that passes first" (the ranking before the bonus). Prints hit@1 / hit@5
per set and bonus.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from unidecode import unidecode

from scholarbot.answers import Answerer
from scholarbot.answers.query import Query, described
from scholarbot.config import load_settings
from scholarbot.search.index import top_order
from scholarbot.services import open_services

HERE = Path(__file__).resolve().parent
SETS = ("paraphrase_questions.jsonl", "recall_questions.jsonl", "recall_more_questions.jsonl")


def norm_title(title: str) -> str:
    return re.sub(r"[^0-9a-z]", "", unidecode(title).casefold())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--bonuses", default="0,0.05,0.1,0.2,0.3,0.5,10")
    ap.add_argument("--candidates", type=int, default=60)
    args = ap.parse_args()
    bonuses = [float(b) for b in args.bonuses.split(",")]
    answerer = Answerer(open_services(load_settings(None, store=Path(args.store))))
    index = answerer.index
    ranks: dict[tuple[str, float], list[int]] = {}
    for name in SETS:
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            asked = answerer.ask(q["question"]).query or {}
            query = Query.from_json(asked)
            if query.op not in {"find_papers", "paper_authors"} or not described(query.topic):
                continue
            gold = norm_title(q["must_papers"][0])
            match = answerer._topic(query.topic or "")  # the engine's own evidence for the topic
            rows = top_order(match.scores, args.candidates)
            papers = index.papers([index.ids[int(r)] for r in rows])
            titles = [norm_title(papers[index.ids[int(r)]].title) for r in rows]
            for bonus in bonuses:
                order = np.argsort(-(match.scores[rows] + bonus * match.on_topic[rows]), kind="stable")
                ranked = [titles[i] for i in order]
                rank = ranked.index(gold) + 1 if gold in ranked else 0
                ranks.setdefault((q["kind"], bonus), []).append(rank)
    print("| set | questions | " + " | ".join(f"bonus {b:g}" for b in bonuses) + " |")
    print("|---|---|" + "---|" * len(bonuses))
    for kind in sorted({k for k, _ in ranks}):
        cells = []
        for bonus in bonuses:
            r = np.array(ranks[(kind, bonus)])
            cells.append(f"{np.mean(r == 1):.3f} / {np.mean((r >= 1) & (r <= 5)):.3f}")
        print(f"| {kind} | {len(ranks[(kind, bonuses[0])])} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
