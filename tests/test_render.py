"""Rendering answers and profiles for Discord: every size limit, escaping, splitting and the network PNG."""

from __future__ import annotations

import io
import random
import re

import discord
import pytest
from PIL import Image

from scholarbot.answers.types import Answer, Source
from scholarbot.bot import render
from scholarbot.bot.render import (
    answer_messages,
    candidate_options,
    coauthor_network_png,
    escape,
    network_file,
    researcher_card,
    split_text,
)

NASTY = "*Deep* _learning_ ~~for~~ |spoil| `code` @everyone @here <@123> <@!123> <@&456> <@12345678901234567>"
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
#: Tokens split_text must keep whole: markdown links (one level of parentheses in the url), bare URLs, [n].
PROTECTED = re.compile(
    r"\[[^\[\]\n]*(?:\[\d+\][^\[\]\n]*)*\]\((?:[^()\s]|\([^()\s]*\))+\)|https?://\S+|\[\d+\]"
)


def _source(n: int, *, url: str | None = "https://example.org/paper") -> Source:
    return Source(
        n=n,
        id=f"p_{n:016x}",
        title=f"{NASTY} title number {n} " + "long " * 40,
        authors=[f"Ada_{i} *Lovelace* @everyone" for i in range(12)],
        year=2024,
        venue="ACL",
        url=f"{url}/{n}" if url else None,
        authors_complete=n % 2 == 0,
    )


def _long_answer(sources: int = 60, words: int = 5000) -> Answer:
    vocab = ["retrieval", "augmented", "generation", NASTY, "models", "federated", "learning;", "privacy."]
    rng = random.Random(7)
    body = []
    for i in range(words):
        body.append(rng.choice(vocab))
        if i % 17 == 16:
            body.append(f"[{rng.randint(1, sources)}].")
        if i % 300 == 299:
            body.append("\n\n")
    return Answer(
        intent="overview",
        question=f"What about {NASTY}? " * 20,
        text=" ".join(body),
        sources=[
            _source(n, url=None if n % 7 == 0 else "https://example.org/paper") for n in range(1, sources + 1)
        ],
        notes=[f"Records incomplete for {NASTY}", "Second note"],
    )


def _embed_strings(embed: discord.Embed) -> list[str]:
    strings = [embed.title or "", embed.description or "", embed.footer.text or "", embed.author.name or ""]
    return strings + [s for f in embed.fields for s in (f.name or "", f.value or "")]


def _assert_embed_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= render.EMBED_TITLE_LIMIT
    assert len(embed.description or "") <= render.EMBED_DESCRIPTION_LIMIT
    assert len(embed.footer.text or "") <= render.FOOTER_LIMIT
    assert len(embed.author.name or "") <= render.AUTHOR_NAME_LIMIT
    assert len(embed.fields) <= render.FIELDS_PER_EMBED
    for f in embed.fields:
        assert 0 < len(f.name or "") <= render.FIELD_NAME_LIMIT
        assert 0 < len(f.value or "") <= render.FIELD_VALUE_LIMIT
    assert len(embed) <= render.EMBEDS_TOTAL_LIMIT


def _assert_neutralised(strings: list[str]) -> None:
    for s in strings:
        assert not LIVE_MENTION.search(s), s


def _assert_markdown_escaped(text: str) -> None:
    """Every markdown character from the data is escaped (ours: '**[n]**' and link brackets)."""
    data = re.sub(r"\*\*\[\d+\]\*\*|https?://\S+?(?=\)|\s|$)", "", text)
    for m in re.finditer(r"[*_~|`]", data):
        assert m.start() > 0 and data[m.start() - 1] == "\\", data[max(0, m.start() - 30) : m.start() + 5]


# --- split_text ----------------------------------------------------------------------------------

SPLIT_CASES = [
    # (text, limit, chunks)
    ("", 10, []),
    ("short", 10, ["short"]),
    ("One two. Three four.", 11, ["One two.", "Three four."]),
    ("Para one here.\n\nPara two here.", 20, ["Para one here.", "Para two here."]),
    ("aaaa [12] bbbb", 7, ["aaaa", "[12]", "bbbb"]),
    ("see [a b](https://x.y/z) now", 20, ["see", "[a b](https://x.y/z)", "now"]),
    ("see [a b](https://x.y/z) now", 24, ["see [a b](https://x.y/z)", "now"]),
    ("go https://x.y/very/long/path ok", 30, ["go https://x.y/very/long/path", "ok"]),
    ("go https://x.y/very/long/path ok", 27, ["go", "https://x.y/very/long/path", "ok"]),
    ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
    ("a; b; c", 4, ["a;", "b; c"]),
    ("a; b; c", 3, ["a;", "b;", "c"]),
]


@pytest.mark.parametrize(("text", "limit", "expected"), SPLIT_CASES)
def test_split_text_table(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, limit) == expected


def test_split_text_prefers_paragraph_then_sentence() -> None:
    text = "First sentence is here. Second one, longer, goes on.\n\nNext paragraph starts here."
    assert split_text(text, 60) == [
        "First sentence is here. Second one, longer, goes on.",
        "Next paragraph starts here.",
    ]
    assert split_text("Alpha beta gamma. Delta epsilon zeta eta theta", 30)[0] == "Alpha beta gamma."


def _random_text(rng: random.Random) -> str:
    pieces = [
        "word",
        "another",
        "x",
        ".",
        ";",
        "\n",
        "\n\n",
        "- item",
        "[12]",
        "[3][4]",
        "[[7]](https://doi.org/10.1/abc_(x))",
        "[a label with spaces](https://example.org/a/b?c=d)",
        "https://arxiv.org/abs/2401.01234v2",
        "verylongunbreakabletoken" * 3,
        "Sentence ends here.",
    ]
    return "".join(rng.choice(pieces) + rng.choice([" ", " ", "", "  "]) for _ in range(rng.randint(0, 80)))


@pytest.mark.parametrize("seed", range(300))
def test_split_text_properties(seed: int) -> None:
    rng = random.Random(seed)
    text, limit = _random_text(rng), rng.randint(8, 120)
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    # Nothing but whitespace at the cut points is lost.
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)
    pos = 0
    for c in chunks:
        pos = text.index(c, pos) + len(c)
    # No protected token that fits within limit is ever cut.
    for m in PROTECTED.finditer(text):
        if len(m.group()) <= limit:
            assert any(m.group() in c for c in chunks), (m.group(), chunks)


def test_split_text_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("abc", 0)


# --- escape --------------------------------------------------------------------------------------


def test_escape_neutralises_markdown_and_mentions() -> None:
    out = escape(NASTY)
    _assert_neutralised([out])
    _assert_markdown_escaped(out)  # vacuous if escape dropped the characters, hence the next line
    assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == NASTY  # escaped, nothing lost
    assert "@\u200beveryone" in out and "<@\u200b&456>" in out


# --- answer_messages -----------------------------------------------------------------------------


def test_long_answer_keeps_every_limit() -> None:
    answer = _long_answer()
    assert len(answer.text) > 30_000
    messages = answer_messages(answer)
    assert len(messages) > 1
    strings = []
    for msg in messages:
        assert msg.content is None or len(msg.content) <= render.CONTENT_LIMIT
        assert 0 < len(msg.embeds) <= render.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in msg.embeds) <= render.EMBEDS_TOTAL_LIMIT
        for e in msg.embeds:
            _assert_embed_limits(e)
            strings += _embed_strings(e)
    _assert_neutralised(strings)
    for s in strings:
        if "Records incomplete" not in s:  # footers show markdown literally, so only mentions are escaped
            _assert_markdown_escaped(s)
    descriptions = [e.description or "" for m in messages for e in m.embeds]
    assert any("[[1]](https://example.org/paper/1)" in d for d in descriptions)
    assert "[[7]](" not in "".join(descriptions)  # source 7 has no url: stays a plain [7]
    source_text = "\n".join(
        d
        for m in messages
        for e in m.embeds
        if (e.title or "").startswith("Sources")
        for d in [e.description or ""]
    )
    assert all(f"**[{n}]**" in source_text for n in range(1, 61))
    assert messages[-1].embeds[-1].footer.text.startswith("Records incomplete")


def test_answer_text_is_kept_whole() -> None:
    answer = _long_answer(sources=5, words=3000)
    descriptions = [
        e.description or ""
        for m in answer_messages(answer)
        for e in m.embeds
        if not e.title or "Sources" not in e.title
    ]
    plain = re.sub(r"\[\[(\d+)\]\]\([^)]*\)", r"[\1]", "".join(descriptions))
    assert re.sub(r"\s", "", plain) == re.sub(r"\s", "", escape(answer.text))


def test_short_and_empty_answers() -> None:
    short = Answer(intent="find", question="q", text="Yes [1].", sources=[_source(1)])
    (msg,) = answer_messages(short)
    assert msg.embeds[0].title == "q" and msg.embeds[1].title == "Sources"
    (empty,) = answer_messages(Answer(intent="none"))
    assert empty.embeds[0].description == "No answer."


def test_links_with_odd_urls_stay_valid() -> None:
    src = Source(
        n=1, id="p", title="[Re] A (b) c", authors=[], year=None, venue=None, url="https://x.y/a b(c)"
    )
    (msg,) = answer_messages(Answer(intent="find", text="See [1].", sources=[src]))
    assert "[[1]](https://x.y/a%20b%28c%29)" in (msg.embeds[0].description or "")
    assert "[(Re) A (b) c](https://x.y/a%20b%28c%29)" in (msg.embeds[1].description or "")


# --- researcher_card -----------------------------------------------------------------------------


def _profile(collaborators: int = 100) -> dict:
    return {
        "name": f"Zhang *Hainan* {NASTY}",
        "id": "r_0123456789abcdef",
        "aliases": ["Hainan Zhang", "H. Zhang"],
        "affiliations": [f"{NASTY} University " + "x" * 300 for _ in range(4)],
        "paper_count": 155,
        "papers": [
            {
                "id": f"p{i}",
                "title": f"{NASTY} paper {i} " + "y" * 200,
                "year": 2020 + i % 5,
                "venue": "ACL 2023",
            }
            for i in range(50)
        ],
        "collaborators": [
            {"name": f"Coauthor {i} {NASTY}", "id": f"r{i}", "count": 100 - i} for i in range(collaborators)
        ],
        "topics": ["federated learning", "LLMs", NASTY],
        "metrics": {"h_index": 42, "citations": 12345, "works": 155, "papers_in_store": 50, "i10_index": 3.5},
        "sources": [f"seed:profile-page:{NASTY}-{i}.html" for i in range(40)],
        "namesakes": [
            {"name": f"Hainan Zhang {i}", "id": f"r_n{i}", "affiliation": "x" * 300, "paper_count": i}
            for i in range(9)
        ],
    }


def test_researcher_card_limits_and_content() -> None:
    card = researcher_card(_profile())
    _assert_embed_limits(card)
    _assert_neutralised(_embed_strings(card))
    for s in _embed_strings(card)[:2] + [f.value or "" for f in card.fields]:
        _assert_markdown_escaped(re.sub(r"\*\*[A-Za-z ]+:\*\*", "", s))
    fields = {f.name: f.value or "" for f in card.fields}
    assert set(fields) == {
        "Affiliations",
        "Metrics",
        "Top papers",
        "Top collaborators (shared papers)",
        "Sources",
        "Others with this name",
    }
    assert "h-index: 42" in fields["Metrics"] and "citations: 12,345" in fields["Metrics"]
    assert "papers in records: 50" in fields["Metrics"]
    assert fields["Top papers"].count("•") <= 5 and "(ACL 2023" in fields["Top papers"]
    collab_lines = fields["Top collaborators (shared papers)"].splitlines()
    assert "(100)" in collab_lines[0] and collab_lines[-1] == f"… and {100 - len(collab_lines) + 1} more"
    assert len(collab_lines) <= 9


def test_researcher_card_minimal_profile() -> None:
    card = researcher_card({"name": "A B", "collaborators": [], "papers": []})
    assert card.title == "A B" and card.fields == [] and card.description is None


# --- network image -------------------------------------------------------------------------------


@pytest.mark.parametrize("collaborators", [0, 3, 11, 100])
def test_network_png_is_valid(collaborators: int) -> None:
    data = coauthor_network_png(_profile(collaborators))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (render.IMAGE_SIZE, render.IMAGE_SIZE)
        assert len(img.getcolors(1 << 20) or []) > 2  # something was drawn


def test_network_file_name() -> None:
    f = network_file({"name": "Łukasz Kaiser", "collaborators": [{"name": "张伟", "count": 2}]})
    assert f.filename == "coauthors.png"
    assert f.fp.read(8) == b"\x89PNG\r\n\x1a\n"


# --- candidate_options ---------------------------------------------------------------------------


def test_candidate_options_limits() -> None:
    people = [
        {"name": f"{NASTY} " + "n" * 200, "id": f"r{i}", "affiliation": "a" * 300, "paper_count": i}
        for i in range(40)
    ]
    people += [
        {"name": "Dup", "id": "r1"},
        {"name": "Long id", "id": "x" * 150},
        {"name": "Person", "papers": [1, 2]},
    ]
    options = candidate_options(people)
    assert len(options) == render.SELECT_OPTIONS_LIMIT
    assert len({o.value for o in options}) == len(options)
    for o in options:
        assert 0 < len(o.label) <= render.OPTION_LABEL_LIMIT
        assert len(o.value) <= render.OPTION_VALUE_LIMIT
        assert o.description is None or len(o.description) <= render.OPTION_DESCRIPTION_LIMIT
        _assert_neutralised([o.label, o.description or ""])
    tail = candidate_options(people[40:])
    assert [o.value for o in tail] == ["r1", "#1", "#2"]
    assert tail[2].description == "2 paper(s)"


# --- against Discord's own checks (the stand-in's copy of them) --------------------------------


def test_rendered_messages_pass_discords_form_checks() -> None:
    from discord_standin import form_errors

    answer = _long_answer()
    for msg in answer_messages(answer):
        payload = {"content": msg.content, "embeds": [e.to_dict() for e in msg.embeds]}
        assert form_errors(payload) == {}


FORM_CASES = [
    # (payload, the path of Discord's error, its code)
    ({"content": "x" * 2001}, ["content"], "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"description": "x"}] * 11}, ["embeds"], "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"title": "x" * 257}]}, ["embeds", "0", "title"], "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"description": "x" * 4097}]}, ["embeds", "0", "description"], "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"fields": [{"name": "n", "value": "x" * 1025}]}]}, ["embeds", "0", "fields", "0", "value"],
     "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, ["embeds", "0", "fields"],
     "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"footer": {"text": "x" * 2049}}]}, ["embeds", "0", "footer", "text"],
     "BASE_TYPE_MAX_LENGTH"),
    ({"embeds": [{"author": {"name": "x" * 257}}]}, ["embeds", "0", "author", "name"],
     "BASE_TYPE_MAX_LENGTH"),
    # 6,000 is summed over every embed of the message: two of 3,500 each are refused.
    ({"embeds": [{"description": "x" * 3500}] * 2}, ["embeds"], "MAX_EMBED_SIZE_EXCEEDED"),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "path", "code"), FORM_CASES)
def test_the_stand_in_refuses_what_discord_refuses(payload: dict, path: list[str], code: str) -> None:
    from discord_standin import form_errors

    node = form_errors(payload)
    for key in path:
        node = node[key]
    assert node["_errors"][0]["code"] == code
    assert form_errors({"content": "x" * 2000, "embeds": [{"description": "x" * 4096}]}) == {}
