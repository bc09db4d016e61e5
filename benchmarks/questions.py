"""Question understanding: the reasoning and lookup dev sets answered through `Answerer.ask`, scored by kind.

Run:  .venv/bin/python benchmarks/questions.py [--data ../shared] [--store benchmarks/out/store]
      [--out benchmarks/out/questions.json] [--only reasoning|lookup]

The store must hold the shared corpus and seeds (`scholarbot ingest ../shared/seeds
../shared/corpus/paperlists --store benchmarks/out/store`, ~2 min); it is built when empty. Answers are
written as JSON Lines to benchmarks/out/ and scored with the data folder's own `eval/score_reasoning.py`
(reasoning set); the lookup set is scored as benchmarks/answers.py scores it. Timing: p50/p95 per question
from one warm process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scholarbot.answers import Answerer
from scholarbot.config import load_settings
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.services import open_services

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", default=str(ROOT.parent / "shared"), help="the shared data folder (default ../shared)"
    )
    ap.add_argument("--store", default=str(HERE / "out" / "store"), help="store holding the shared corpus")
    ap.add_argument("--out", default=str(HERE / "out" / "questions.json"), help="where to write the figures")
    ap.add_argument("--only", choices=["reasoning", "lookup"], help="run one set")
    args = ap.parse_args()
    data = Path(args.data)
    svc = open_services(load_settings(None, store=Path(args.store)))
    if svc.store.counts()["papers"] == 0:
        print(f"building {args.store} from {data} ...", file=sys.stderr)
        ingest_paths([data / "seeds", data / "corpus" / "paperlists"], svc.store, svc.embedder)
    answerer = Answerer(svc)
    t0 = time.perf_counter()
    answerer.warm()
    answerer.ask("Who collaborates with Hanlin Gu?")
    warm_s = time.perf_counter() - t0
    figures: dict[str, object] = {"warm_s": round(warm_s, 2)}
    out_dir = Path(args.out).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "reasoning"):
        qs = data / "eval" / "dev_questions_reasoning.jsonl"
        answers = out_dir / "reasoning_answers.jsonl"
        took = _answer_all(answerer, qs, answers)
        score = subprocess.run(
            [sys.executable, str(data / "eval" / "score_reasoning.py"), str(qs), str(answers)],
            capture_output=True,
            text=True,
        )
        print(score.stdout)
        figures["reasoning"] = dict(
            line.split(": ", 1)
            for line in score.stdout.splitlines()
            if ": " in line and " " not in line.split(":")[0]
        )
        figures["reasoning_ms"] = _percentiles(took)
    Path(args.out).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    return 0


def _answer_all(answerer: Answerer, questions: Path, out: Path) -> list[float]:
    took = []
    with out.open("w") as f:
        for line in questions.read_text().splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            t = time.perf_counter()
            answer = answerer.ask(q["question"])
            took.append((time.perf_counter() - t) * 1000)
            f.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    return took


def _percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50": round(statistics.median(ms), 1), "p95": round(ms[int(len(ms) * 0.95) - 1], 1)}


if __name__ == "__main__":
    sys.exit(main())
