"""The command line as a user meets it: exit codes, summaries, messages, JSON output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scholarbot.cli import app
from scholarbot.records import Paper

from conftest import SEEDS

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCHOLARBOT_CACHE", str(model_cache))
    return tmp_path / "store"


def test_ingest_summary_then_idempotent_rerun(env: Path):
    first = runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)])
    assert first.exit_code == 0, first.output
    # The summary table's rows, e.g. "│ files read    │ 4    │"; a bare "4" would match any number.
    assert re.search(r"files read\W+4\b", first.output) and re.search(r"profile pages\W+4\b", first.output)
    again = runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)])
    assert again.exit_code == 0
    assert "0 added, 0 updated" in again.output

    stats = runner.invoke(app, ["stats", "--store", str(env), "--json"])
    data = json.loads(stats.output)
    assert data["papers"] > 50 and data["profiles"] == 4 and data["people_index_stale"] is False


def test_ingest_reports_bad_files_by_name(env: Path, tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "001_445717024e459980.txt", folder / "zz.txt")
    (folder / "garbage.bin").write_bytes(b"\x00\x01\x02 not a paper list")
    result = runner.invoke(app, ["ingest", str(folder), "--store", str(env)])
    assert result.exit_code == 0
    assert "garbage.bin" in result.output and "Known formats" in result.output


def test_ingest_of_nothing_fails_clearly(env: Path, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["ingest", str(tmp_path / "empty"), "--store", str(env)])
    assert result.exit_code == 1
    assert "no files found" in result.output
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--store", str(env)])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_ask_on_empty_store_explains_what_to_do(env: Path):
    result = runner.invoke(app, ["ask", "Who is Hanlin Gu?", "--store", str(env)])
    assert result.exit_code == 1
    assert "scholarbot ingest" in result.output


def test_ask_json_and_stdin_batch(env: Path):
    assert runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)]).exit_code == 0
    one = runner.invoke(app, ["ask", "Who is Hanlin Gu?", "--store", str(env), "--json"])
    assert one.exit_code == 0, one.output
    data = json.loads(one.output)
    assert data["intent"] == "profile" and data["profile"]["name"] == "Hanlin Gu"

    questions = "Who is Hanlin Gu?\n\nWho is Nobody Atall?\n"
    batch = runner.invoke(app, ["ask", "-", "--store", str(env), "--json"], input=questions)
    lines = [json.loads(line) for line in batch.output.splitlines() if line.strip()]
    # One answer per line, the blank one too (help), so answers line up with their questions.
    assert [d["intent"] for d in lines] == ["profile", "help", "profile"]
    assert "not in the records" in lines[2]["answer"]


def test_profile_command(env: Path):
    assert runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)]).exit_code == 0
    result = runner.invoke(app, ["profile", "Zhiming Zheng", "--store", str(env), "--json"])
    profile = json.loads(result.output)["profile"]
    assert profile["metrics"]["h_index"] == 5
    assert {c["name"] for c in profile["collaborators"]} >= {"Hainan Zhang", "Xiaoshan Yang"}


def test_bad_config_is_named(env: Path, tmp_path: Path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[store]\npaht = "typo"\n')
    result = runner.invoke(app, ["stats", "--config", str(cfg)])
    assert result.exit_code == 1
    assert "paht" in result.output


def test_switching_embedder_on_a_built_store_is_refused(env: Path, monkeypatch: pytest.MonkeyPatch):
    assert runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)]).exit_code == 0
    monkeypatch.setenv("SCHOLARBOT_EMBEDDINGS__MODEL", "minilm-onnx")
    result = runner.invoke(app, ["ask", "Who is Hanlin Gu?", "--store", str(env)])
    assert result.exit_code == 1
    assert "minilm-static" in result.output and "fresh --store" in result.output


def test_run_without_a_token_explains_in_one_line(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = runner.invoke(app, ["run", "--store", str(env)])
    assert result.exit_code == 1
    assert "DISCORD_TOKEN is not set" in result.output and len(result.output.strip().splitlines()) == 1


def test_doctor_reports_each_part_and_how_to_fix_it(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    empty = runner.invoke(app, ["doctor", "--store", str(env)])
    assert empty.exit_code == 0  # warnings only
    assert "is empty" in empty.output and "scholarbot ingest" in empty.output
    assert "DISCORD_TOKEN is not set" in empty.output
    assert runner.invoke(app, ["ingest", str(SEEDS), "--store", str(env)]).exit_code == 0
    full = runner.invoke(app, ["doctor", "--store", str(env)])
    assert "papers" in full.output and "scholarbot enrich" in full.output
    monkeypatch.setenv("SCHOLARBOT_LLM__ENABLED", "true")
    monkeypatch.setenv("SCHOLARBOT_LLM__BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    broken = runner.invoke(app, ["doctor", "--store", str(env)])
    assert broken.exit_code == 1 and "did not answer" in broken.output


def _local_digest_config(env: Path, tmp_path: Path) -> tuple[Path, list[Paper]]:
    """A config with digests from papers ingested here; Hanlin Gu's federated-LLM papers are new."""
    from datetime import UTC, datetime, timedelta

    from scholarbot.config import load_settings
    from scholarbot.ingest.importers import read_file
    from scholarbot.services import open_services

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[digest]\nsources = ["local"]\nstate_path = "{tmp_path / "d.sqlite3"}"\n')
    svc = open_services(load_settings(cfg, store=env))
    yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    papers = read_file(SEEDS / "002_9ae034b0383cefe3.txt").papers
    svc.store.upsert_papers(
        papers, svc.embedder.embed_documents([p.title for p in papers]), {p.id: yesterday for p in papers}
    )
    return cfg, papers


def test_digest_run_dry_run_prints_what_is_due_and_records_nothing(env: Path, tmp_path: Path):
    from datetime import UTC, datetime, timedelta

    from scholarbot.digest.state import DigestState
    from scholarbot.digest.types import Subscription

    cfg, papers = _local_digest_config(env, tmp_path)
    state = DigestState(tmp_path / "d.sqlite3")
    state.add_subscription(
        Subscription(
            id=0, guild_id=1, channel_id=77, topics=("federated large language models",), threshold=0.2
        ),
        created_at=datetime.now(UTC) - timedelta(days=3),
    )
    result = runner.invoke(app, ["digest", "run", "--dry-run", "--store", str(env), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "channel 77" in result.output and "FedMKT" in result.output
    assert state.pending_intents() == [] and state.already_sent(77, [p.id for p in papers]) == set()
    state.close()


def test_doctor_says_how_to_point_the_bot_at_a_local_model(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SCHOLARBOT_LLM__ENABLED", raising=False)
    offline = runner.invoke(app, ["doctor", "--store", str(env)])
    assert offline.exit_code == 0 and "answers are composed offline" in offline.output
    for hint in ("http://localhost:11434/v1", "http://localhost:8000/v1", "llama_cpp.server", "llm.base_url"):
        assert hint in offline.output
    monkeypatch.setenv("SCHOLARBOT_LLM__ENABLED", "true")
    monkeypatch.setenv("SCHOLARBOT_LLM__BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    down = runner.invoke(app, ["doctor", "--store", str(env)])
    assert down.exit_code == 1 and "did not answer" in down.output
    assert "SCHOLARBOT_LLM__BASE_URL" in down.output and "http://localhost:11434/v1" in down.output


@pytest.fixture
def discord_standin(monkeypatch: pytest.MonkeyPatch):
    """The Discord stand-in served from a thread of its own, for commands that run their own loop."""
    import asyncio
    import threading

    from discord.http import Route

    from discord_standin import DiscordStandIn

    standin = DiscordStandIn()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(standin.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    monkeypatch.setattr(Route, "BASE", standin.base)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    yield standin
    asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_doctor_checks_the_intent_and_the_permissions_on_discord(
    env: Path, tmp_path: Path, discord_standin: Any
):
    from datetime import UTC, datetime

    from scholarbot.digest.state import DigestState
    from scholarbot.digest.types import Subscription

    from discord_standin import CHANNEL_ID, GUILD_ID, READ_MESSAGE_HISTORY

    state_file = tmp_path / "d.sqlite3"
    with DigestState(state_file) as state:
        state.add_subscription(
            Subscription(0, GUILD_ID, CHANNEL_ID, topics=("graphs",)), created_at=datetime.now(UTC)
        )
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[discord]\nmessage_content = true\n[digest]\nstate_path = "{state_file}"\n')
    discord_standin.channels[CHANNEL_ID].bot_deny = READ_MESSAGE_HISTORY

    result = runner.invoke(app, ["doctor", "--store", str(env), "--config", str(cfg)])
    assert result.exit_code == 1, result.output
    assert "logs in as scholarbot" in result.output
    assert "message_content is true but the intent is off" in result.output
    assert f"digests channel {CHANNEL_ID}: missing Read Message History" in result.output

    discord_standin.app_flags = 1 << 18  # the portal switch, as application flags report it
    discord_standin.channels[CHANNEL_ID].bot_deny = 0
    fixed = runner.invoke(app, ["doctor", "--store", str(env), "--config", str(cfg)])
    assert "on: plain follow-ups" in fixed.output and "has every permission" in fixed.output
    assert "fail" not in fixed.output.replace("fix:", "")


def test_readme_lists_the_permissions_the_bot_checks():
    from scholarbot.bot.checks import PERMISSIONS

    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## On Discord", 1)[1].split("\n## ", 1)[0]
    for label, _why in PERMISSIONS.values():
        assert f"*{label}*" in section, label
    assert "message_content" in section and "scholarbot doctor" in section and "scholarbot sync" in section


def test_digest_run_from_cron_posts_once_through_discord(env: Path, tmp_path: Path, discord_standin: Any):
    from datetime import UTC, datetime, timedelta

    from scholarbot.digest.state import DigestState
    from scholarbot.digest.types import Subscription

    from discord_standin import CHANNEL_ID, GUILD_ID

    cfg, _ = _local_digest_config(env, tmp_path)
    with DigestState(tmp_path / "d.sqlite3") as state:
        state.add_subscription(
            Subscription(0, GUILD_ID, CHANNEL_ID, topics=("federated large language models",), threshold=0.2),
            created_at=datetime.now(UTC) - timedelta(days=3),
        )
    args = ["digest", "run", "--store", str(env), "--config", str(cfg)]
    first = runner.invoke(app, args)
    again = runner.invoke(app, args)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "posted" in first.output and "No digest is due" in again.output
    posts = discord_standin.channel_messages(CHANNEL_ID)
    assert len(posts) >= 1 and "FedMKT" in "".join(e["description"] for m in posts for e in m["embeds"])
    assert not discord_standin.rejected()
