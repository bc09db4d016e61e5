"""The package layout: no import cycles, the bot and discord at the edge (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO

SCRIPT = REPO / "scripts" / "import_graph.py"


@pytest.fixture(scope="module")
def graph() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """A tiny scholarbot with one of each mistake, and imports that break no rule beside them."""
    return _write(
        tmp_path / "scholarbot",
        {
            "__init__.py": "",
            "records.py": "from scholarbot.store.chroma import Store\n",  # store -> records -> store
            "store/__init__.py": "",
            "store/chroma.py": "from ..records import Paper\n",  # relative imports resolve too
            "search/__init__.py": "",
            "search/index.py": (
                "from typing import TYPE_CHECKING\n"
                "from scholarbot import store\n"
                "if TYPE_CHECKING:\n"
                "    from scholarbot.bot.render import card\n"  # core -> bot, if only for types
            ),
            "answers/__init__.py": "def f():\n    import discord\n",  # discord outside bot/, lazily
            "bot/__init__.py": "import discord\nfrom scholarbot.answers import f\n",
            "cli.py": "from scholarbot.bot import client\nimport scholarbot.answers\n",  # an entry point
        },
    )


def test_scholarbot_keeps_its_layout(graph: ModuleType) -> None:
    imports = graph.all_imports(REPO / "src" / "scholarbot")
    assert graph.violations(imports) == []
    arrows = graph.edges(imports)
    assert ("search", "store") in arrows and ("bot", "answers") in arrows  # the checker sees real imports
    assert ("store", "search") not in arrows


def test_checker_finds_a_cycle_a_core_to_bot_arrow_and_discord_outside_bot(
    graph: ModuleType, tangled: Path
) -> None:
    problems = graph.violations(graph.all_imports(tangled))
    assert len(problems) == 3, problems
    cycle, to_bot, discord = problems
    assert cycle.startswith("import cycle records -> store -> records: ")
    assert "records.py:1" in cycle and "chroma.py:1" in cycle
    assert "index.py:4: scholarbot.search.index imports scholarbot.bot.render" in to_bot
    assert "answers/__init__.py:2: scholarbot.answers imports discord" in discord


def test_the_script_fails_with_the_reasons(tangled: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--src", str(tangled)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "3 layout violation(s)" in result.stderr and "import cycle records -> store" in result.stderr


def test_picture_draws_type_only_imports_dashed(graph: ModuleType, tangled: Path) -> None:
    picture = graph.mermaid(tangled)
    assert picture.startswith("```mermaid\nflowchart TD\n") and picture.endswith("```\n")
    assert '  store["store/"]' in picture and '  records("records.py")' in picture
    assert "  search -.-> bot\n" in picture  # under TYPE_CHECKING only
    assert "  search --> store\n" in picture and "  bot --> answers\n" in picture
    assert "  class cli entry\n" in picture
