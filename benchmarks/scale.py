"""Scale: ingest and answer at ~13k, ~100k and ~1M papers, each step in its own child process.

Run:  .venv/bin/python benchmarks/scale.py [--data ../shared] [--sizes 13000,100000,1000000]
      [--work benchmarks/out/scale] [--questions 120] [--keep] [--out benchmarks/out/scale.json]

Only ~13k real papers are here (the shared corpus). Larger sizes are the real papers plus generated
variants, stated honestly: variant `u` of a paper is the same paper in a renamed world, where every
author gets a name recombined from the corpus's own first and last names (one mapping per world, so
coauthor groups keep their shape and common names collide as they do in real data), the abstract's
sentences are rotated, about one title word in seven is dropped, and the year moves by up to two. The
variants are written as paperlists JSON files and go through the real importer and ingest.

Per size it reports: ingest papers/s and peak RSS (one child), store size on disk, then a fresh
answering child: seconds from process start to the first answer (index caches built by a previous
process, as a bot restart finds them), its RSS, and p50/p95 per question over the dev questions (the
reasoning set and the lookup set, interleaved; their truth is about real papers and real names). The
first answering child builds the index caches; its time is reported as `index_build_s`. Last, a
answering child has `--late` new papers (a digest's worth) ingested into the built store by another
process and times that ingest, its own next question (which brings the index up to date: patched,
in a child process at 50k papers or more) with its peak memory through it, and a full build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", default=str(ROOT.parent / "shared"), help="the shared data folder (default ../shared)"
    )
    ap.add_argument("--sizes", default="13132,100000,1000000", help="comma-separated paper counts")
    ap.add_argument("--work", default=str(HERE / "out" / "scale"), help="where generated files and stores go")
    ap.add_argument("--questions", type=int, default=120, help="questions timed per size")
    ap.add_argument("--keep", action="store_true", help="reuse a store already built for a size")
    ap.add_argument("--out", default=str(HERE / "out" / "scale.json"), help="where to write the figures")
    ap.add_argument("--late", type=int, default=50, help="papers ingested afterwards, as a digest adds them")
    ap.add_argument("--child", choices=["ingest", "answer", "late"], help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--files", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "ingest":
        return _child_ingest(Path(args.files), Path(args.store))
    if args.child == "answer":
        return _child_answer(Path(args.data), Path(args.store), args.questions)
    if args.child == "late":
        return _child_late(Path(args.data), Path(args.store), args.late)

    data, work = Path(args.data), Path(args.work)
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        files, store = work / f"files-{size}", work / f"store-{size}"
        row: dict[str, Any] = {"size": size}
        if not (args.keep and store.exists()):
            shutil.rmtree(store, ignore_errors=True)
            row["papers_in_files"] = generate(data / "corpus" / "paperlists", files, size)
            row |= _run_child("ingest", args, files=files, store=store)
        row["store_mb"] = round(_size_mb(store), 1)
        first = _run_child("answer", args, store=store, questions=1)  # builds the index caches
        row["index_build_s"] = first["first_answer_s"]
        row |= _run_child("answer", args, store=store, questions=args.questions)
        if args.late:
            row |= _run_child("late", args, store=store)
        rows.append(row)
        print(json.dumps(row), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": _machine(), "rows": rows}, indent=2))
    _print_table(rows)
    return 0


# --- generated variants -----------------------------------------------------------------------------


def generate(corpus: Path, out: Path, size: int) -> int:
    """Write the real corpus plus enough renamed-world variants to reach `size` papers; return the count."""
    shutil.rmtree(out, ignore_errors=True)
    files = sorted(corpus.glob("*/*.json"))
    real = {f: json.loads(f.read_text()) for f in files}
    n_real = sum(len(rows) for rows in real.values())
    if not n_real:  # nothing to vary: the loop below would make empty worlds forever
        raise SystemExit(f"no papers in {corpus}/*/*.json")
    firsts, lasts = _name_parts(row for rows in real.values() for row in rows)
    total = 0
    world = 0
    while total < size:
        folder = out / f"world-{world:04d}"
        folder.mkdir(parents=True)
        rng = random.Random(world)
        for f, rows in real.items():
            take = rows if total + len(rows) <= size else rows[: size - total]
            if not take:
                break
            made = take if world == 0 else [_variant(r, world, rng, firsts, lasts) for r in take]
            (folder / f.name).write_text(json.dumps(made))
            total += len(made)
        world += 1
    print(f"{size}: {n_real} real rows, {world - 1} generated worlds, {total} rows in {out}", file=sys.stderr)
    return total


def _name_parts(rows: Any) -> tuple[list[str], list[str]]:
    firsts: set[str] = set()
    lasts: set[str] = set()
    for row in rows:
        for name in str(row.get("author") or "").split(";"):
            parts = name.split()
            if len(parts) >= 2:
                firsts.add(parts[0])
                lasts.add(parts[-1])
    return sorted(firsts), sorted(lasts)


def _variant(
    row: dict[str, Any], world: int, rng: random.Random, firsts: list[str], lasts: list[str]
) -> dict[str, Any]:
    out = dict(row)
    words = str(row["title"]).split()
    kept = [w for i, w in enumerate(words) if i == 0 or rng.random() > 0.15] or words
    out["title"] = " ".join(kept) + f" {_roman(world)}"  # ids are title hashes: every variant is new
    sentences = _SENTENCE.split(str(row.get("abstract") or ""))
    if len(sentences) > 1:
        k = world % len(sentences)
        out["abstract"] = " ".join(sentences[k:] + sentences[:k])
    names = [n.strip() for n in str(row.get("author") or "").split(";")]
    out["author"] = "; ".join(_rename(n, world, firsts, lasts) for n in names if n)
    ids = [i.strip() for i in str(row.get("authorids") or "").split(";")]
    out["authorids"] = ";".join(f"{i}_w{world}" if i else "" for i in ids) if row.get("authorids") else ""
    for key in ("id", "doi", "site", "pdf", "github"):
        out.pop(key, None)
    return out


def _rename(name: str, world: int, firsts: list[str], lasts: list[str]) -> str:
    # One person maps to one new name per world: hash of (name, world), not the row's rng.
    h = int.from_bytes(name.encode() + world.to_bytes(4, "big"), "big") * 2654435761
    return f"{firsts[h % len(firsts)]} {lasts[(h // 7919) % len(lasts)]}"


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out, n = out + letters, n - value
    return out


# --- children ---------------------------------------------------------------------------------------


def _run_child(kind: str, args: argparse.Namespace, **kw: Any) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--data", args.data, "--store", str(kw["store"])]
    if "files" in kw:
        cmd += ["--files", str(kw["files"])]
    cmd += ["--late", str(args.late)]
    cmd += ["--questions", str(kw.get("questions", args.questions))]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{kind}: {json.dumps(result)}", file=sys.stderr, flush=True)  # a long run shows its steps
    return result


def _child_ingest(files: Path, store: Path) -> int:
    from scholarbot.config import load_settings
    from scholarbot.ingest.pipeline import ingest_paths
    from scholarbot.services import open_services

    svc = open_services(load_settings(None, store=store))
    svc.embedder.embed_documents(["warm up"])  # model loading is not ingest
    t0 = time.perf_counter()
    report = ingest_paths([files], svc.store, svc.embedder, people=svc.people_table())
    seconds = time.perf_counter() - t0
    svc.close()
    print(
        json.dumps(
            {
                "papers": report.papers_seen,
                "researchers": report.researchers_total,
                "ingest_s": round(seconds, 1),
                "ingest_papers_per_s": round(report.papers_seen / seconds, 1),
                "ingest_peak_rss_mb": round(_peak_rss_mb()),
            }
        )
    )
    return 0


def _child_answer(data: Path, store: Path, n: int) -> int:
    started = _process_start()
    from scholarbot.answers import Answerer
    from scholarbot.config import load_settings
    from scholarbot.services import open_services

    answerer = Answerer(open_services(load_settings(None, store=store)))
    answerer.ask("Who works on federated learning for large language models?")
    first = time.time() - started
    rss_first = _rss_mb()
    took = []
    for question in _questions(data, n):
        t0 = time.perf_counter()
        answerer.ask(question)
        took.append((time.perf_counter() - t0) * 1000)
    took.sort()
    print(
        json.dumps(
            {
                "first_answer_s": round(first, 2),
                "answer_rss_first_mb": round(rss_first),
                "answer_peak_rss_mb": round(_peak_rss_mb()),
                "questions": len(took),
                "p50_ms": round(statistics.median(took), 1) if took else None,
                "p95_ms": round(took[int(0.95 * (len(took) - 1))], 1) if took else None,
            }
        )
    )
    return 0


def _child_late(data: Path, store: Path, n: int) -> int:
    """A digest's worth of new papers, ingested by another process while this one answers, as a
    `scholarbot ingest` beside a running bot: the ingest's time, then this process's next question
    (which brings the index up to date: patched) and its peak memory through it, then a full build."""
    from scholarbot.answers import Answerer
    from scholarbot.config import load_settings
    from scholarbot.search.index import PaperIndex
    from scholarbot.services import open_services

    svc = open_services(load_settings(None, store=store))
    answerer = Answerer(svc)
    answerer.ask("Who works on federated learning for large language models?")  # the cache as left
    source = sorted((data / "corpus" / "paperlists").glob("*/*.json"))[0]
    rng = random.Random(int(time.time()))
    rows = json.loads(source.read_text())[:n]
    firsts, lasts = _name_parts(rows)
    late = [_variant(r, 10_000 + rng.randrange(10**6), rng, firsts, lasts) for r in rows]
    folder = store.parent / f"late-{store.name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / source.name).write_text(json.dumps(late))
    cmd = [sys.executable, __file__, "--child", "ingest", "--files", str(folder), "--store", str(store)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    ingest_s = json.loads(done.stdout.strip().splitlines()[-1])["ingest_s"]
    t0 = time.perf_counter()
    answerer.ask(f"papers on {late[0]['title']}")
    patched_s = time.perf_counter() - t0
    peak = _peak_rss_mb()
    t0 = time.perf_counter()
    PaperIndex.build(svc.store, svc.embedder)
    build_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "late_papers": n,
                "late_ingest_s": round(ingest_s, 1),
                "index_patch_s": round(patched_s, 1),
                "late_answer_peak_rss_mb": round(peak),
                "index_full_build_s": round(build_s, 1),
            }
        )
    )
    return 0


def _questions(data: Path, n: int) -> list[str]:
    sets = [
        [
            json.loads(line)["question"]
            for line in (data / "eval" / name).read_text().splitlines()
            if line.strip()
        ]
        for name in ("dev_questions_reasoning.jsonl", "dev_questions.jsonl")
    ]
    mixed = [q for pair in zip(*sets, strict=False) for q in pair]
    return mixed[:n] if n > 1 else []


def _process_start() -> float:
    """Wall-clock time this process started, so interpreter start and imports count."""
    ticks = os.sysconf("SC_CLK_TCK")
    since_boot = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
    boot = next(
        float(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime")
    )
    return boot + since_boot


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load": os.getloadavg()}


def _print_table(rows: list[dict[str, Any]]) -> None:
    cols = [
        ("papers", "papers"),
        ("ingest papers/s", "ingest_papers_per_s"),
        ("ingest peak RSS MB", "ingest_peak_rss_mb"),
        ("store MB", "store_mb"),
        ("index build s", "index_build_s"),
        ("cold first answer s", "first_answer_s"),
        ("answering RSS MB", "answer_peak_rss_mb"),
        ("p50 / p95 ms", None),
        ("late ingest s", "late_ingest_s"),
        ("answering RSS through the late step MB", "late_answer_peak_rss_mb"),
        ("index patch / full build s", "index_patch_s"),
    ]
    print("| " + " | ".join(c for c, _ in cols) + " |")
    print("|" + " --- |" * len(cols))
    for r in rows:
        cells = [str(r.get(k, "")) if k else f"{r.get('p50_ms')} / {r.get('p95_ms')}" for _, k in cols]
        cells[-1] = f"{r.get('index_patch_s')} / {r.get('index_full_build_s')}"
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
