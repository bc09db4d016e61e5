"""What an acronym in a question stands for, as the papers that use it define it.

"RAG" is written out in the abstracts that introduce it ("retrieval-augmented generation (RAG)"); a
paper that never uses the acronym ("Metacognitive Retrieval-Augmented Large Language Models") is
still on it. The Schwartz–Hearst algorithm (the `abbreviations` package) reads such definitions out
of the papers that mention the acronym most; the definition most of them give is the meaning.
"""

from __future__ import annotations

import re
from collections import Counter

from abbreviations.schwartz_hearst import extract_abbreviation_definition_pairs

from scholarbot.search.index import PaperIndex

#: Papers read for definitions: those the acronym scores highest in.
PAPERS_READ = 40
#: A definition counts when at least this many papers give it, and more than half of those that define it.
MIN_DEFINING = 2
#: An acronym as people type it: capitals, maybe a lower-case letter inside or a plural "s" ("GNNs", "NeRF").
ACRONYM = re.compile(r"(?<![\w-])(?=(?:[a-z]*[A-Z]){2})[A-Z][A-Za-z]{1,7}(?![\w-])")


def acronyms(topic: str) -> list[str]:
    """The acronyms in a topic, in order."""
    return list(dict.fromkeys(ACRONYM.findall(topic)))


def defined(index: PaperIndex, acronym: str) -> str | None:
    """The definition most papers using the acronym give, in lower case; None when too few define it
    or they disagree."""
    forms = {acronym, acronym.removesuffix("s"), acronym + "s"}
    hits = index.search(acronym, k=PAPERS_READ, mode="bm25")
    papers = index.papers([h.id for h in hits])
    seen: Counter[str] = Counter()
    for paper in papers.values():
        text = f"{paper.title}. {paper.abstract}"
        if not any(f"({f}" in text for f in forms):
            continue
        pairs = extract_abbreviation_definition_pairs(doc_text=text)
        found = next((pairs[f] for f in forms if f in pairs), None)
        if found:
            seen[" ".join(re.sub(r"[^\w-]+", " ", found.casefold()).split())] += 1
    if not seen:
        return None
    best, n = seen.most_common(1)[0]
    return best if n >= MIN_DEFINING and 2 * n > sum(seen.values()) else None
