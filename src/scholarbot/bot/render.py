"""Turn answers and researcher profiles into Discord messages, embeds, images and select options.

Pure functions, no network and no bot: every Discord size limit is enforced here, not by the caller.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import discord
from PIL import Image, ImageDraw, ImageFont
from unidecode import unidecode

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
_CENTRE = (47, 62, 140)
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


def coauthor_network_png(profile: dict[str, Any], max_nodes: int = 12) -> bytes:
    """Draw the person in the centre and up to `max_nodes - 1` top collaborators around; PNG bytes."""
    font = ImageFont.load_default(size=FONT_SIZE)
    img = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), "white")
    draw = ImageDraw.Draw(img)
    people = sorted(
        (c for c in profile.get("collaborators") or [] if c.get("name")), key=_count, reverse=True
    )
    people = people[: max(0, max_nodes - 1)]
    most = max(map(_count, people), default=1) or 1
    cx, cy = IMAGE_SIZE // 2, IMAGE_SIZE // 2 - 20
    spots = []
    for i, c in enumerate(people):
        # Alternate two rings when crowded so neighbouring labels do not overlap; with an odd count the
        # two outer neighbours meet at the right-hand side, where the ring leaves them most room.
        angle, ring = 2 * math.pi * i / len(people), 0.85 if len(people) > 8 and i % 2 else 1.0
        spots.append((cx + 370 * ring * math.cos(angle), cy + 400 * ring * math.sin(angle)))
        draw.line([(cx, cy), spots[-1]], fill=(120, 140, 200), width=2 + round(16 * _count(c) / most))
    _pill(draw, (cx, cy), str(profile.get("name") or "?"), font, 300, _CENTRE)
    for (x, y), c in zip(spots, people, strict=True):
        w, h = _pill(draw, (x, y), str(c["name"]), font, 230, (232, 236, 250))
        # The count sits on the edge 28 px outside the box, towards the centre.
        dx, dy = cx - x, cy - y
        t = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf)
        bx, by = x + dx * (t + 28 / math.hypot(dx, dy)), y + dy * (t + 28 / math.hypot(dx, dy))
        draw.ellipse((bx - 24, by - 24, bx + 24, by + 24), fill="#ffd666", outline="#3c4678", width=2)
        draw.text((bx, by), str(_count(c)), font=font, fill=(20, 20, 40), anchor="mm")
    caption = "Line width and number: papers together" if people else "No coauthors in the records"
    draw.text((IMAGE_SIZE // 2, IMAGE_SIZE - 30), caption, font=font, fill=(90, 90, 90), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def network_file(profile: dict[str, Any]) -> discord.File:
    """The coauthor network as an attachment named coauthors.png (a File can be sent only once)."""
    return discord.File(io.BytesIO(coauthor_network_png(profile)), filename="coauthors.png")


def _pill(draw: ImageDraw.ImageDraw, at: _Pt, name: str, font: _Font, width: int, fill: Any) -> _Pt:
    """Draw a rounded box holding the name wrapped to `width`; return the box's size."""
    text = "\n".join(_wrap_name(name, font, width - 24))
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=4, align="center")
    w, h = right - left + 24, bottom - top + 18
    x, y = at[0] - w / 2, at[1] - h / 2
    draw.rounded_rectangle([x, y, x + w, y + h], radius=16, fill=fill, outline=(60, 70, 120), width=2)
    ink = "white" if fill == _CENTRE else (20, 20, 40)
    draw.multiline_text((x + 12 - left, y + 9 - top), text, font=font, fill=ink, spacing=4, align="center")
    return w, h


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
