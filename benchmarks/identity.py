"""People resolution with and without the name-rarity joins: split names, merges, and merges to check by hand.

Run:  .venv/bin/python benchmarks/identity.py [--data ../shared] [--store DIR]
      [--sample 10] [--seed 0] [--out benchmarks/out/identity.json]

Papers and profile pages come from --store when given (built from --data when empty), else straight from
the data folder's seeds and corpus/paperlists (parsed, nothing written). People are resolved twice, with
`rarity=False` (before: coauthor, affiliation, id and profile-page evidence only) and with it (after).
Reports researchers and split names (name keys carried by more than one researcher) for both, the joins
the rarity rule made, every join of a name's variants under two keys (printed with and without middle
names, or spaced differently) with its evidence, and a check against the records' own ids: resolving
again with every author id hidden, a join of two clusters (or of two variants' authorships) that carried
the same OpenReview or ACL id is confirmed, one of two different ids of one scheme is contradicted
(some of those are one person's duplicate OpenReview profiles: read them). Prints --sample joins,
drawn with --seed, with their evidence and papers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from scholarbot.ingest.identity import ClusterEvidence, NameFrequencies, TopicModel
from scholarbot.ingest.importers import expand_paths, read_file
from scholarbot.ingest.people import RarityMerge, VariantJoin, identifying_id, resolve_people
from scholarbot.records import (
    Paper,
    ProfilePage,
    Researcher,
    author_id_namespace,
    merge_by_id,
    name_key,
    person_key,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", default=str(ROOT.parent / "shared"), help="the shared data folder (default ../shared)"
    )
    ap.add_argument("--store", help="read papers from this store (built from --data when empty)")
    ap.add_argument("--sample", type=int, default=10, help="joins to print for checking by hand")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "out" / "identity.json"), help="where to write the figures")
    args = ap.parse_args()
    papers, pages = load(Path(args.data), args.store)
    by_id = {p.id: p for p in papers}
    print(f"{len(papers)} papers, {len(pages)} profile pages", file=sys.stderr)

    before, before_s = timed(lambda: resolve_people(papers, pages, rarity=False))
    merges: list[RarityMerge] = []
    variants: list[VariantJoin] = []
    after, after_s = timed(lambda: resolve_people(papers, pages, merges=merges, variants=variants))
    hidden: list[RarityMerge] = []
    hidden_variants: list[VariantJoin] = []
    hidden_people = resolve_people(hide_ids(papers), pages, merges=hidden, variants=hidden_variants)
    check = Counter(verdict(m, by_id) for m in hidden)
    spellings = spelling_joins(after, by_id)
    spellings_hidden = spelling_joins(hidden_people, by_id)
    figures: dict[str, Any] = {
        "papers": len(papers),
        "before": summary(before) | {"resolve_s": before_s},
        "after": summary(after) | {"resolve_s": after_s},
        "rarity_joins": len(merges),
        "rarity_joins_romanised": sum(m.evidence.romanised for m in merges),
        "names_joined": len({m.key for m in merges}),
        "ids_hidden_check": {"joins": len(hidden), **dict(check)},
        "contradicted": [
            {"name": display(m, by_id), "ids": [sorted(ids_of(side, m.key, by_id)) for side in m.papers]}
            for m in hidden
            if verdict(m, by_id) == "contradicted"
        ],
        "spelling_joins": len(spellings),
        "spelling_joins_ids_hidden": {
            "joins": len(spellings_hidden),
            **Counter(j["verdict"] for j in spellings_hidden),
        },
        "spelling_contradicted": [j for j in spellings_hidden if j["verdict"] == "contradicted"],
        "variant_joins": len(variants),
        "variant_joins_ids_hidden": {
            "joins": len(hidden_variants),
            **Counter(variant_verdict(v, by_id) for v in hidden_variants),
        },
        "variant_contradicted": [
            describe_variant(v, by_id) for v in hidden_variants if variant_verdict(v, by_id) == "contradicted"
        ],
        "variants": [describe_variant(v, by_id) for v in variants],
    }
    rng = random.Random(args.seed)
    sampled = rng.sample(merges, min(args.sample, len(merges)))
    topics = TopicModel(papers)
    figures["sample"] = [describe(m, by_id, topics) for m in sampled]
    figures["spelling_sample"] = rng.sample(spellings, min(args.sample, len(spellings)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(report(figures))
    return 0


def load(data: Path, store_path: str | None) -> tuple[list[Paper], list[ProfilePage]]:
    sources = [data / "seeds", data / "corpus" / "paperlists"]
    if store_path:
        from scholarbot.config import load_settings
        from scholarbot.ingest.pipeline import ingest_paths
        from scholarbot.services import open_services

        svc = open_services(load_settings(None, store=Path(store_path)))
        if svc.store.counts()["papers"] == 0:
            print(f"building {store_path} from {data} ...", file=sys.stderr)
            ingest_paths(sources, svc.store, svc.embedder)
        return list(svc.store.iter_papers()), list(svc.store.iter_profiles())
    papers: list[Paper] = []
    pages: list[ProfilePage] = []
    for path in expand_paths(sources):
        batch = read_file(path)
        papers.extend(batch.papers)
        pages.extend(batch.profiles)
    return list(merge_by_id(papers).values()), pages


def timed(fn: Any) -> tuple[list[Researcher], float]:
    t = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t, 2)


def summary(people: list[Researcher]) -> dict[str, Any]:
    per_name = Counter(name_key(r.name) for r in people)
    freq = NameFrequencies(name_key(r.name) for r in people)
    split = {k: n for k, n in per_name.items() if n > 1}
    # "Christopher Manning" and "Christopher D. Manning" as two researchers are one split name too.
    per_person_key = Counter(person_key(r.name) for r in people)
    return {
        "researchers": len(people),
        "names": len(per_name),
        "split_names": len(split),
        "split_names_initials_aside": sum(1 for n in per_person_key.values() if n > 1),
        "split_names_romanised": sum(freq.romanised(k) for k in split),
        "researchers_under_split_names": sum(split.values()),
        "largest_splits": per_name.most_common(5),
    }


def hide_ids(papers: list[Paper]) -> list[Paper]:
    return [replace(p, authors=tuple(replace(a, source_id=None) for a in p.authors)) for p in papers]


def ids_of(paper_ids: tuple[str, ...], key: str, by_id: dict[str, Paper]) -> set[str]:
    return {
        a.source_id or ""
        for pid in paper_ids
        for a in by_id[pid].authors
        if person_key(a.name) == key and identifying_id(a)
    }


def spelling_joins(people: list[Researcher], by_id: dict[str, Paper]) -> list[dict[str, Any]]:
    """People whose papers print their name in more than one way once initials are set aside
    ("Christopher Manning", "Christopher D. Manning"), each judged by the authors' ids on the papers:
    confirmed when two spellings share an id, contradicted when they carry only different ids of one
    scheme."""
    out = []
    for r in people:
        key = person_key(r.name)
        ids: dict[str, set[str]] = {}
        rows: dict[str, list[str]] = {}
        for pid in r.paper_ids:
            mine = [a for a in by_id[pid].authors if person_key(a.name) == key]
            if len(mine) != 1:
                continue
            spelling = name_key(mine[0].name)
            ids.setdefault(spelling, set())
            if identifying_id(mine[0]):
                ids[spelling].add(mine[0].source_id or "")
            p = by_id[pid]
            others = ", ".join(a.name for a in p.authors if a is not mine[0])[:60]
            aff = "; ".join(mine[0].affiliations[:1]) or "-"
            row = f"{mine[0].name} | {p.venue} | {p.title[:60]} | {aff} | {others}"
            rows.setdefault(spelling, []).append(row)
        if len(ids) < 2:
            continue
        sets = list(ids.values())
        pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
        spaces = lambda x: {author_id_namespace(i) for i in x}  # noqa: E731
        if any(a and b and not (a & b) and spaces(a) & spaces(b) for a, b in pairs):
            judged = "contradicted"
        elif any(a & b for a, b in pairs):
            judged = "confirmed"
        else:
            judged = "no_ids"
        out.append({"name": r.name, "verdict": judged, "ids": [sorted(x) for x in sets], "papers": rows})
    return out


def verdict(m: RarityMerge, by_id: dict[str, Paper]) -> str:
    a, b = (ids_of(side, m.key, by_id) for side in m.papers)
    if a & b:
        return "confirmed"
    if {author_id_namespace(i) for i in a} & {author_id_namespace(i) for i in b}:
        return "contradicted"
    return "no_ids"


def variant_ids(v: VariantJoin, by_id: dict[str, Paper]) -> list[str | None]:
    """The source ids the two joined authorships carry (None for one that is no evidence)."""
    out: list[str | None] = []
    for name, pid in zip(v.names, v.papers, strict=True):
        au = next(a for a in by_id[pid].authors if a.name == name)
        out.append(au.source_id if identifying_id(au) else None)
    return out


def variant_verdict(v: VariantJoin, by_id: dict[str, Paper]) -> str:
    """Confirmed when both authorships carry one id, contradicted when two ids of one scheme."""
    a, b = variant_ids(v, by_id)
    if a and b and a == b:
        return "confirmed"
    if a and b and author_id_namespace(a) == author_id_namespace(b):
        return "contradicted"
    return "no_ids"


def describe_variant(v: VariantJoin, by_id: dict[str, Paper]) -> dict[str, Any]:
    sides = []
    for name, pid in zip(v.names, v.papers, strict=True):
        p = by_id[pid]
        me = next(a for a in p.authors if a.name == name)
        aff = "; ".join(me.affiliations[:1]) or "-"
        others = ", ".join(a.name for a in p.authors if a is not me)[:80]
        sides.append(f"{name} | {p.venue} | {p.title[:60]} | {aff} | {others}")
    return {
        "names": list(v.names),
        "evidence": list(v.evidence),
        "ids": variant_ids(v, by_id),
        "sides": sides,
    }


def display(m: RarityMerge, by_id: dict[str, Paper]) -> str:
    for pid in m.papers[0]:
        for a in by_id[pid].authors:
            if person_key(a.name) == m.key:
                return a.name
    return m.key


def describe(m: RarityMerge, by_id: dict[str, Paper], topics: TopicModel) -> dict[str, Any]:
    sides = []
    evidence = []
    for side in m.papers:
        ev = ClusterEvidence()
        rows = []
        for pid in side:
            p = by_id[pid]
            me = next(a for a in p.authors if person_key(a.name) == m.key)
            ev.add(p, me.name)
            others = [a.name for a in p.authors if a is not me]
            rows.append(
                {
                    "venue": p.venue,
                    "year": p.year,
                    "title": p.title,
                    "affiliations": list(me.affiliations),
                    "id": me.source_id,
                    "coauthors": others[:6],
                }
            )
        sides.append(rows)
        evidence.append(ev)
    cosine, _ = topics.cosine(evidence[0], evidence[1])
    e = m.evidence
    return {
        "name": display(m, by_id),
        "expected_namesakes": round(e.expected_namesakes, 5),
        "romanised": e.romanised,
        "odds": round(e.odds, 1),
        "shared_venues": list(e.shared_venues),
        "topic_cosine": round(cosine, 3),
        "year_gap": e.year_gap,
        "sides": sides,
    }


def report(f: dict[str, Any]) -> str:
    b, a = f["before"], f["after"]
    lines = [
        "| | before (evidence only) | after (+ name rarity) |",
        "| --- | --- | --- |",
        *(f"| {k} | {b[k]} | {a[k]} |" for k in ("researchers", "split_names", "split_names_initials_aside")),
        *(f"| {k} | {b[k]} | {a[k]} |" for k in ("split_names_romanised",)),
        *(f"| {k} | {b[k]} | {a[k]} |" for k in ("researchers_under_split_names", "resolve_s")),
        "",
        f"rarity joins: {f['rarity_joins']} ({f['rarity_joins_romanised']} of romanised East Asian names) "
        f"over {f['names_joined']} names",
        f"ids hidden: {f['ids_hidden_check']}",
        *(f"  contradicted: {c['name']} {c['ids']}" for c in f["contradicted"]),
        f"people printed with and without middle initials: {f['spelling_joins']}; "
        f"ids hidden: {f['spelling_joins_ids_hidden']}",
        *(f"  contradicted: {c['name']} {c['ids']}" for c in f["spelling_contradicted"]),
        f"variants joined across keys (middle names, spacing): {f['variant_joins']}; "
        f"ids hidden: {f['variant_joins_ids_hidden']}",
        *(f"  contradicted: {c['names']} {c['ids']}" for c in f["variant_contradicted"]),
        "",
    ]
    for n, v in enumerate(f["variants"], 1):
        lines.append(f"v{n}. {v['names'][0]} ~ {v['names'][1]} on {v['evidence'][0]} {v['evidence'][1]!r}")
        lines.extend(f"   {side}" for side in v["sides"])
    lines.append("")
    for n, j in enumerate(f["spelling_sample"], 1):
        lines.append(f"{n}. {j['name']} ({j['verdict']})")
        lines.extend(f"   {row}" for rows in j["papers"].values() for row in rows[:3])
    lines.append("")
    for n, s in enumerate(f["sample"], 1):
        lines.append(
            f"{n}. {s['name']}: expected namesakes {s['expected_namesakes']}"
            f"{' (romanised)' if s['romanised'] else ''}, odds {s['odds']}, shared venues "
            f"{s['shared_venues'] or '-'}, topic cosine {s['topic_cosine']}, year gap {s['year_gap']}"
        )
        for side_no, side in enumerate(s["sides"], 1):
            for row in side:
                aff = "; ".join(row["affiliations"][:2]) or "-"
                lines.append(
                    f"   [{side_no}] {row['venue']} | {row['title'][:80]} | {aff} | "
                    f"with {', '.join(row['coauthors'][:3]) or '-'}"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
