"""The README's generated references match the code: scripts/readme.py --check, as CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "scripts" / "readme.py"


def _check(readme: Path) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: the script sets up plain, fixed-width --help before typer is imported.
    # PYTHONPATH makes it read this checkout's code even when the venv was installed from another.
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--readme", str(readme)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_readme_matches_the_settings_and_the_cli() -> None:
    result = _check(REPO / "README.md")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_a_stale_readme_fails_with_a_diff_and_the_fix(tmp_path: Path) -> None:
    stale = (REPO / "README.md").read_text(encoding="utf-8")
    assert "| `store.port` | `8000` |" in stale
    readme = tmp_path / "README.md"
    readme.write_text(stale.replace("| `store.port` | `8000` |", "| `store.port` | `8080` |"), "utf-8")
    result = _check(readme)
    assert result.returncode == 1
    assert "-| `store.port` | `8080` |" in result.stdout and "make docs" in result.stdout
