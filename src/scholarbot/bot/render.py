"""Turn answers and researcher profiles into Discord messages, embeds, images and select options.

Pure functions, no network and no bot: every Discord size limit is enforced here, not by the caller.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import discord
import networkx as nx
from PIL import Image, ImageDraw, ImageFont
from unidecode import unidecode

from scholarbot.answers.network import NETWORK_COAUTHORS, CoauthorGraph, GraphEdge, GraphNode
from scholarbot.answers.types import Answer, Source, format_authors, venue_year

# SEE: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
#: Messages one answer may take in a channel; composed answers need one, this only guards floods.
MAX_PARTS = 4
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
EMBEDS_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
# SEE: https://discord.com/developers/docs/interactions/message-components#select-menu-object-select-option-structure
SELECT_OPTIONS_LIMIT = 25
OPTION_LABEL_LIMIT = 100
OPTION_VALUE_LIMIT = 100
OPTION_DESCRIPTION_LIMIT = 100
#: Description chunk size: two chunks and a question title fill one message (2 * 2900 + 200 = 6000).
CHUNK = 2900
QUESTION_TITLE = 200
#: Longer URLs are left unlinked; they would eat the per-message budget.
MAX_LINK_URL = 512
#: Card budget: 256 title + 2 * 200 description + 6 * (40 name + 800 value) + 100 footer = 5796 < 6000.
CARD_FIELD = 800
IMAGE_SIZE = 1000
FONT_SIZE = 28
COLOUR = discord.Colour.blurple()
LEGEND_FONT_SIZE = 22
#: Room on the right of a coauthor's box for the number of papers with the person.
BADGE = 40
#: Pixels under the network kept for its legend.
LEGEND_HEIGHT = 80
#: The network layout's seed: the same graph is drawn the same way every time.
LAYOUT_SEED = 7
#: How far coauthors' angles around the person are evened out (0: as laid out, 1: evenly spaced).
SPREAD = 0.7
_CENTRE = (47, 62, 140)
#: Per group of coauthors: a light box fill (dark text stays readable on it) and a strong link colour.
GROUP_COLOURS: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((255, 214, 165), (230, 126, 34)),
    ((178, 223, 219), (0, 137, 123)),
    ((248, 187, 208), (216, 27, 96)),
    ((200, 230, 201), (67, 160, 71)),
    ((209, 196, 233), (126, 87, 194)),
    ((179, 229, 252), (3, 155, 229)),
    ((255, 245, 157), (190, 150, 20)),
    ((215, 204, 200), (121, 85, 72)),
)
#: Boxes of coauthors in no group (they publish with none of the others shown).
_NO_GROUP = (236, 236, 240)
_TO_PERSON = (200, 206, 226)
_BETWEEN_GROUPS = (165, 165, 175)
_Pt = tuple[float, float]

_LINK = r"\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]\((?:[^()\s]|\([^()\s]*\))*\)"
_URL = r"<?https?://[^\s<>]+>?"
_CITE = r"(?:\[\d+(?:\s*[,;–-]\s*\d+)*\])+"
# Order matters: at a "[" the whole markdown link wins over the citation inside it.
_PROTECTED = re.compile(f"{_LINK}|{_URL}|{_CITE}")
# Zero-width break points, best first: paragraph, sentence, line/list item or semicolon, any whitespace.
_BREAKS = (
    re.compile(r"(?<=\S)(?=[ \t]*\n[ \t]*\n)"),
    re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"')”’]))(?=\s)"),
    re.compile(r"(?<=\S)(?=[ \t]*\n)|(?<=;)(?=\s)"),
    re.compile(r"(?<=\S)(?=\s)"),
)
_MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)


@dataclass
class RenderedMessage:
    """One Discord message: send as `channel.send(content=..., embeds=..., files=...)`."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters: at paragraphs, else sentences, else list
    items or semicolons, else whitespace; never inside a markdown link, bare URL or citation like [12]
    unless one alone is longer than `limit`. Whitespace at cut points is dropped; nothing else is."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit!r}")
    inside = bytearray(len(text) + 1)  # inside[b]: a cut at b would fall inside a protected span
    for m in _PROTECTED.finditer(text):
        inside[m.start() + 1 : m.end()] = b"\x01" * (m.end() - m.start() - 1)
    chunks: list[str] = []
    pos = 0
    while len(text) - pos > limit:
        cut = _cut(text, pos, limit, inside)
        if chunk := text[pos:cut].rstrip():
            chunks.append(chunk)
        pos = len(text) - len(text[cut:].lstrip())
    if text[pos:].strip():
        chunks.append(text[pos:])
    return chunks


def _cut(text: str, pos: int, limit: int, inside: bytearray) -> int:
    last = pos + limit
    # First look for a break in the window's second half, so a paragraph end near the start
    # does not leave a tiny chunk; only then accept any break at all.
    for floor in (pos + limit // 2, pos + 1):
        for pattern in _BREAKS:
            breaks = [m.start() for m in pattern.finditer(text, pos, min(len(text), last + 1))]
            if found := [b for b in breaks if floor <= b <= last and not inside[b]]:
                return found[-1]
    cut = last
    while cut > pos and inside[cut]:
        cut -= 1  # a link straddles the limit: cut just before it
    return cut if cut > pos else last  # one unbreakable token longer than limit: hard cut, last resort


def escape(text: str) -> str:
    """Escape Discord markdown and neutralise mentions in text that comes from paper data."""
    return _plain(discord.utils.escape_markdown(text))


def _plain(text: str) -> str:
    """Neutralise mentions only, for places that show markdown literally (footers, select options)."""
    # escape_mentions only knows 17-20 digit ids; "<@123>" and "<@&456>" need the broader pattern.
    return _MENTION.sub("@\u200b", discord.utils.escape_mentions(text))


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]  # a dangling backslash would escape the ellipsis
    return cut + "…"


def _link_url(url: str | None) -> str | None:
    if not url or not url.startswith(("https://", "http://")) or len(url) > MAX_LINK_URL:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")  # spaces and parentheses would end a masked link early


def _lines_value(lines: Sequence[str], total: int, limit: int) -> str:
    """Join whole lines up to `limit`, ending with '… and N more' when some are left out."""
    out: list[str] = []
    for line in lines:
        # 20 characters stay free for the "… and N more" line.
        if len("\n".join([*out, line])) > limit - 20:
            break
        out.append(line)
    if not out:
        out.append(_clip(lines[0], limit - 20))
    return "\n".join(out + ([f"… and {total - len(out)} more"] if total > len(out) else []))


def answer_messages(answer: Answer) -> list[RenderedMessage]:
    """Render an answer as embeds (text, then numbered sources, notes in the last footer) in messages."""
    embeds: list[discord.Embed] = []
    for i, chunk in enumerate(split_text(_answer_text(answer), CHUNK)):
        embed = discord.Embed(description=chunk, colour=COLOUR)
        if i == 0 and answer.question.strip():
            embed.title = _clip(escape(" ".join(answer.question.split())), QUESTION_TITLE)
        embeds.append(embed)
    # A source line is at most ~1,650 characters (escaped 250-char title, 512-char url, 300-char tail).
    lines = [_source_line(s) for s in answer.sources]
    for i, group in enumerate(_groups([len(line) + 1 for line in lines], CHUNK + 1, len(lines))):
        chunk = "\n".join(lines[j] for j in group)
        embeds.append(discord.Embed(title="Sources" if i == 0 else "Sources (continued)", description=chunk))
    if not embeds:
        embeds.append(discord.Embed(description="No answer.", colour=COLOUR))
    if answer.notes:
        embeds[-1].set_footer(text=_clip(_plain(" · ".join(answer.notes)), FOOTER_LIMIT))
    groups = _groups([len(e) for e in embeds], EMBEDS_TOTAL_LIMIT, EMBEDS_PER_MESSAGE)
    return [RenderedMessage(None, [embeds[i] for i in group]) for group in groups]


def _answer_text(answer: Answer) -> str:
    """Escape the answer, then turn [n] into [[n]](url) where source n has a usable url."""
    urls = {s.n: _link_url(s.url) for s in answer.sources}

    def link(m: re.Match[str]) -> str:
        url = urls.get(int(m.group(1)))
        return f"[[{m.group(1)}]]({url})" if url else f"[{m.group(1)}]"

    # escape_markdown escapes a citation's "[" when a masked link follows on its line; undo that too.
    return re.sub(r"\\?\[(\d+)\]", link, escape(answer.text))


def _source_line(s: Source) -> str:
    """'**[1]** [Title](url) — Authors, Venue Year', with paper data escaped."""
    # Brackets in a title would close the link label early.
    title = escape(_clip(s.title, 250).replace("[", "(").replace("]", ")"))
    url = _link_url(s.url)
    head = f"[{title}]({url})" if url else title
    tail = escape(_clip(f"{format_authors(s, limit=3)}, {venue_year(s)}", 300))
    return f"**[{s.n}]** {head} — {tail}"


def _groups(sizes: list[int], limit: int, most: int) -> list[list[int]]:
    """Group consecutive items (by index) so that each group holds at most `most` and sums to `limit`."""
    groups: list[list[int]] = []
    total = 0
    for i, n in enumerate(sizes):
        if not groups or len(groups[-1]) == most or total + n > limit:
            groups.append([])
            total = 0
        groups[-1].append(i)
        total += n
    return groups


def researcher_card(profile: dict[str, Any]) -> discord.Embed:
    """Render a `compose.profile_json` profile (plus optional "namesakes") as one embed."""
    embed = discord.Embed(title=_clip(escape(str(profile.get("name") or "Unknown")), 256), colour=COLOUR)
    about = {"Topics": profile.get("topics"), "Also listed as": profile.get("aliases")}
    lines = [f"**{k}:** " + _clip(escape(", ".join(map(str, v))), 180) for k, v in about.items() if v]
    embed.description = "\n".join(lines) or None
    papers, namesakes = profile.get("papers") or [], profile.get("namesakes") or []
    collabs = sorted(profile.get("collaborators") or [], key=_count, reverse=True)
    top = [escape(f"{_clip(str(c.get('name')), 80)} ({_count(c)})") for c in collabs[:8]]
    fields = [  # name, lines shown, how many there are, inline
        ("Affiliations", [escape(_clip(str(a), 200)) for a in profile.get("affiliations") or []], 0, True),
        ("Metrics", _metric_lines(profile), 0, True),
        ("Top papers", [_paper_line(p) for p in papers[:5]], len(papers), False),
        ("Top collaborators (shared papers)", top, len(collabs), False),
        ("Sources", [escape(_clip(str(x), 200)) for x in profile.get("sources") or []], 0, False),
        ("Others with this name", [_namesake_line(n) for n in namesakes[:5]], len(namesakes), False),
    ]
    for name, lines, total, inline in fields:
        if lines:
            embed.add_field(
                name=name, value=_lines_value(lines, total or len(lines), CARD_FIELD), inline=inline
            )
    if profile.get("id"):
        embed.set_footer(text=_clip(_plain(f"Researcher id: {profile['id']}"), 100))
    return embed


def _count(c: dict[str, Any]) -> int:
    return int(c.get("count") or 0)


def _metric_lines(profile: dict[str, Any]) -> list[str]:
    """'h-index: 12' per metric as the sources give it, plus the paper count in the records."""
    items = {str(k).replace("_in_store", "_in_records"): v for k, v in (profile.get("metrics") or {}).items()}
    if profile.get("paper_count") is not None:
        items.setdefault("papers_in_records", profile["paper_count"])
    # "h_index" -> "h-index"; ints get separators (12,345), floats and text are shown as given.
    name = {k: k.replace("_index", "-index").replace("_", " ") for k in items}
    return [escape(f"{name[k]}: {f'{v:,}' if type(v) is int else v}") for k, v in items.items()]


def _paper_line(p: dict[str, Any]) -> str:
    venue, year = str(p.get("venue") or ""), str(p.get("year") or "")
    where = venue if year and year in venue else f"{venue} {year}".strip()  # "ACL 2023" holds its year
    return escape(f"• {_clip(str(p.get('title') or 'untitled'), 180)}" + (f" ({where})" if where else ""))


def _namesake_line(n: dict[str, Any]) -> str:
    bits = [_clip(str(n["affiliation"]), 120)] * bool(n.get("affiliation"))
    bits += [f"{n['paper_count']} paper(s)"] * (n.get("paper_count") is not None)
    return escape(_clip(str(n.get("name") or "?"), 80) + (f" — {', '.join(bits)}" if bits else ""))


def candidate_options(people: list[dict[str, Any]]) -> list[discord.SelectOption]:
    """Select options for an ambiguous name; each value is the researcher id (or '#<index>' if too long)."""
    options: dict[str, discord.SelectOption] = {}  # keyed by value: Discord rejects repeated values
    for i, person in enumerate(people):
        pid = str(person.get("id") or "")
        value = pid if pid and len(pid) <= OPTION_VALUE_LIMIT else f"#{i}"
        affiliation = person.get("affiliation") or next(iter(person.get("affiliations") or []), None)
        count = person.get("paper_count", len(person.get("papers") or []) if "papers" in person else None)
        bits = [str(affiliation)] * bool(affiliation) + [f"{count} paper(s)"] * (count is not None)
        label = _clip(_plain(str(person.get("name") or "Unknown")), OPTION_LABEL_LIMIT)
        description = _clip(_plain(" · ".join(bits)), OPTION_DESCRIPTION_LIMIT) if bits else None
        options.setdefault(value, discord.SelectOption(label=label, value=value, description=description))
    return list(options.values())[:SELECT_OPTIONS_LIMIT]


_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def coauthor_network_png(
    network: CoauthorGraph | dict[str, Any], max_nodes: int = 1 + NETWORK_COAUTHORS
) -> bytes:
    """Draw a coauthor network (a `CoauthorGraph`, or a profile holding one under "network"); PNG bytes.

    The person sits in the centre; each coauthor's box is coloured by their group and shows the papers
    they share with the person; lines join people who share papers, wider for more. networkx lays it
    out with a fixed seed, so the same graph gives the same bytes.
    """
    graph = _network_of(network, max_nodes)
    font = ImageFont.load_default(size=FONT_SIZE)
    small = ImageFont.load_default(size=LEGEND_FONT_SIZE)
    tiny = ImageFont.load_default(size=LEGEND_FONT_SIZE - 6)  # three digits in a badge
    img = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), "white")
    draw = ImageDraw.Draw(img)
    person = graph.person
    texts = {n.id: "\n".join(_wrap_name(n.name, font, 276 if n is person else 206)) for n in graph.nodes}
    sizes = {n.id: _box_size(draw, texts[n.id], font, badge=n is not person) for n in graph.nodes}
    spots = _layout(graph, sizes)
    palette = _group_colours(graph)
    # Wide enough to see one paper, not so wide that a long-time pair hides the rest.
    most = max(4, *(e.papers for e in graph.edges)) if graph.edges else 4
    # Links to the person first and faint, then the links among coauthors over them.
    for e in sorted(graph.edges, key=lambda e: (person.id not in (e.a, e.b), e.papers)):
        ink = _TO_PERSON if person.id in (e.a, e.b) else _BETWEEN_GROUPS
        if person.id not in (e.a, e.b) and palette.get(e.a) and palette.get(e.a) == palette.get(e.b):
            ink = GROUP_COLOURS[palette[e.a] - 1][1]
        draw.line([spots[e.a], spots[e.b]], fill=ink, width=2 + round(12 * min(e.papers, most) / most))
    _box(draw, spots[person.id], texts[person.id], font, _CENTRE, "white")
    for n in graph.coauthors:
        fill = GROUP_COLOURS[palette[n.id] - 1][0] if palette[n.id] else _NO_GROUP
        _box(
            draw,
            spots[n.id],
            texts[n.id],
            font,
            fill,
            (20, 20, 40),
            badge=(str(n.papers), small if n.papers < 100 else tiny),
        )
    legend = (
        [
            "colour = group of coauthors who publish together (grey: none); line width = shared papers",
            f"number = papers with {unidecode(person.name)}",
        ]
        if graph.coauthors
        else ["No coauthors in the records"]
    )
    for i, line in enumerate(legend):
        at = (IMAGE_SIZE // 2, IMAGE_SIZE - LEGEND_HEIGHT + 20 + i * (LEGEND_FONT_SIZE + 8))
        draw.text(at, _fit(line, small, IMAGE_SIZE - 40), font=small, fill=(90, 90, 90), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _group_colours(graph: CoauthorGraph) -> dict[str, int]:
    """Coauthor id -> 1 + palette index for members of a group of two or more; 0 for the rest."""
    size = Counter(n.group for n in graph.coauthors)
    colours: dict[int, int] = {}
    for n in graph.coauthors:  # palette order follows the nodes' order: the top coauthor's group first
        if n.group is not None and size[n.group] > 1 and n.group not in colours:
            colours[n.group] = len(colours) % len(GROUP_COLOURS) + 1
    return {n.id: colours.get(n.group, 0) if n.group is not None else 0 for n in graph.coauthors}


def network_file(network: CoauthorGraph | dict[str, Any]) -> discord.File:
    """The coauthor network as an attachment named coauthors.png (a File can be sent only once)."""
    return discord.File(io.BytesIO(coauthor_network_png(network)), filename="coauthors.png")


def _network_of(network: CoauthorGraph | dict[str, Any], max_nodes: int) -> CoauthorGraph:
    """The graph to draw, cut to `max_nodes` people; a profile without one: a star of its collaborators."""
    if isinstance(network, CoauthorGraph):
        graph = network
    elif network.get("network"):
        graph = CoauthorGraph.from_json(network["network"])
    else:  # a profile made before networks (or by hand): the person and their coauthors, no links known
        person = GraphNode(str(network.get("id") or "_person"), str(network.get("name") or "?"), 0)
        people = sorted(
            (c for c in network.get("collaborators") or [] if c.get("name")), key=_count, reverse=True
        )
        star = [
            GraphNode(str(c.get("id") or f"_c{i}"), str(c["name"]), _count(c), i)
            for i, c in enumerate(people)
        ]
        graph = CoauthorGraph((person, *star), tuple(GraphEdge(person.id, n.id, n.papers) for n in star))
    if not graph.nodes:
        graph = CoauthorGraph((GraphNode("_person", "?", 0),))
    nodes = graph.nodes[: max(1, max_nodes)]
    kept = {n.id for n in nodes}
    return CoauthorGraph(nodes, tuple(e for e in graph.edges if e.a in kept and e.b in kept))


def _layout(graph: CoauthorGraph, sizes: dict[str, _Pt]) -> dict[str, _Pt]:
    """Pixel centres: networkx's seeded spring layout with the person pinned at the centre, stretched so
    every box clears the centre and fits the picture, then boxes nudged apart where they overlap."""
    cx, cy = IMAGE_SIZE / 2, (IMAGE_SIZE - LEGEND_HEIGHT) / 2
    person = graph.person.id
    spots: dict[str, _Pt] = {person: (cx, cy)}
    if not graph.coauthors:
        return spots
    g = nx.Graph()
    g.add_nodes_from(n.id for n in graph.nodes)
    group = {n.id: n.group for n in graph.coauthors}
    for e in graph.edges:
        # Links to the person keep everyone around the centre; links within a group pull it together.
        pull = 1.0 if person in (e.a, e.b) else (1.0 if group[e.a] == group[e.b] else 0.2)
        g.add_edge(e.a, e.b, weight=pull * math.log1p(e.papers))
    pos = nx.spring_layout(
        g, k=1.0, pos={person: (0.0, 0.0)}, fixed=[person], weight="weight", iterations=200, seed=LAYOUT_SEED
    )
    # The layout keeps a group together but may leave the person at its edge, every name on one side:
    # keep its order around the person and its distances, and even out the angles between neighbours.
    ids = [n.id for n in graph.coauthors]
    angle = {i: math.atan2(pos[i][1], pos[i][0]) for i in ids}
    ring = sorted(ids, key=angle.__getitem__)  # stable: equal angles keep the coauthors' order
    step = 2 * math.pi / len(ring)
    turn = math.atan2(
        sum(math.sin(angle[i] - k * step) for k, i in enumerate(ring)),
        sum(math.cos(angle[i] - k * step) for k, i in enumerate(ring)),
    )
    far = max(math.hypot(*pos[i]) for i in ids) or 1.0
    rx, ry = cx - 130, cy - 60  # the outer ellipse, leaving room for the widest box
    for k, i in enumerate(ring):
        t = SPREAD * (turn + k * step) + (1 - SPREAD) * _near(angle[i], turn + k * step)
        r = 0.5 + 0.5 * math.hypot(*pos[i]) / far  # no closer than half way out: the person's box is there
        spots[i] = (cx + rx * r * math.cos(t), cy + ry * r * math.sin(t))
    return _spread(spots, sizes, person)


def _near(a: float, b: float) -> float:
    """Angle `a` moved by whole turns to lie within half a turn of `b`."""
    return b + (a - b + math.pi) % (2 * math.pi) - math.pi


def _spread(spots: dict[str, _Pt], sizes: dict[str, _Pt], fixed: str, rounds: int = 200) -> dict[str, _Pt]:
    """Push overlapping boxes apart (the `fixed` one stays), keeping every box inside the picture."""
    pad = 14
    at = {k: list(v) for k, v in spots.items()}
    ids = list(at)
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                dx, dy = at[b][0] - at[a][0], at[b][1] - at[a][1]
                ox = (sizes[a][0] + sizes[b][0]) / 2 + pad - abs(dx)
                oy = (sizes[a][1] + sizes[b][1]) / 2 + pad - abs(dy)
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                # Move along the axis that needs less, each box half the way (all of it when one is fixed).
                axis, need = (
                    (0, ox)
                    if ox / (sizes[a][0] + sizes[b][0]) < oy / (sizes[a][1] + sizes[b][1])
                    else (1, oy)
                )
                sign = 1.0 if (dx, dy)[axis] >= 0 else -1.0
                share_a = 0.0 if a == fixed else (1.0 if b == fixed else 0.5)
                at[a][axis] -= sign * need * share_a
                at[b][axis] += sign * need * (1.0 - share_a)
        for k, (w, h) in sizes.items():
            at[k][0] = min(max(at[k][0], w / 2 + 4), IMAGE_SIZE - w / 2 - 4)
            at[k][1] = min(max(at[k][1], h / 2 + 24), IMAGE_SIZE - LEGEND_HEIGHT - h / 2)
        if not moved:
            break
    return {k: (v[0], v[1]) for k, v in at.items()}


def _fit(text: str, font: _Font, width: int) -> str:
    """Text cut with an ellipsis to fit `width` pixels."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _box_size(draw: ImageDraw.ImageDraw, text: str, font: _Font, badge: bool = False) -> _Pt:
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=4, align="center")
    return right - left + 24 + BADGE * badge, bottom - top + 18


def _box(
    draw: ImageDraw.ImageDraw,
    at: _Pt,
    text: str,
    font: _Font,
    fill: Any,
    ink: Any,
    badge: tuple[str, _Font] | None = None,
) -> None:
    """A rounded box centred at `at` holding the (wrapped) text, and a number in a circle at its right."""
    left, top, _, _ = draw.multiline_textbbox((0, 0), text, font=font, spacing=4, align="center")
    w, h = _box_size(draw, text, font, badge is not None)
    x, y = at[0] - w / 2, at[1] - h / 2
    draw.rounded_rectangle([x, y, x + w, y + h], radius=16, fill=fill, outline=(60, 70, 120), width=2)
    draw.multiline_text((x + 12 - left, y + 9 - top), text, font=font, fill=ink, spacing=4, align="center")
    if badge is not None:
        bx, by, r = x + w - BADGE / 2 - 4, at[1], BADGE / 2 - 3
        draw.ellipse((bx - r, by - r, bx + r, by + r), fill="#ffd666", outline=(60, 70, 120), width=2)
        draw.text((bx, by), badge[0], font=badge[1], fill=(20, 20, 40), anchor="mm")


def _wrap_name(name: str, font: _Font, width: int, max_lines: int = 2) -> list[str]:
    """Wrap a name in at most two lines: whole, with initials for given names, broken at hyphens, cut."""
    # The built-in font has ASCII glyphs only: "Łukasz" would draw "□ukasz", so fold to "Lukasz".
    words = unidecode(name).split() or ["?"]
    short = [w[0] + "." for w in words[:-1]] + words[-1:]
    for attempt in (words, short, re.findall(r"[^\s-]+-*", " ".join(short))):
        lines: list[str] = []
        for word in attempt:
            joined = lines[-1] + ("" if lines[-1].endswith("-") else " ") + word if lines else word
            if lines and font.getlength(joined) <= width:
                lines[-1] = joined
            else:
                lines.append(word)
        if len(lines) <= max_lines and all(font.getlength(line) <= width for line in lines):
            return lines
    out = lines[:max_lines]
    for i, line in enumerate(out):
        if font.getlength(line) > width or (len(lines) > max_lines and i == max_lines - 1):
            while line and font.getlength(line + "…") > width:
                line = line[:-1]
            out[i] = line.rstrip() + "…"
    return out
