"""One researcher's coauthor network: their top coauthors, who among those publish together, and groups.

The /profile picture draws it (bot/render.py); `scholarbot profile --json` shows it as profile["network"].
Built from the people directory's per-person paper ids, so it costs a dozen set intersections, not a scan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import networkx as nx
from networkx.algorithms.community import greedy_modularity_communities

from scholarbot.search.directory import PersonEntry

#: Coauthors in one network, most shared papers first; more would not stay readable in one picture.
NETWORK_COAUTHORS = 12


@dataclass(frozen=True)
class GraphNode:
    """A person in the network."""

    id: str
    name: str
    #: Papers shared with the network's person; for the person, their own paper count.
    papers: int
    #: Index into `CoauthorGraph.groups` (0 = the largest group); None for the person at the centre.
    group: int | None = None


@dataclass(frozen=True)
class GraphEdge:
    """Two people who share papers, `a` before `b` in node order."""

    a: str
    b: str
    #: Papers in the records that list both.
    papers: int


@dataclass(frozen=True)
class CoauthorGraph:
    """The person (always `nodes[0]`), their top coauthors, and the shared-paper links among them all."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...] = ()

    @property
    def person(self) -> GraphNode:
        return self.nodes[0]

    @property
    def coauthors(self) -> tuple[GraphNode, ...]:
        return self.nodes[1:]

    @property
    def links_among_coauthors(self) -> tuple[GraphEdge, ...]:
        """The edges that do not touch the person: who among the coauthors publish together."""
        return tuple(e for e in self.edges if self.person.id not in (e.a, e.b))

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        """Coauthor ids per group, a partition of the coauthors; a group of one publishes with no other."""
        out: dict[int, list[str]] = {}
        for n in self.coauthors:
            out.setdefault(n.group if n.group is not None else -1, []).append(n.id)
        return tuple(tuple(out[g]) for g in sorted(out))

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [{"id": n.id, "name": n.name, "papers": n.papers, "group": n.group} for n in self.nodes],
            "edges": [{"a": e.a, "b": e.b, "papers": e.papers} for e in self.edges],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoauthorGraph:
        """Read `to_json`'s form back; nodes without an id and edges to unknown nodes are dropped."""
        nodes = [
            GraphNode(str(n["id"]), str(n.get("name") or "?"), int(n.get("papers") or 0), n.get("group"))
            for n in data.get("nodes") or []
            if n.get("id")
        ]
        ids = {n.id for n in nodes}
        edges = [
            GraphEdge(str(e["a"]), str(e["b"]), int(e.get("papers") or 0))
            for e in data.get("edges") or []
            if e.get("a") in ids and e.get("b") in ids and e["a"] != e["b"]
        ]
        return cls(tuple(nodes), tuple(edges))


def coauthor_graph(
    person: PersonEntry,
    coauthors: Sequence[tuple[str, int]],
    entries: Mapping[str, PersonEntry],
    limit: int = NETWORK_COAUTHORS,
    paper_count: int | None = None,
) -> CoauthorGraph:
    """The network of `person` and their first `limit` coauthors (`Researcher.coauthors` order: most
    shared papers first), linking two coauthors by the papers that list both, and grouping coauthors
    who publish together by greedy modularity over those links (weighted by shared papers)."""
    top = [(entries[rid], n) for rid, n in coauthors if rid in entries and rid != person.id][: max(0, limit)]
    papers = {e.id: set(e.paper_ids) for e, _ in top}
    edges = [GraphEdge(person.id, e.id, n) for e, n in top]
    among = [
        GraphEdge(a.id, b.id, shared)
        for (a, _), (b, _) in combinations(top, 2)
        if (shared := len(papers[a.id] & papers[b.id]))
    ]
    group = _groups([e.id for e, _ in top], among)
    own = len(person.paper_ids) if paper_count is None else paper_count
    nodes = [GraphNode(person.id, person.name, own)]
    nodes += [GraphNode(e.id, e.name, n, group[e.id]) for e, n in top]
    return CoauthorGraph(tuple(nodes), tuple(edges + among))


def _groups(ids: list[str], edges: list[GraphEdge]) -> dict[str, int]:
    """Group index per id: groups ordered largest first, then by their best-ranked member."""
    if not ids:
        return {}
    g = nx.Graph()
    g.add_nodes_from(ids)  # in rank order, so ties break the same way every time
    g.add_weighted_edges_from((e.a, e.b, e.papers) for e in edges)
    rank = {rid: i for i, rid in enumerate(ids)}
    communities = greedy_modularity_communities(g, weight="weight")
    ordered = sorted(communities, key=lambda c: (-len(c), min(rank[m] for m in c)))
    return {m: i for i, c in enumerate(ordered) for m in c}
