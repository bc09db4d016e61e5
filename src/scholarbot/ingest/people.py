"""Resolve authorships into people: same name is not same person.

Every author position on every paper is an authorship. Authorships that share a name, middle
initials aside (:func:`~scholarbot.records.person_key`), are joined into one person only on
evidence: the same source author id, a shared coauthor, or a shared affiliation, or a profile page
that lists them together (unless the page itself visibly mixes several people). Two different ids
from one id scheme (OpenReview ~Xi_Xiao1 vs ~Xi_Xiao2) keep people apart whatever else they share;
so do different middle initials ("Philip S. Yu" and "Philip L. H. Yu"), while a name printed with
and without one ("Christopher D. Manning", "Christopher Manning") is joined on the same evidence as
any other spelling.

A name printed with and without its middle names ("Jackie Chi Kit Cheung", "Jackie CK Cheung",
"Jackie Cheung") is three person keys. Authorships of one given and family name whose middle parts
agree (:func:`~scholarbot.ingest.identity.middles_agree`), or of one name spaced differently ("See
Kiong Ng", "See-Kiong Ng"), are joined across keys on the same evidence, authorship to authorship, so
the middle-named one joins the one "Xin Wang" of many that shares its coauthor or affiliation. In
names of romanised East Asian syllables a dropped word is part of a given name ("Xiao Juan Wang" is
not "Xiao Wang" without a middle name): those need a shared coauthor or id; an affiliation is not
enough. A person's keys always share their given and family name (or their letters), which is what
lets a later ingest find every key a person spans (:func:`variant_keys`).

What that leaves apart under a rare name ("Tor Lattimore" with a new lab and new coauthors) is
joined when the name's rarity, with venue, topic and time, makes one person far likelier than two
(:mod:`scholarbot.identity`). A common name ("Wei Wang") still needs the evidence above; so does a
name whose records show two people (two ids of one scheme, or a profile page that mixes people).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from scholarbot.ingest.identity import (
    ClusterEvidence,
    NameForm,
    NameFrequencies,
    PairEvidence,
    TopicModel,
    could_join,
    drops_east_asian_syllable,
    key_letters,
    key_pairs,
    keys_anchored,
    middles_agree,
    name_form,
    ordered_spelling,
    score_pair,
)
from scholarbot.records import (
    Author,
    Paper,
    ProfilePage,
    Researcher,
    author_id_namespace,
    fold,
    initials,
    name_key,
    person_key,
)

#: Tags that describe what a paper is about, in the order they make good topic labels.
_TOPIC_TAG_PREFIXES = ("subject:", "area:", "keyword:")


class _Nodes:
    """Authorships as (paper id, author position), held as two flat lists (no tuple per authorship)."""

    def __init__(self) -> None:
        self.paper: list[str] = []
        self.pos: list[int] = []
        #: Each paper's authorships are consecutive: paper id -> (first, end).
        self._span: dict[str, tuple[int, int]] = {}

    def add_paper(self, pid: str, positions: Iterable[int]) -> None:
        start = len(self.paper)
        for i in positions:
            self.paper.append(pid)
            self.pos.append(i)
        if len(self.paper) > start:
            self._span[pid] = (start, len(self.paper))

    def __len__(self) -> int:
        return len(self.paper)

    def __getitem__(self, n: int) -> tuple[str, int]:
        return self.paper[n], self.pos[n]

    def of_paper(self, pid: str) -> range:
        return range(*self._span.get(pid, (0, 0)))

    def at(self, pid: str, i: int) -> int | None:
        """The authorship at position `i` of a paper, if it is one being resolved."""
        for n in self.of_paper(pid):
            if self.pos[n] == i:
                return n
        return None


class _UnionFind:
    """Union-find over authorships that refuses merges the evidence forbids.

    Per-root state is kept only where it says something (a source id, more than one paper), so a
    million-paper store does not carry a dict and a set for every one of its authorships.
    """

    def __init__(self, nodes: _Nodes, keys: list[str]) -> None:
        self.nodes = nodes
        #: Each authorship's person key.
        self.keys = keys
        self.parent = list(range(len(nodes)))
        self.ids: dict[int, dict[str, set[str]]] = {}
        # Two authorships on one paper are two people, whatever else they share.
        self._papers: dict[int, set[str]] = {}
        #: Middle initials printed in a cluster's names, for the clusters that print any.
        self.initials: dict[int, frozenset[str]] = {}
        #: Printed forms of a cluster's names, for the clusters with a name that has variants under
        #: other keys (:func:`_variant_groups`): forms of one given and family name must agree.
        self.forms: dict[int, frozenset[NameForm]] = {}
        #: Person keys of the clusters joined across keys.
        self.keysets: dict[int, frozenset[str]] = {}

    def add_form(self, n: int, form: NameForm) -> None:
        self.forms[n] = frozenset({form})

    def keys_of(self, root: int) -> frozenset[str]:
        return self.keysets.get(root) or frozenset({self.keys[root]})

    def add_initials(self, n: int, letters: str) -> None:
        if letters:
            self.initials[n] = frozenset(letters)

    def add_id(self, n: int, namespace: str, value: str) -> None:
        self.ids.setdefault(n, {}).setdefault(namespace, set()).add(value)

    def namespaces(self, root: int) -> set[str]:
        return set(self.ids.get(root, ()))

    def papers(self, root: int) -> set[str]:
        return self._papers.get(root) or {self.nodes.paper[root]}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ida, idb = self.ids.get(ra), self.ids.get(rb)
        if ida and idb:
            for ns in ida.keys() & idb.keys():
                if not (ida[ns] & idb[ns]):
                    return False
        ia, ib = self.initials.get(ra), self.initials.get(rb)
        # "Philip S. Yu" and "Philip L. H. Yu" are two people; "Philip Yu" may be either.
        if ia and ib and not (ia <= ib or ib <= ia):
            return False
        fa, fb = self.forms.get(ra), self.forms.get(rb)
        # "Juan Diego Rodriguez" and "Juan A. Rodriguez" too, whichever "Juan Rodriguez" joined first.
        if fa and fb and not all(middles_agree(x, y) for x in fa for y in fb if x.block == y.block):
            return False
        keyset = None
        if self.keys[ra] != self.keys[rb] or ra in self.keysets or rb in self.keysets:
            keyset = self.keys_of(ra) | self.keys_of(rb)
            if not keys_anchored(keyset):
                return False
        pa, pb = self.papers(ra), self.papers(rb)
        if pa & pb:
            return False
        if len(pa) < len(pb):
            ra, rb, pa, pb, ida, idb, fa, fb = rb, ra, pb, pa, idb, ida, fb, fa
        self.parent[rb] = ra
        if ia or ib:
            self.initials.pop(rb, None)
            self.initials[ra] = (ia or frozenset()) | (ib or frozenset())
        if fb:
            del self.forms[rb]
            self.forms[ra] = (fa or frozenset()) | fb
        if keyset is not None:
            self.keysets.pop(rb, None)
            if len(keyset) > 1:
                self.keysets[ra] = keyset
        if idb:
            for ns, vals in idb.items():
                self.ids.setdefault(ra, {}).setdefault(ns, set()).update(vals)
            del self.ids[rb]
        if ra in self._papers:
            self._papers[ra] |= pb
        else:
            self._papers[ra] = pa | pb
        self._papers.pop(rb, None)
        return True


@dataclass(frozen=True)
class RarityMerge:
    """One join the name-rarity rule made, with its evidence, for reports and review."""

    #: The person key (name key, middle initials aside) whose clusters were joined.
    key: str
    #: Paper ids of the two clusters joined (the second joined the first).
    papers: tuple[tuple[str, ...], tuple[str, ...]]
    evidence: PairEvidence


@dataclass(frozen=True)
class VariantJoin:
    """One join of two printed variants of a name under different person keys, for reports and review."""

    #: The two printed names, as on the two authorships joined.
    names: tuple[str, str]
    #: Their papers.
    papers: tuple[str, str]
    #: What they shared: ("coauthor", person key), ("aff", affiliation key) or ("id", author id).
    evidence: tuple[str, str]


@dataclass(frozen=True)
class Scope:
    """Resolve only the authorships under some person keys; everyone else stays as resolved before.

    Resolution joins authorships of two person keys (:func:`~scholarbot.records.person_key`: name
    keys with middle initials set aside) only when one name is printed with middle names the other
    leaves out, or spaced differently; when `keys` hold every such variant of their names in the
    store (:func:`variant_keys`), their people can be resolved again from their papers alone (every
    paper where one of the keys is an author). What else they need from the rest of the store is
    passed in: who the other authors of those papers are, how common each name is, and the papers
    topic words are weighed on.
    """

    keys: frozenset[str]
    #: Paper id -> ids of that paper's authors whose name key is outside `keys`.
    others: Mapping[str, set[str]]
    #: Clusters per name key before rarity joins, as last resolved, for every key that shares a name
    #: word with `keys` (name rarity is judged on the frequencies of those words).
    name_counts: Mapping[str, int]
    #: The papers with the smallest ids in the store (the topic model's document frequencies).
    topic_sample: Sequence[Paper]
    #: Clusters before rarity joins in the whole store, as last resolved.
    clusters_total: int


def variant_keys(keys: Collection[str], printed: Iterable[str], people: Iterable[Researcher]) -> set[str]:
    """The person keys of `people` that resolving `keys` again must take in (what a :class:`Scope` needs).

    `printed` are the names printed under `keys` (every one the store holds); `people` the people
    filed under keys :func:`related_keys` gives. A person counts when one of their names is printed
    under `keys`, or is one given and family name (or one string of letters) with a name printed
    there: every key the person's names are printed under comes in.
    """
    forms = [f for f in map(name_form, printed) if f is not None]
    blocks = {f.block for f in forms}
    compacts = {f.compact for f in forms}
    out: set[str] = set()
    for person in people:
        names = (person.name, *person.aliases)
        own = {person_key(n) for n in names}
        if own & set(keys) or any(
            f is not None and (f.block in blocks or f.compact in compacts) for f in map(name_form, names)
        ):
            out |= own
    return out - set(keys)


def related_keys(keys: Collection[str], candidates: Iterable[str]) -> list[str]:
    """Candidates (other person keys) that may file a person whose names are also printed under `keys`.

    A person's keys all share a pair of full words or their letters
    (:func:`~scholarbot.ingest.identity.keys_anchored`), so the key they are filed under does too.
    """
    pairs = set().union(*(key_pairs(k) for k in keys))
    letters = {key_letters(k) for k in keys}
    return [c for c in candidates if c not in keys and (key_pairs(c) & pairs or key_letters(c) in letters)]


def resolve_people(
    papers: Iterable[Paper],
    profiles: Iterable[ProfilePage] = (),
    *,
    rarity: bool = True,
    merges: list[RarityMerge] | None = None,
    scope: Scope | None = None,
    variants: list[VariantJoin] | None = None,
) -> list[Researcher]:
    """Cluster all authorships into researchers and build their records (see :func:`iter_people`)."""
    return list(iter_people(papers, profiles, rarity=rarity, merges=merges, scope=scope, variants=variants))


def iter_people(
    papers: Iterable[Paper],
    profiles: Iterable[ProfilePage] = (),
    *,
    rarity: bool = True,
    merges: list[RarityMerge] | None = None,
    scope: Scope | None = None,
    variants: list[VariantJoin] | None = None,
) -> Iterator[Researcher]:
    """Cluster all authorships into researchers and yield their records one at a time.

    Clustering happens before the first record is yielded; records are built as they are taken, so
    a caller that writes them in batches never holds every researcher of a large store at once.
    `rarity=False` leaves out the name-rarity joins (for comparisons); `merges`, when given, receives
    one :class:`RarityMerge` per join that rule made, and `variants` one :class:`VariantJoin` per
    join of two keys' names. With a `scope`, `papers` must hold every paper with an author under its
    keys, and only those authors' people are returned.
    """
    by_id = {p.id: p for p in papers}
    profiles = list(profiles)
    if scope is not None:
        profiles = [page for page in profiles if person_key(page.name) in scope.keys]
    nodes = _Nodes()
    keys: list[str] = []
    for p in by_id.values():
        positions = []
        for i, au in enumerate(p.authors):
            k = person_key(au.name)
            if k and (scope is None or k in scope.keys):
                positions.append(i)
                keys.append(k)
        nodes.add_paper(p.id, positions)
    uf = _UnionFind(nodes, keys)
    for n in range(len(nodes)):
        au = by_id[nodes.paper[n]].authors[nodes.pos[n]]
        if identifying_id(au):
            uf.add_id(n, author_id_namespace(au.source_id or ""), au.source_id or "")
        uf.add_initials(n, initials(au.name))

    groups: dict[str, list[int]] = defaultdict(list)
    for n, k in enumerate(keys):
        groups[k].append(n)
    variant_groups = _variant_groups(groups, nodes, by_id)
    for _, members in variant_groups:
        for n in members:
            form = _form(n, nodes, by_id)
            if form is not None:
                uf.add_form(n, form)
    for members in groups.values():
        if len(members) > 1:
            _link_by_evidence(members, nodes, keys, by_id, uf)
    _link_variants(variant_groups, nodes, keys, by_id, uf, variants)

    page_of_node: dict[int, list[ProfilePage]] = defaultdict(list)
    for page in profiles:
        owner_nodes = _owner_nodes(page, by_id, nodes)
        for n in owner_nodes:
            page_of_node[n].append(page)
        if not _page_is_mixed(owner_nodes, uf):
            for a, b in pairwise(owner_nodes):
                uf.union(a, b)

    # Judged before rarity joins anything, so a page's verdict rests on evidence alone.
    mixed_pages = {page.source for page in profiles if _page_is_mixed(_owner_nodes(page, by_id, nodes), uf)}
    before_rarity = [uf.find(n) for n in range(len(nodes))]
    if rarity:
        shared_names = {person_key(page.name) for page in profiles if page.source in mixed_pages}
        _link_by_rarity(groups, before_rarity, nodes, by_id, uf, shared_names, merges, scope)
    del groups

    clusters: dict[int, list[int]] = defaultdict(list)
    for n in range(len(nodes)):
        clusters[uf.find(n)].append(n)
    del uf
    # Every id first: a record lists its coauthors' ids.
    node_rid: list[str] = [""] * len(nodes)
    for members in clusters.values():
        rid = _researcher_id(members, nodes, by_id)
        for n in members:
            node_rid[n] = rid
    del keys
    others = scope.others if scope is not None else {}
    for members in clusters.values():
        rid = node_rid[members[0]]
        # A cluster holds at most one authorship per paper, so each paper counts once per coauthor.
        coauthors: Counter[str] = Counter()
        for n in members:
            pid = nodes.paper[n]
            on_paper = {node_rid[m] for m in nodes.of_paper(pid)}
            on_paper.update(others.get(pid, ()))
            on_paper.discard(rid)
            coauthors.update(on_paper)
        yield _build(rid, members, nodes, by_id, page_of_node, mixed_pages, coauthors, before_rarity)


def _link_by_evidence(
    members: list[int],
    nodes: _Nodes,
    keys: list[str],
    by_id: dict[str, Paper],
    uf: _UnionFind,
) -> None:
    # An inverted index from each piece of evidence to the first authorship that showed it keeps
    # this linear in the number of authorships, even for names held by hundreds of people.
    first_seen: dict[tuple[str, str], int] = {}
    for n in members:
        pid, i = nodes[n]
        for ev in _evidence(by_id[pid], i, keys[n]):
            if ev in first_seen:
                uf.union(first_seen[ev], n)
            else:
                first_seen[ev] = n


def _evidence(paper: Paper, i: int, own: str) -> list[tuple[str, str]]:
    """What links the authorship at position `i` to others of its name: its id, coauthors, affiliations."""
    au = paper.authors[i]
    evidence: list[tuple[str, str]] = []
    if identifying_id(au):
        evidence.append(("id", au.source_id or ""))
    for j, other in enumerate(paper.authors):
        ok = person_key(other.name)
        if j != i and ok and ok != own:
            evidence.append(("coauthor", ok))
    for aff in au.affiliations:
        evidence.append(("aff", affiliation_key(aff)))
    return evidence


def _form(n: int, nodes: _Nodes, by_id: dict[str, Paper]) -> NameForm | None:
    pid, i = nodes[n]
    return name_form(by_id[pid].authors[i].name)


def _full_words(key: str) -> list[str]:
    return [t for t in key.split() if len(t) > 1]


def _variant_groups(
    groups: dict[str, list[int]], nodes: _Nodes, by_id: dict[str, Paper]
) -> list[tuple[str, list[int]]]:
    """Authorships whose printed names may be one name under several person keys, by what they share.

    ("block", nodes): one given and family name, printed with and without middle parts ("Jackie Chi
    Kit Cheung", "Jackie CK Cheung", "Jackie Cheung"); ("compact", nodes): one string of letters
    spaced differently ("See Kiong Ng", "See-Kiong Ng"). Only groups of two or more keys are kept.
    One of two variants always has three full words or more, so only those keys (a few in a hundred)
    are indexed; two-word keys are looked up in that index.
    """
    blocks: dict[str, set[str]] = defaultdict(set)
    compacts: dict[str, set[str]] = defaultdict(set)
    for key, members in groups.items():
        if key.count(" ") >= 2 and len(_full_words(key)) >= 3:
            for form in {f for n in members if (f := _form(n, nodes, by_id)) is not None}:
                blocks[form.block].add(key)
                compacts[form.compact].add(key)
    if not blocks:
        return []
    for key, members in groups.items():
        if key.count(" ") != 1:
            continue
        a, b = key.split(" ")
        if not (f"{a} {b}" in blocks or f"{b} {a}" in blocks or a + b in compacts or b + a in compacts):
            continue
        for form in {f for n in members if (f := _form(n, nodes, by_id)) is not None}:
            if form.block in blocks:
                blocks[form.block].add(key)
            if form.compact in compacts:
                compacts[form.compact].add(key)
    out: list[tuple[str, list[int]]] = []
    for kind, index in (("block", blocks), ("compact", compacts)):
        for shared in sorted(s for s, ks in index.items() if len(ks) > 1):
            members = sorted(
                n
                for key in index[shared]
                for n in groups[key]
                if (f := _form(n, nodes, by_id)) is not None
                and (f.block if kind == "block" else f.compact) == shared
            )
            out.append((kind, members))
    return out


def _link_variants(
    variant_groups: list[tuple[str, list[int]]],
    nodes: _Nodes,
    keys: list[str],
    by_id: dict[str, Paper],
    uf: _UnionFind,
    joins: list[VariantJoin] | None,
) -> None:
    """Join authorships of one name's variants under different keys on the evidence that joins one key.

    Each key's first authorship to show a piece of evidence stands for the key's cluster that holds
    it (evidence within a key is linked already), so an authorship joins the cluster of each other
    key that the evidence points at, not every cluster of a common name.
    """
    for kind, members in variant_groups:
        first_seen: dict[tuple[str, str], dict[str, int]] = {}
        for n in members:
            pid, i = nodes[n]
            own = keys[n]
            form = _form(n, nodes, by_id)
            for ev in _evidence(by_id[pid], i, own):
                seen = first_seen.setdefault(ev, {})
                for key, m in seen.items():
                    if key == own or uf.find(m) == uf.find(n):
                        continue
                    other = _form(m, nodes, by_id)
                    if kind == "block" and form is not None and other is not None:
                        if not middles_agree(form, other):
                            continue
                        if ev[0] == "aff" and drops_east_asian_syllable(form, other):
                            continue
                    if uf.union(m, n) and joins is not None:
                        mp, mi = nodes[m]
                        names = (by_id[mp].authors[mi].name, by_id[pid].authors[i].name)
                        joins.append(VariantJoin(names, (mp, pid), ev))
                seen.setdefault(own, n)


def _link_by_rarity(
    groups: dict[str, list[int]],
    before_rarity: list[int],
    nodes: _Nodes,
    by_id: dict[str, Paper],
    uf: _UnionFind,
    shared_names: set[str],
    merges: list[RarityMerge] | None,
    scope: Scope | None = None,
) -> None:
    """Join the clusters of a rare name that nothing links, when rarity and weak evidence agree.

    Clusters are taken in a fixed order (by their first authorship), each joining the first earlier
    group it scores high enough with, so the result does not depend on input order.
    """
    # A cluster joined across keys counts, and is judged, under the key of its name only (where the
    # people table files it), so a later ingest counts names as a full resolution does.
    crossing = _crossing_clusters(groups, before_rarity, uf, nodes, by_id)
    roots: dict[str, list[int]] = {}
    for key, members in groups.items():
        found = dict.fromkeys(before_rarity[n] for n in members)
        roots[key] = [r for r in found if r not in crossing or crossing[r][0] == key]
    counts = Counter({key: len(rs) for key, rs in roots.items()})
    total = None
    if scope is not None:
        # The store as last resolved, with this resolution's own clusters for its keys. Only names
        # sharing a word with those keys are counted: nothing else moves their frequencies.
        counts += Counter({k: n for k, n in scope.name_counts.items() if k not in scope.keys})
        replaced = sum(n for k, n in scope.name_counts.items() if k in scope.keys)
        total = scope.clusters_total - replaced + sum(len(rs) for rs in roots.values())
    freq = NameFrequencies(counts, total)
    topics = TopicModel(by_id.values() if scope is None else scope.topic_sample)
    for key in sorted(roots):
        if len(roots[key]) < 2 or key in shared_names:
            continue
        expected = freq.expected_namesakes(key)
        if expected is None or not could_join(expected):
            continue
        if _name_is_shared(roots[key], uf):
            continue
        romanised = freq.romanised(key)
        members_of: dict[int, list[int]] = {r: crossing[r][1] if r in crossing else [] for r in roots[key]}
        for n in groups[key]:
            if before_rarity[n] not in crossing:
                members_of[before_rarity[n]].append(n)
        clusters = sorted(members_of.values(), key=lambda ms: min(nodes[n] for n in ms))
        joined: list[tuple[int, ClusterEvidence, list[str]]] = []
        for ms in clusters:
            ev = ClusterEvidence()
            for n in ms:
                pid, i = nodes[n]
                paper = by_id[pid]
                ev.add(paper, ordered_spelling(paper.authors[i].name))
            pids = sorted({nodes[n][0] for n in ms})
            for anchor, group_ev, group_pids in joined:
                pair = score_pair(expected, romanised, group_ev, ev, topics)
                if pair is not None and uf.union(anchor, ms[0]):
                    if merges is not None:
                        merges.append(RarityMerge(key, (tuple(group_pids), tuple(pids)), pair))
                    group_ev.absorb(ev)
                    group_pids.extend(pids)
                    break
            else:
                joined.append((ms[0], ev, pids))


def _crossing_clusters(
    groups: dict[str, list[int]],
    before_rarity: list[int],
    uf: _UnionFind,
    nodes: _Nodes,
    by_id: dict[str, Paper],
) -> dict[int, tuple[str, list[int]]]:
    """Clusters joined across person keys: root -> (the person key of their name, their authorships)."""
    out: dict[int, tuple[str, list[int]]] = {}
    for root, keyset in uf.keysets.items():
        members = sorted(n for k in keyset for n in groups[k] if before_rarity[n] == root)
        names = Counter(by_id[nodes.paper[n]].authors[nodes.pos[n]].name for n in members)
        out[root] = (person_key(_display_name(names)), members)
    return out


def _name_is_shared(roots: list[int], uf: _UnionFind) -> bool:
    """Whether two clusters of a name carry different ids of one scheme: two people hold it."""
    seen: set[str] = set()
    for r in roots:
        namespaces = uf.namespaces(r)
        if namespaces & seen:
            return True
        seen |= namespaces
    return False


@lru_cache(maxsize=1 << 16)
def affiliation_key(aff: str) -> str:
    """Key an affiliation so spelling variants meet.

    "J. P. Morgan AI Research" = "JP Morgan AI research"; "Meituan Inc." = "Meituan Group" =
    "Meituan": legal-form words say nothing about which institution it is.
    """
    words = [w for w in re.split(r"[^a-z0-9]+", fold(aff)) if w and w not in _LEGAL_FORMS]
    return "".join(words)


_LEGAL_FORMS = frozenset(
    {"inc", "ltd", "co", "corp", "corporation", "company", "limited", "group", "llc", "gmbh", "the"}
)


def _merge_affiliation_variants(counts: Counter[str], last_year: dict[str, int]) -> list[str]:
    """Collapse spelling variants of one affiliation, keeping its most used spelling, most used first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for aff in counts:
        groups[affiliation_key(aff) or aff].append(aff)
    merged = []
    for variants in groups.values():
        total = sum(counts[v] for v in variants)
        spelling = max(variants, key=lambda v: (counts[v], -len(v)))
        merged.append((total, max(last_year.get(v, 0) for v in variants), spelling))
    words = {t[2]: re.findall(r"[a-z0-9]+", fold(t[2])) for t in merged}

    def unit(spelling: str) -> bool:
        # "Google DeepMind" or "WeChat AI, Tencent" beside "Google", "Tencent": a unit of another
        # of the person's places (after a comma: "University of Chinese Academy of Sciences" is no
        # unit of the Chinese Academy of Sciences).
        own = words[spelling]
        after = re.findall(r"[a-z0-9]+", fold(spelling.rsplit(", ", 1)[-1])) if ", " in spelling else None
        return any(0 < len(w) < len(own) and w in (own[: len(w)], after) for w in words.values())

    # As often as its organisation (every paper printing one prints both), the unit says more.
    merged.sort(key=lambda t: (-t[0], -t[1], not unit(t[2]), t[2]))
    return [spelling for _, _, spelling in merged]


def _owner_nodes(page: ProfilePage, by_id: dict[str, Paper], nodes: _Nodes) -> list[int]:
    key = person_key(page.name)
    out = []
    for pid in page.paper_ids:
        paper = by_id.get(pid)
        if paper is None:
            continue
        for i, au in enumerate(paper.authors):
            n = nodes.at(pid, i) if person_key(au.name) == key else None
            if n is not None:
                out.append(n)
                break
    return out


def _page_is_mixed(owner_nodes: list[int], uf: _UnionFind) -> bool:
    """Say whether a profile page lists work of several people under one name.

    Evidence alone (coauthors, affiliations) groups the page's authorships; two or more groups
    of two or more papers each, with nothing linking them, means the page's site conflated
    people (the seeds' "Zheng Lin" page mixes NLP, vision and federated-learning researchers).
    """
    sizes = Counter(uf.find(n) for n in owner_nodes)
    return sum(1 for s in sizes.values() if s >= 2) >= 2


def _researcher_id(members: list[int], nodes: _Nodes, by_id: dict[str, Paper]) -> str:
    # Anchored on the cluster's first authorship (smallest paper id, then author position):
    # re-ingesting the same data gives the same id whatever order files were read in, and two
    # namesakes on one paper, kept apart, still get different ids. Keyed on the name as printed
    # there, initials and all, so people resolved before initials were set aside keep their ids.
    pid, pos = min(nodes[n] for n in members)
    key = name_key(by_id[pid].authors[pos].name)
    return "r_" + hashlib.sha1(f"{key}|{pid}|{pos}".encode()).hexdigest()[:16]


def identifying_id(author: Author) -> bool:
    """Whether an author's source id identifies one person.

    OpenReview ids (~Wei_Wang1) are per-profile. The ACL Anthology's plain slug (/w/wei-wang/)
    is where every not-yet-disambiguated Wei Wang lands; only a slug with a suffix
    (/w/wei-wang-ucla/) names one person, so the plain one is no evidence either way.
    """
    sid = author.source_id
    if not sid:
        return False
    if author_id_namespace(sid) == "acl":
        slug = sid.strip("/").rsplit("/", 1)[-1]
        return slug != "-".join(re.findall(r"[a-z0-9]+", fold(author.name)))
    return True


def _build(
    rid: str,
    members: list[int],
    nodes: _Nodes,
    by_id: dict[str, Paper],
    page_of_node: dict[int, list[ProfilePage]],
    mixed_pages: set[str],
    coauthors: Counter[str],
    before_rarity: list[int],
) -> Researcher:
    names: Counter[str] = Counter()
    affs: Counter[str] = Counter()
    aff_last_year: dict[str, int] = {}
    topics: Counter[str] = Counter()
    sources: dict[str, None] = {}
    links: dict[str, None] = {}
    metrics: dict[str, int | float] = {}
    papers: list[Paper] = []
    for n in members:
        pid, i = nodes[n]
        paper = by_id[pid]
        papers.append(paper)
        au = paper.authors[i]
        names[au.name] += 1
        for aff in au.affiliations:
            affs[aff] += 1
            aff_last_year[aff] = max(aff_last_year.get(aff, 0), paper.year or 0)
        for tag in paper.tags:
            if tag.startswith(_TOPIC_TAG_PREFIXES):
                topics[tag.split(":", 1)[1]] += 1
        for s in paper.sources:
            sources[s] = None
        if au.source_id:
            links[au.source_id] = None
        for page in page_of_node.get(n, ()):
            if page.source in mixed_pages:
                continue
            sources[page.source] = None
            for link in page.links:
                links[link] = None
            for k, v in page.metrics.items():
                metrics.setdefault(k, v)
            for aff in page.affiliations:
                affs[aff] += 1
    papers.sort(key=lambda p: (-(p.year or 0), p.title))
    name = _display_name(names)
    metrics["papers_in_store"] = len(papers)
    cited = [p.citation_count for p in papers if p.citation_count is not None]
    if cited:
        metrics["citations_in_store"] = sum(cited)
    return Researcher(
        id=rid,
        name=name,
        aliases=tuple(sorted(set(names) - {name})),
        affiliations=tuple(_merge_affiliation_variants(affs, aff_last_year)),
        metrics=metrics,
        topics=tuple(t for t, _ in topics.most_common(12)),
        links=tuple(links),
        sources=tuple(sources),
        paper_ids=tuple(dict.fromkeys(p.id for p in papers)),
        coauthors=_ranked(coauthors),
        rarity_joins=len({before_rarity[n] for n in members}) - 1,
    )


def _display_name(names: Counter[str]) -> str:
    """The name a person is shown under: the most printed, the spelling with diacritics on a tie."""
    return max(names.items(), key=lambda kv: (kv[1], _diacritics_score(kv[0]), kv[0]))[0]


def _ranked(coauthors: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(coauthors.items(), key=lambda kv: (-kv[1], kv[0])))


def relink_coauthors(
    person: Researcher, replaced: Collection[str], new_authors: Mapping[str, Collection[str]]
) -> Researcher:
    """A researcher outside a :class:`Scope`, its coauthors re-pointed at the scope's new people.

    `replaced` are the ids the scope's people had before; `new_authors` maps each paper of the
    scope to the ids of its people after.
    """
    counts = Counter({rid: n for rid, n in person.coauthors if rid not in replaced})
    for pid in person.paper_ids:
        counts.update(new_authors.get(pid, ()))
    return dataclasses.replace(person, coauthors=_ranked(counts))


def _diacritics_score(name: str) -> int:
    # Prefer the spelling with diacritics ("Noémie" over "Noemie") when counts tie.
    return sum(1 for ch in name if ord(ch) > 127)
