"""End-to-end answer quality and speed on the dev questions, for hybrid retrieval and two baselines.

Run:  cd /work/main && PYTHONPATH=src .venv/bin/python benchmarks/answers.py
      [--store DIR] [--corpus ../shared/corpus/paperlists] [--seeds ../shared/seeds]
      [--questions ../shared/eval/dev_questions.jsonl]
      [--extra benchmarks/paraphrase_questions.jsonl,benchmarks/recall_questions.jsonl,
               benchmarks/recall_more_questions.jsonl]
      [--out benchmarks/out/answers.json] [--modes hybrid,bm25,dense]

Without --store (or with an empty one) the seeds and the whole corpus are ingested into
benchmarks/out/store, which later runs reuse (re-resolving people) once it holds >= 13,000 papers. One
`Answerer` per mode is warmed up with one question, then asked every question. Prints a Markdown table
(metrics x modes, with targets), writes every number to --out and the hybrid failures to
benchmarks/out/answers_failures.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from unidecode import unidecode

from scholarbot.answers import Answerer
from scholarbot.config import load_settings
from scholarbot.ingest.pipeline import ingest_paths, refresh_people
from scholarbot.search.index import Mode
from scholarbot.services import Services, open_services

HERE = Path(__file__).resolve().parent
ROOT, OUT = HERE.parent, HERE / "out"
REUSE_MIN_PAPERS, COLD_RUNS = 13_000, 3
#: Hand-written questions beside the dev set: reworded (paraphrase), recall, and three more recall sets.
EXTRA_FILES = ("paraphrase_questions.jsonl", "recall_questions.jsonl", "recall_more_questions.jsonl")

Q = dict[str, Any]


def norm_name(name: str) -> str:
    """Fold a name so that accents, case, spacing, dots and token order do not matter."""
    folded = unidecode(name).casefold().replace(".", " ").replace(",", " ")
    return " ".join(sorted(folded.split()))


def norm_title(title: str) -> str:
    """Casefold and keep only letters and digits."""
    return re.sub(r"[^0-9a-z]", "", unidecode(title).casefold())


def norm_aff(text: str) -> str:
    # Padded words, so "ucl" cannot match inside "nucleus"; initials joined, so "J. P. Morgan" = "JP Morgan".
    words = " ".join(re.sub(r"[^0-9a-z]+", " ", unidecode(text).casefold()).split())
    return " " + re.sub(r"(?<=\b[a-z]) (?=[a-z]\b)", "", words) + " "


def aff_match(expected: str, got: list[str]) -> bool:
    e = norm_aff(expected)
    return e.strip() != "" and any(g.strip() and (e in g or g in e) for g in map(norm_aff, got))


def load_jsonl(path: Path) -> list[Q]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_store(args: argparse.Namespace) -> tuple[Services, Path]:
    """Open --store, or build/reuse benchmarks/out/store (people re-resolved by the current code)."""
    path = Path(args.store) if args.store else OUT / "store"
    svc = open_services(load_settings(None, store=path))
    have, t0 = svc.store.counts()["papers"], time.perf_counter()
    if (args.store and have == 0) or (not args.store and have < REUSE_MIN_PAPERS):
        print(f"building store at {path} (has {have} papers) ...", file=sys.stderr)
        report = ingest_paths([Path(args.seeds), Path(args.corpus)], svc.store, svc.embedder)
    elif not args.store:  # a reused store keeps the people of the code that built it: resolve them again
        report = refresh_people(svc.store)
    else:
        return svc, path
    took = time.perf_counter() - t0
    print(f"store: {report.papers_seen} papers ingested, people re-resolved in {took:.0f} s", file=sys.stderr)
    return svc, path


def run_mode(svc: Services, mode: Mode, questions: list[Q]) -> list[tuple[Q, dict[str, Any], float]]:
    """Ask every question once (after one warm-up) and keep the JSON answer and wall time."""
    answerer = Answerer(svc, retrieval=mode)
    t0, _ = time.perf_counter(), answerer.ask(questions[0]["question"])
    print(f"[{mode}] warm-up (index build) {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rows = []
    for q in questions:
        t = time.perf_counter()
        ans = answerer.ask(q["question"]).to_json()
        rows.append((q, ans, (time.perf_counter() - t) * 1000))
    return rows


def judge(q: Q, ans: dict[str, Any]) -> dict[str, Any]:
    """Score one answer against its ground truth."""
    kind = q["kind"]
    names = [p.get("name", "") for p in ans.get("people", [])]
    titles = [norm_title(s.get("title", "")) for s in ans.get("sources", [])]
    out: dict[str, Any] = {"kind": kind}
    if kind == "collab":
        got = {norm_name(n) for n in names}
        must = [norm_name(n) for n in q["must_people"]]
        allowed = {norm_name(n) for n in q["allowed_people"]} | {norm_name(q["author"])}
        out["found"], out["must"] = sum(m in got for m in must), len(must)
        out["hallucinated"] = [n for n in names if norm_name(n) not in allowed]
        out["ok"] = out["found"] == out["must"] and not out["hallucinated"]
    elif kind in ("papers_by", "find_paper", "paraphrase") or kind.startswith("recall"):
        gold = {norm_title(t) for t in q["must_papers"]}
        out["hit1"] = bool(titles[:1]) and titles[0] in gold
        out["hit5"] = any(t in gold for t in titles[:5])
        out["ok"] = out["hit1"]
    elif kind == "profile":
        prof = ans.get("profile")
        out["ambiguous"] = prof is None and len(names) > 1
        out["namesakes"] = bool(re.search(r"\d+ researchers named", ans.get("answer", "")))  # prose only
        affs = list(prof.get("affiliations", [])) if prof else []
        out["aff"] = prof is not None and aff_match(q["affiliation"], affs[:2])
        out["aff_strict"] = prof is not None and aff_match(q["affiliation"], affs[:1])
        out["count"] = prof.get("paper_count") if prof else None
        out["count_ok"] = out["count"] == q["paper_count"]
        out["expected_count"] = q["paper_count"]
        out["ok"] = out["aff"] and out["count_ok"]
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else float("nan")


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def summarise(judged: list[dict[str, Any]], times: list[float]) -> dict[str, Any]:
    """Aggregate per-question judgements into the metrics of the table."""
    by: dict[str, list[dict[str, Any]]] = {}
    for j in judged:
        by.setdefault(j["kind"], []).append(j)
    m: dict[str, Any] = {}
    col = by.get("collab", [])
    if col:
        m["collab_recall"] = sum(j["found"] for j in col) / max(1, sum(j["must"] for j in col))
        m["collab_recall_macro"] = mean([j["found"] / j["must"] for j in col if j["must"]])
        m["collab_hallucinated"] = sum(len(j["hallucinated"]) for j in col)
        m["collab_q_with_hallucination"] = mean([float(bool(j["hallucinated"])) for j in col])
        m["collab_all_correct"] = mean([float(j["ok"]) for j in col])
    for kind in ("papers_by", "find_paper", "paraphrase", *sorted(k for k in by if k.startswith("recall"))):
        js = by.get(kind, [])
        if js:
            m[f"{kind}_hit@1"] = mean([float(j["hit1"]) for j in js])
            m[f"{kind}_hit@5"] = mean([float(j["hit5"]) for j in js])
    pro = by.get("profile", [])
    if pro:
        m["profile_affiliation"] = mean([float(j["aff"]) for j in pro])
        m["profile_affiliation_strict"] = mean([float(j["aff_strict"]) for j in pro])
        m["profile_count_exact"] = mean([float(j["count_ok"]) for j in pro])
        errs = [abs(j["count"] - j["expected_count"]) for j in pro if j["count"] is not None]
        m["profile_count_mae"] = mean([float(e) for e in errs])
        m["profile_ambiguous"] = sum(j["ambiguous"] for j in pro)
        m["profile_namesakes"] = sum(j["namesakes"] for j in pro)
        m["profile_no_profile"] = sum(j["count"] is None for j in pro)
    m.update(latency_p50_ms=pct(times, 50), latency_p95_ms=pct(times, 95), latency_max_ms=pct(times, 100))
    m["n_questions"] = len(judged)
    return m


def cold_start(store: Path, question: str) -> list[float]:
    """Seconds from process start to the printed answer of `scholarbot ask --json`, COLD_RUNS times."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "scholarbot", "ask", question, "--store", str(store), "--json"]
    out = []
    for _ in range(COLD_RUNS):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        out.append(time.perf_counter() - t if proc.returncode == 0 else float("nan"))
        if proc.returncode != 0:
            print(f"cold start failed ({proc.returncode}): {proc.stderr[-500:]}", file=sys.stderr)
    return out


def failure(q: Q, ans: dict[str, Any], j: dict[str, Any]) -> dict[str, Any]:
    """What a developer needs to study one failing question (the long allowed_people list left out)."""
    shown = {
        "intent": ans["intent"],
        "answer": ans["answer"][:200],
        "people": [p["name"] for p in ans["people"]],
    }
    shown["sources"] = [s["title"] for s in ans["sources"][:3]]
    shown["profile_affiliations"] = (ans.get("profile") or {}).get("affiliations")
    return {**{k: v for k, v in q.items() if k not in ("allowed_people", "papers")}, "judged": j, **shown}


T_HIT1, T_HIT5, T_AFF = "≥ 0.85", "≥ 0.97", "≥ 0.9"
ROWS = [  # (label, metric key, target)
    ("collab recall (micro)", "collab_recall", "≥ 0.95"),
    ("collab recall (macro)", "collab_recall_macro", ""),
    ("collab hallucinated people (total)", "collab_hallucinated", "0"),
    ("collab questions with a hallucination", "collab_q_with_hallucination", ""),
    ("collab fully correct", "collab_all_correct", ""),
    ("papers_by hit@1", "papers_by_hit@1", T_HIT1),
    ("papers_by hit@5", "papers_by_hit@5", T_HIT5),
    ("find_paper hit@1", "find_paper_hit@1", T_HIT1),
    ("find_paper hit@5", "find_paper_hit@5", T_HIT5),
    ("paraphrase hit@1", "paraphrase_hit@1", T_HIT1),
    ("paraphrase hit@5", "paraphrase_hit@5", T_HIT5),
    ("recall hit@1", "recall_hit@1", T_HIT1),
    ("recall hit@5", "recall_hit@5", T_HIT5),
    *[
        (f"{label} hit@{k}", f"recall_{tag}_hit@{k}", target)
        for tag, label in (("a", "recall A (80 q)"), ("b", "recall B (80 q)"), ("c", "recall C (100 q)"))
        for k, target in ((1, T_HIT1), (5, T_HIT5))
    ],
    ("profile affiliation (top-2)", "profile_affiliation", T_AFF),
    ("profile affiliation (strict, first)", "profile_affiliation_strict", T_AFF),
    ("profile paper_count exact", "profile_count_exact", ""),
    ("profile paper_count MAE (when answered)", "profile_count_mae", ""),
    ("profile answered as ambiguous (no profile)", "profile_ambiguous", ""),
    ("profile answer says the name has namesakes", "profile_namesakes", ""),
    ("profile without a profile (any cause)", "profile_no_profile", ""),
    ("latency p50 (ms)", "latency_p50_ms", ""),
    ("latency p95 (ms)", "latency_p95_ms", "≤ 150"),
    ("latency max (ms)", "latency_max_ms", ""),
    ("first answer, fresh process (s, median)", "cold_start_s", "≤ 3"),
    ("failing questions (any check)", "failures", ""),
]


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    return (f"{v:.3f}" if abs(v) < 1.5 else f"{v:.1f}") if isinstance(v, float) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=None)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/paperlists"))
    ap.add_argument("--seeds", default=str(ROOT.parent / "shared/seeds"))
    ap.add_argument("--questions", default=str(ROOT.parent / "shared/eval/dev_questions.jsonl"))
    ap.add_argument(
        "--extra",
        default=",".join(str(HERE / f) for f in EXTRA_FILES),
        help="comma-separated: each question keeps its file's kind (paraphrase, recall, recall_a/b/c)",
    )
    ap.add_argument("--out", default=str(OUT / "answers.json"))
    ap.add_argument("--modes", default="hybrid,bm25,dense")
    args = ap.parse_args()
    modes: list[Mode] = [m for m in ("hybrid", "bm25", "dense") if m in args.modes.split(",")]

    questions = load_jsonl(Path(args.questions))
    for name in filter(None, args.extra.split(",")):
        extra = Path(name)
        if extra.is_file():
            questions += [dict(q, kind=q.get("kind", "paraphrase")) for q in load_jsonl(extra)]
        else:
            print(f"no {extra}: skipping its questions", file=sys.stderr)
    svc, store_path = open_store(args)
    counts = svc.store.counts()

    results: dict[str, Any] = {}
    for mode in modes:
        rows = run_mode(svc, mode, questions)
        judged = []
        failures = []
        for q, ans, _ in rows:
            j = judge(q, ans)
            judged.append(j)
            if not j.get("ok", True):
                failures.append(failure(q, ans, j))
        metrics = summarise(judged, [ms for _, _, ms in rows])
        if mode == "hybrid":
            cold = cold_start(store_path, questions[0]["question"])
            ok = [c for c in cold if c == c]  # NaN marks a run that failed
            metrics["cold_start_s"] = statistics.median(ok) if ok else None
            metrics["cold_start_runs_s"] = cold
            fail_path = OUT / "answers_failures.jsonl"
            fail_path.parent.mkdir(parents=True, exist_ok=True)
            fail_path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures), "utf-8")
            print(f"[hybrid] {len(failures)} failing questions -> {fail_path}", file=sys.stderr)
        metrics["failures"] = len(failures)
        results[mode] = metrics

    import chromadb

    load = round(os.getloadavg()[0], 2)  # the 2-core box is shared with other work: timings are noisy
    machine = {"nproc": len(os.sched_getaffinity(0)), "chromadb": chromadb.__version__, "load_1m": load}
    command = " ".join(["PYTHONPATH=src", sys.executable, *sys.argv])
    print(f"command: `{command}`\n")
    print(f"machine: {machine}; store {store_path}: {counts}\n")
    print("| metric | " + " | ".join(modes) + " | target |")
    print("|---|" + "---|" * (len(modes) + 1))
    for label, key, target in ROWS:
        vals = [fmt(results[m].get(key)) for m in modes]
        if all(v == "–" for v in vals):
            continue
        print(f"| {label} | " + " | ".join(vals) + f" | {target} |")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": command, "machine": machine, "store": str(store_path), "counts": counts}
    out.write_text(json.dumps({**payload, "modes": results}, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
