"""Rebuild the bundled demo sample from ../shared: the four seed pages and a corpus extract.

The extract keeps every corpus paper by the seed researchers and by their coauthors, plus a fixed
random slice of each venue file, so the demo shows real disambiguation and topic filtering while
staying small enough to ship in the package (a few hundred papers).

    python scripts/make_sample.py [--shared ../shared] [--per-file 15]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

SEED_PEOPLE = {"Hainan Zhang", "Zhiming Zheng", "Hanlin Gu", "Zheng Lin"}
KEEP_FIELDS = (
    "id",
    "title",
    "abstract",
    "author",
    "authorids",
    "aff",
    "aff_unique_norm",
    "aff_unique_index",
    "site",
    "pdf",
    "doi",
    "github",
    "gs_citation",
    "keywords",
    "primary_area",
    "status",
    "track",
)


def authors(row: dict) -> list[str]:
    return [a.strip() for a in (row.get("author") or "").split(";") if a.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--shared", type=Path, default=root.parent / "shared")
    ap.add_argument("--per-file", type=int, default=15)
    args = ap.parse_args()
    out = root / "src" / "scholarbot" / "data" / "sample"
    shutil.rmtree(out, ignore_errors=True)
    (out / "seeds").mkdir(parents=True)
    (out / "paperlists").mkdir()
    for seed in sorted((args.shared / "seeds").glob("*.txt")):
        shutil.copy(seed, out / "seeds" / seed.name)

    files = sorted((args.shared / "corpus" / "paperlists").glob("*/*.json"))
    rows = {f: json.loads(f.read_text()) for f in files}
    coauthors = set()
    for data in rows.values():
        for row in data:
            names = authors(row)
            if SEED_PEOPLE & set(names):
                coauthors |= set(names)
    rng = random.Random(20261122)
    total = 0
    for f, data in rows.items():
        keep = [r for r in data if coauthors & set(authors(r))]
        rest = [r for r in data if r not in keep]
        keep += rng.sample(rest, min(args.per_file, len(rest)))
        slim = [{k: r.get(k) for k in KEEP_FIELDS if k in r} for r in keep]
        (out / "paperlists" / f.name).write_text(json.dumps(slim, ensure_ascii=False, indent=0))
        total += len(slim)
    print(f"wrote {total} corpus papers and the seeds to {out}")


if __name__ == "__main__":
    main()
