"""Generate the README's configuration and command references and its import graph from the code.

    python scripts/readme.py --check   # exit 1 with a diff when README.md is out of date (tests, CI)
    python scripts/readme.py --write   # rewrite the generated blocks in place (`make docs`)

Each block sits between `<!-- BEGIN GENERATED: name ... -->` and `<!-- END GENERATED: name -->`.
The configuration reference comes from the `Settings` field descriptions (and `Secrets` for the
environment-only credentials); the command reference from the CLI's own `--help`; the picture of
the packages and their imports from scripts/import_graph.py.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This checkout's code, whichever checkout the venv was installed from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

# Plain --help, 80 columns, no colour: the text must not depend on the terminal that runs this.
# Typer reads TYPER_USE_RICH when it is imported, hence before the imports below.
os.environ["TYPER_USE_RICH"] = "0"
os.environ["COLUMNS"] = "80"

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from scholarbot.cli import app
from scholarbot.config import Secrets, Settings

from import_graph import mermaid  # scripts/import_graph.py: this script's folder is on sys.path

README = Path(__file__).resolve().parents[1] / "README.md"
PROG = "scholarbot"
BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED: (?P<name>[\w-]+)[^>]*-->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


# --- configuration ----------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    """A default as it would be written in config.toml; None means the key is unset."""
    if value is None:
        return "unset"
    if isinstance(value, Path):
        value = str(value)
    return f"`{json.dumps(value) if not isinstance(value, bool) else str(value).lower()}`"


def _bounds(field: FieldInfo) -> str:
    """The field's numeric limits, e.g. " (≥ 1, ≤ 5000)"."""
    signs = {Ge: ("≥", "ge"), Gt: (">", "gt"), Le: ("≤", "le"), Lt: ("<", "lt")}
    parts = [
        f"{sign} {getattr(rule, attr)}"
        for rule in field.metadata
        for kind, (sign, attr) in signs.items()
        if isinstance(rule, kind)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def _cell(text: str) -> str:
    """One Markdown table cell: one line, pipes escaped, and `<word>` kept as text outside code spans."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    parts[::2] = [p.replace("<", "&lt;").replace(">", "&gt;") for p in parts[::2]]
    return "`".join(parts)


def configuration() -> str:
    """One row per key of every config.toml table, then the secrets read from the environment."""
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for table, section in Settings.model_fields.items():
        model = section.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), table
        for key, field in model.model_fields.items():
            assert field.description, f"Settings.{table}.{key} needs a description"
            default = field.get_default(call_default_factory=True)
            meaning = _cell(field.description) + _bounds(field)
            rows.append(f"| `{table}.{key}` | {_toml_value(default)} | {meaning} |")
    rows += ["", "Secrets, read from the environment only (never from a file):", ""]
    rows += ["| variable | meaning |", "| --- | --- |"]
    for field in Secrets.model_fields.values():
        assert field.description and isinstance(field.validation_alias, str)
        rows.append(f"| `${field.validation_alias}` | {_cell(field.description)} |")
    return "\n".join(rows) + "\n"


# --- commands ---------------------------------------------------------------------------------


def _help(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name=PROG)
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def _sections(text: str) -> dict[str, list[str]]:
    """--help text by heading ("Usage", "", "Arguments", "Options", "Commands"): "" is the description."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        heading = re.fullmatch(r"(\w+):(?: (.*))?", line)
        if heading:
            current = heading.group(1)
            out[current] = [heading.group(2)] if heading.group(2) else []
            if current == "Usage":
                current = ""  # the description follows the one-line usage
        else:
            out[current].append(line)
    return out


def _entries(lines: list[str]) -> list[tuple[str, str]]:
    """(first word, whole text) of each entry of an Arguments/Options/Commands section.

    An entry starts at a two-space indent; deeper-indented lines continue it.
    """
    out: list[tuple[str, str]] = []
    for line in lines:
        if m := re.match(r"  (\S+)", line):
            out.append((m.group(1), line.strip()))
        elif line.strip() and out:
            out[-1] = (out[-1][0], f"{out[-1][1]} {line.strip()}")
    return out


def _commands(path: list[str]) -> list[tuple[list[str], str]]:
    """Every leaf command under `path` with its --help, in the order --help lists them."""
    text = _help(path)
    subcommands = [name for name, _ in _entries(_sections(text).get("Commands", []))]
    if not subcommands:
        return [(path, text)]
    return [leaf for name in subcommands for leaf in _commands([*path, name])]


def _row(path: list[str], text: str) -> str:
    sections = _sections(text)
    args = []
    for name, entry in _entries(sections.get("Arguments", [])):
        arg = name.upper()  # "paths..." -> "PATHS..."
        args.append(arg if "[required]" in entry else f"[{arg}]")
    options = [name for name, _ in _entries(sections.get("Options", [])) if name != "--help"]
    what = _cell(" ".join(sections[""]))
    usage = " ".join([PROG, *path, *args])
    return f"| `{usage}` | {' '.join(f'`{o}`' for o in options)} | {what} |"


def commands() -> str:
    """A table of every command, then each command's full --help."""
    leaves = _commands([])
    rows = ["| command | options | what it does |", "| --- | --- | --- |"]
    rows += [_row(path, text) for path, text in leaves]
    helps = [("$ " + " ".join([PROG, *path, "--help"]), text) for path, text in [([], _help([])), *leaves]]
    rows += ["", "<details><summary>Every command's <code>--help</code></summary>", ""]
    for prompt, text in helps:
        rows += ["```text", prompt, text.rstrip(), "```", ""]
    rows += ["</details>"]
    return "\n".join(rows) + "\n"


# --- the README -------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[], str]] = {
    "configuration": configuration,
    "commands": commands,
    "import-graph": mermaid,
}


def render(text: str) -> str:
    """`text` with every generated block replaced by what the code says now."""
    seen: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in GENERATORS:
            raise SystemExit(f"README.md: unknown generated block {name!r}")
        seen.add(name)
        return m.group("begin") + GENERATORS[name]() + m.group("end")

    out = BLOCK.sub(replace, text)
    if missing := set(GENERATORS) - seen:
        raise SystemExit(f"README.md: no generated block for {sorted(missing)}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail with a diff when README.md is out of date")
    mode.add_argument("--write", action="store_true", help="rewrite the generated blocks of README.md")
    ap.add_argument("--readme", type=Path, default=README, help="the file to check or rewrite")
    args = ap.parse_args()
    current = args.readme.read_text(encoding="utf-8")
    wanted = render(current)
    if args.write:
        if wanted != current:
            args.readme.write_text(wanted, encoding="utf-8")
            print(f"updated {args.readme}")
        return 0
    if wanted == current:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True), wanted.splitlines(keepends=True), "README.md", "generated"
    )
    sys.stdout.writelines(diff)
    print(f"\n{args.readme} is out of date: run `make docs` (python scripts/readme.py --write)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
