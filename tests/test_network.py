"""The coauthor network of /profile: links among coauthors, groups, and its picture."""

from __future__ import annotations

import io
import itertools

import networkx as nx
import pytest
from PIL import Image

from scholarbot.answers import Answerer
from scholarbot.answers.network import CoauthorGraph, GraphEdge, GraphNode, coauthor_graph
from scholarbot.bot import render
from scholarbot.bot.render import coauthor_network_png, network_file
from scholarbot.ingest.people import resolve_people
from scholarbot.records import Author, Paper, Researcher, paper_id_for
from scholarbot.search.directory import entry_of
from scholarbot.services import Services


def _paper(title: str, *names: str) -> Paper:
    # OpenReview ids: each name is one person on every paper, whoever else is on it.
    authors = tuple(Author(n, "~" + n.replace(" ", "_") + "1") for n in names)
    return Paper(id=paper_id_for(title), title=title, authors=authors)


#: Ana Ruiz's papers: Ben and Cai publish together (also once without her), so do Dee and Eli;
#: Ben and Dee share one paper; Fay shares one paper with Ana only.
PAPERS = [
    _paper("One", "Ana Ruiz", "Ben Okafor", "Cai Lindqvist"),
    _paper("Two", "Ana Ruiz", "Ben Okafor", "Cai Lindqvist"),
    _paper("Three", "Ben Okafor", "Cai Lindqvist"),
    _paper("Four", "Ana Ruiz", "Dee Marchetti", "Eli Novak"),
    _paper("Five", "Ana Ruiz", "Dee Marchetti", "Eli Novak"),
    _paper("Six", "Ana Ruiz", "Fay Tanaka"),
    _paper("Seven", "Ana Ruiz", "Ben Okafor", "Dee Marchetti"),
]


def _network(papers: list[Paper], name: str = "Ana Ruiz", limit: int = 12) -> CoauthorGraph:
    people = resolve_people(papers)
    person = next(r for r in people if r.name == name)
    entries = {r.id: entry_of(r) for r in people}
    return coauthor_graph(entries[person.id], person.coauthors, entries, limit=limit)


def _names(graph: CoauthorGraph) -> dict[str, str]:
    return {n.id: n.name for n in graph.nodes}


def _links(graph: CoauthorGraph) -> dict[frozenset[str], int]:
    name = _names(graph)
    return {frozenset((name[e.a], name[e.b])): e.papers for e in graph.links_among_coauthors}


def test_coauthors_who_share_papers_are_linked_by_how_many() -> None:
    graph = _network(PAPERS)
    assert graph.person.name == "Ana Ruiz" and graph.person.papers == 6
    shared = {n.name: n.papers for n in graph.coauthors}
    assert shared == {
        "Ben Okafor": 3,
        "Dee Marchetti": 3,
        "Cai Lindqvist": 2,
        "Eli Novak": 2,
        "Fay Tanaka": 1,
    }
    assert [n.papers for n in graph.coauthors] == sorted(shared.values(), reverse=True)
    # "Three" has no Ana on it and still counts: the link is the pair's papers in the records.
    assert _links(graph) == {
        frozenset({"Ben Okafor", "Cai Lindqvist"}): 3,
        frozenset({"Dee Marchetti", "Eli Novak"}): 2,
        frozenset({"Ben Okafor", "Dee Marchetti"}): 1,
    }
    spokes = {_names(graph)[e.b]: e.papers for e in graph.edges if e.a == graph.person.id}
    assert spokes == shared


def test_groups_partition_the_coauthors_into_those_who_publish_together() -> None:
    graph = _network(PAPERS)
    name = _names(graph)
    groups = [{name[i] for i in g} for g in graph.groups]
    assert sorted(map(sorted, groups)) == [
        ["Ben Okafor", "Cai Lindqvist"],
        ["Dee Marchetti", "Eli Novak"],
        ["Fay Tanaka"],
    ]
    ids = [i for g in graph.groups for i in g]
    assert sorted(ids) == sorted(n.id for n in graph.coauthors)  # every coauthor in exactly one group
    assert graph.person.group is None
    assert len(graph.groups[-1]) == 1  # largest first: the group of one comes last


def test_the_limit_keeps_the_coauthors_with_most_shared_papers() -> None:
    graph = _network(PAPERS, limit=2)
    assert {n.name for n in graph.coauthors} == {"Ben Okafor", "Dee Marchetti"}
    assert _links(graph) == {frozenset({"Ben Okafor", "Dee Marchetti"}): 1}


def test_no_coauthor_one_coauthor_and_coauthors_who_never_meet() -> None:
    alone = _network([_paper("Solo", "Ana Ruiz")])
    assert alone.coauthors == () and alone.edges == () and alone.groups == ()
    one = _network([_paper("Duo", "Ana Ruiz", "Ben Okafor")])
    assert [n.name for n in one.coauthors] == ["Ben Okafor"] and one.links_among_coauthors == ()
    apart = _network(
        [_paper(f"P{i}", "Ana Ruiz", who) for i, who in enumerate(["Ben Okafor", "Cai Li", "Dee Ma"])]
    )
    assert apart.links_among_coauthors == () and len(apart.groups) == 3
    assert {len(g) for g in apart.groups} == {1}


def test_json_round_trip() -> None:
    graph = _network(PAPERS)
    assert CoauthorGraph.from_json(graph.to_json()) == graph


# --- the picture ---------------------------------------------------------------------------------


def _pixels(data: bytes, colour: tuple[int, int, int]) -> int:
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (render.IMAGE_SIZE, render.IMAGE_SIZE)
        return dict((c, n) for n, c in img.convert("RGB").getcolors(1 << 20) or []).get(colour, 0)


def test_picture_is_deterministic_and_the_same_from_the_graph_or_its_json() -> None:
    graph = _network(PAPERS)
    data = coauthor_network_png(graph)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert coauthor_network_png(graph) == data
    assert coauthor_network_png({"name": "Ana Ruiz", "network": graph.to_json()}) == data
    assert network_file(graph).fp.read() == data


def test_picture_draws_the_links_among_coauthors_in_their_groups_colour() -> None:
    graph = _network(PAPERS)
    first, second = render.GROUP_COLOURS[0][1], render.GROUP_COLOURS[1][1]  # the two groups' links
    data = coauthor_network_png(graph)
    assert _pixels(data, first) > 100 and _pixels(data, second) > 100
    # The same people and groups without links among the coauthors: no group-coloured line at all.
    star = CoauthorGraph(graph.nodes, tuple(e for e in graph.edges if e.a == graph.person.id))
    unlinked = coauthor_network_png(star)
    assert unlinked != data
    assert _pixels(unlinked, first) == 0 and _pixels(unlinked, second) == 0


@pytest.mark.parametrize("coauthors", [0, 1, 12])
def test_picture_of_small_and_unlinked_networks(coauthors: int) -> None:
    person = GraphNode("p", "Łukasz Kaiser", 20)
    nodes = [GraphNode(f"c{i}", f"Coauthor {i}", 1 + i % 4, i) for i in range(coauthors)]
    graph = CoauthorGraph((person, *nodes), tuple(GraphEdge("p", n.id, n.papers) for n in nodes))
    data = coauthor_network_png(graph)
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    # No groups of two or more: every coauthor's box is the no-group grey.
    assert (_pixels(data, render._NO_GROUP) > 0) == (coauthors > 0)
    assert all(_pixels(data, c[0]) == 0 for c in render.GROUP_COLOURS)


# --- from the records ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answerer(sample_services: Services) -> Answerer:
    return Answerer(sample_services)


def test_profile_carries_the_network_of_the_records(answerer: Answerer) -> None:
    answer = answerer.profile("Hanlin Gu")
    graph = answer.network
    assert graph is not None and answer.profile is not None
    assert answer.profile["network"] == graph.to_json()
    assert graph.person.id == answer.profile["id"] and 1 < len(graph.coauthors) <= 12
    # The spokes are the card's collaborator counts, most first.
    counts = {c["id"]: c["count"] for c in answer.profile["collaborators"]}
    assert all(counts[n.id] == n.papers for n in graph.coauthors if n.id in counts)
    # Each link among coauthors is what the coauthors' own records say they share, and none is missed.
    ids = [n.id for n in graph.coauthors]
    records: dict[str, Researcher] = answerer.people.records(ids)
    expected = {
        frozenset((a, b)): n
        for a, b in itertools.combinations(ids, 2)
        if (n := dict(records[a].coauthors).get(b, 0))
    }
    got = {frozenset((e.a, e.b)): e.papers for e in graph.links_among_coauthors}
    assert got == expected and got
    # Groups partition the coauthors, and each group of two or more is joined by its own links.
    assert sorted(i for g in graph.groups for i in g) == sorted(ids)
    links = nx.Graph(tuple(k) for k in got)
    for group in graph.groups:
        if len(group) > 1:
            assert nx.is_connected(links.subgraph(group))
    assert coauthor_network_png(graph) == coauthor_network_png(answer.profile)
