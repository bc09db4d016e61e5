"""Settings: TOML under environment, the store override, secrets from the environment only, thread safety."""

from __future__ import annotations

import os
import re
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from scholarbot.config import Secrets, Settings, load_settings, reveal
from scholarbot.errors import ConfigError

from conftest import REPO


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_overrides_the_file_and_the_file_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _write(tmp_path / "c.toml", '[store]\nport = 9000\nprefix = "lab"\n[llm]\nmodel = "m"\n')
    monkeypatch.setenv("SCHOLARBOT_STORE__PORT", "9100")
    s = load_settings(cfg)
    assert (s.store.port, s.store.prefix, s.llm.model, s.store.batch_size) == (9100, "lab", "m", 1000)


def test_store_folder_override_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _write(tmp_path / "c.toml", '[store]\npath = "from-file"\nhost = "chroma.internal"\n')
    assert load_settings(cfg).store.path == Path("from-file")
    monkeypatch.setenv("SCHOLARBOT_STORE", str(tmp_path / "from-env"))
    from_env = load_settings(cfg)
    # A folder given explicitly means the embedded store, not the configured server.
    assert (from_env.store.path, from_env.store.host) == (tmp_path / "from-env", None)
    assert load_settings(cfg, store=tmp_path / "from-flag").store.path == tmp_path / "from-flag"
    assert os.environ["SCHOLARBOT_STORE"] == str(tmp_path / "from-env")  # read, never removed


def test_the_config_path_never_goes_through_the_environment(tmp_path: Path) -> None:
    before = dict(os.environ)
    load_settings(_write(tmp_path / "c.toml", "[store]\nport = 9000\n"))
    assert dict(os.environ) == before
    assert Settings().store.port == 8000  # outside load_settings, no file is read


def test_concurrent_loads_each_read_their_own_file(tmp_path: Path) -> None:
    files = {p: _write(tmp_path / f"{p}.toml", f"[store]\nport = {p}\n") for p in range(9001, 9009)}
    seen: dict[int, set[int]] = {p: set() for p in files}
    start = threading.Barrier(len(files))

    def load(port: int) -> None:
        start.wait()
        for _ in range(20):
            seen[port].add(load_settings(files[port]).store.port)

    threads = [threading.Thread(target=load, args=(p,)) for p in files]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: a path shared through os.environ leaks at once
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert seen == {p: {p} for p in files}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[store]\npaht = "typo"\n', "paht"),
        ("[stor]\nport = 1\n", "stor"),
        ('[secrets]\nopenai_api_key = "sk-in-a-file"\n', "secrets"),
        ("[store\n", "c.toml"),
    ],
)
def test_bad_files_are_refused_with_the_culprit_named(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(_write(tmp_path / "c.toml", text))


def test_secrets_come_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test\n")
    monkeypatch.setenv("DISCORD_TOKEN", "   ")  # blank is "not set"
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    s = load_settings()
    assert reveal(s.secrets.openai_api_key) == "sk-test"
    assert s.secrets.discord_token is None and s.secrets.openalex_api_key is None
    assert "sk-test" not in repr(s) + repr(s.secrets)  # never printed by accident
    monkeypatch.setenv("SCHOLARBOT_SECRETS__OPENAI_API_KEY", "sk-other")
    # The SCHOLARBOT_* namespace cannot carry secrets either.
    assert reveal(load_settings().secrets.openai_api_key) == "sk-test"


def test_example_config_shows_every_key_and_loads() -> None:
    example = REPO / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    # Keys may be commented out (`# host = ...`) when their default is "unset".
    data = tomllib.loads(re.sub(r"(?m)^# (?=\w+ = )", "", text))
    expected = {t: set(type(getattr(Settings(), t)).model_fields) for t in Settings.model_fields}
    shown = {t: set(keys) for t, keys in data.items()}
    assert shown == expected, "config.example.toml must show (and comment) every Settings key"
    assert set(Secrets.model_fields) and "secrets" not in data
    load_settings(example)  # the uncommented values are valid as they stand
